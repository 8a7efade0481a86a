package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.jina.JinaEmbeddingModel;
import dev.langchain4j.model.jina.JinaScoringModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.plinth.models.Embedder;
import dev.plinth.models.Reranker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real third-party clients against the running server: LangChain4j's Jina module ({@link
 * JinaEmbeddingModel}, {@link JinaScoringModel}) and its OpenAI module ({@link
 * OpenAiEmbeddingModel}), each only pointed at plinth's base URL with an API key. Their results
 * must equal what plinth's engine computes in-process for the same inputs.
 */
class JinaClientTest {

    private static final String KEY = "test-key";
    private static final String MODEL = "bge-small-en-v1.5-int8";
    private static Server server;

    @BeforeAll
    static void start() throws Exception {
        server =
                Server.start(
                        c -> {
                            c.port = 0;
                            c.rateLimitPerMinute = 0;
                            c.apiKeys = List.of(KEY);
                        },
                        ServeCommand.modelApis());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String base() {
        return "http://127.0.0.1:" + server.port() + "/";
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) dot += a[i] * b[i];
        return dot;
    }

    @Test
    void jinaEmbeddingModel_getsPlinthsVectors() {
        // The client's own default base is https://api.jina.ai/ (it appends "v1/embeddings").
        JinaEmbeddingModel model =
                JinaEmbeddingModel.builder()
                        .baseUrl(base())
                        .apiKey(KEY)
                        .modelName(MODEL)
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(0)
                        .build();
        List<TextSegment> texts =
                List.of(
                        TextSegment.from("A cat sleeps on the sofa."),
                        TextSegment.from("Stock markets fell sharply today."));
        Response<List<Embedding>> response = model.embedAll(texts);

        List<float[]> expected =
                ServerModels.embedder()
                        .embed(
                                Embedder.Request.of(texts.stream().map(TextSegment::text).toList())
                                        .withModel(MODEL))
                        .embeddings();
        assertEquals(2, response.content().size());
        for (int i = 0; i < 2; i++) {
            float[] got = response.content().get(i).vector();
            assertEquals(384, got.length);
            assertEquals(1.0, cosine(got, expected.get(i)), 1e-5, "input " + i);
        }
        assertTrue(
                response.tokenUsage().inputTokenCount() > 10,
                String.valueOf(response.tokenUsage()));
    }

    @Test
    void jinaScoringModel_getsPlinthsRanking() {
        Reranker reranker = new Reranker(ServerModels.registry());
        // The client's own default base is https://api.jina.ai/v1/ (it appends "rerank").
        JinaScoringModel model =
                JinaScoringModel.builder()
                        .baseUrl(base() + "v1/")
                        .apiKey(KEY)
                        .modelName(reranker.defaultModel())
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(0)
                        .build();
        List<String> documents =
                List.of(
                        "The Eiffel Tower is in Paris.",
                        "Photosynthesis turns light into chemical energy in plants.",
                        "Berlin is the capital of Germany.");
        String query = "How do plants make energy from sunlight?";
        Response<List<Double>> scores =
                model.scoreAll(documents.stream().map(TextSegment::from).toList(), query);

        Reranker.Ranking expected = reranker.rerank(null, query, documents, null);
        assertEquals(3, scores.content().size(), "one score per document, in document order");
        for (Reranker.Result r : expected.results()) {
            assertEquals(r.score(), scores.content().get(r.index()), 1e-6, "document " + r.index());
        }
        int best = 0;
        for (int i = 1; i < 3; i++)
            if (scores.content().get(i) > scores.content().get(best)) best = i;
        assertEquals(1, best);
        assertEquals(expected.totalTokens(), scores.tokenUsage().inputTokenCount());
    }

    @Test
    void openAiEmbeddingModel_getsPlinthsVectors() {
        OpenAiEmbeddingModel model =
                OpenAiEmbeddingModel.builder()
                        .baseUrl(base() + "v1")
                        .apiKey(KEY)
                        .modelName(MODEL)
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(0)
                        .build();
        Response<Embedding> response = model.embed("Late interaction keeps every token.");
        float[] expected =
                ServerModels.embedder()
                        .embed(
                                Embedder.Request.of(List.of("Late interaction keeps every token."))
                                        .withModel(MODEL))
                        .embeddings()
                        .getFirst();
        assertEquals(384, response.content().vector().length);
        assertEquals(1.0, cosine(response.content().vector(), expected), 1e-5);
        assertTrue(response.tokenUsage().inputTokenCount() > 5);
    }
}
