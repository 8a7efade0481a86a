package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.Embedder;
import dev.plinth.models.Reranker;
import dev.plinth.reader.fetch.Fetcher;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/rerank}: Jina's reranker API. Body {@code {model?, query, documents: [string |
 * {text} | {image}], top_n?, return_documents? (default true)}}; answer {@link RerankResponse}.
 * Image documents (for a CLIP model) are read through {@link ImageInputs}; they come back as {@code
 * {"text": null}} when documents are returned.
 */
final class RerankRoutes implements RouteGroup {

    private final Reranker reranker;
    private final Fetcher images;

    RerankRoutes(Reranker reranker) {
        this(reranker, new Fetcher(Fetcher.Settings.DEFAULTS));
    }

    RerankRoutes(Reranker reranker, Fetcher images) {
        this.reranker = reranker;
        this.images = images;
    }

    @Override
    public void register(Javalin app) {
        app.post("/v1/rerank", this::rerank);
    }

    private void rerank(Context ctx) {
        ObjectNode body = ModelRequests.body(ctx);
        String model = ModelRequests.string(body, "model", null);
        String query = ModelRequests.requiredString(body, "query");
        if (!body.path("documents").isArray())
            throw ModelRequests.invalid(
                    "'documents' must be a list of strings or {\"text\": ...} objects");
        Integer topN = ModelRequests.integer(body, "top_n");
        boolean returnDocuments = ModelRequests.bool(body, "return_documents", true);
        List<Embedder.Input> documents =
                ModelRequests.inputs(
                        body, "documents", Reranker.MAX_DOCUMENTS, new ImageInputs(images));
        Reranker.Ranking ranking =
                ModelRequests.call(ctx, () -> reranker.rerankInputs(model, query, documents, topN));
        List<String> texts = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            switch (documents.get(i)) {
                case Embedder.Input.Text t -> texts.add(t.text());
                case Embedder.Input.Image img -> texts.add(null);
                case Embedder.Input.Tokens t ->
                        throw ModelRequests.invalid(
                                "'documents[" + i + "]' must be a string or a {\"text\"} object");
            }
        }
        ctx.json(RerankResponse.of(ranking, returnDocuments ? texts : null));
    }
}
