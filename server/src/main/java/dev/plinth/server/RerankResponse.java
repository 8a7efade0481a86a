package dev.plinth.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.plinth.models.Reranker;
import java.util.List;

/**
 * The body of a {@code /v1/rerank} answer, as Jina's: {@code {"model", "usage": {"total_tokens",
 * "prompt_tokens"}, "results": [{"index", "relevance_score", "document": {"text"}}]}}, best first.
 * {@code usage} is always there, {@code prompt_tokens} included: LangChain4j's Jina client reports
 * it as the call's input tokens. {@code document} only when {@code return_documents} was not false.
 */
record RerankResponse(String model, Usage usage, List<Result> results) {

    /** Tokens read by the model. */
    record Usage(
            @JsonProperty("total_tokens") int totalTokens,
            @JsonProperty("prompt_tokens") int promptTokens) {}

    /** One ranked document. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Result(
            int index, @JsonProperty("relevance_score") double relevanceScore, Document document) {}

    /** The document's text, echoed. */
    record Document(String text) {}

    /**
     * The answer for {@code ranking}; {@code documents} is null when they are not to be returned.
     */
    static RerankResponse of(Reranker.Ranking ranking, List<String> documents) {
        List<Result> results =
                ranking.results().stream()
                        .map(r ->
                                new Result(
                                        r.index(),
                                        r.score(),
                                        documents == null
                                                ? null
                                                : new Document(documents.get(r.index()))))
                        .toList();
        return new RerankResponse(
                ranking.model(), new Usage(ranking.totalTokens(), ranking.totalTokens()), results);
    }
}
