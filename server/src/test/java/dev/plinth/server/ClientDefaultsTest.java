package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.jina.JinaEmbeddingModel;
import dev.langchain4j.model.jina.JinaScoringModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModelName;
import dev.langchain4j.model.output.Response;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.MultiVector;
import dev.plinth.models.Reranker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.openai.api.OpenAiApi;

/**
 * Real clients with the model names they send by default, unmodified but for their base URL,
 * against a server with the {@code clients} alias preset ({@link ModelRegistry#CLIENT_ALIASES}):
 * LangChain4j's Jina module ({@code jina-embeddings-v3}, {@code
 * jina-reranker-v2-base-multilingual}), its OpenAI module ({@code text-embedding-3-small}) and
 * Spring AI's OpenAI embedding model (its default, {@code text-embedding-ada-002}). Each gets the
 * bundled default's answer, and the response names the model that served.
 */
class ClientDefaultsTest {

    static final String KEY = "client-key";
    static ModelRegistry registry;
    static Embedder embedder;
    static Plinth plinth;

    @BeforeAll
    static void start() throws Exception {
        registry =
                ModelRegistry.create(
                        ModelRegistry.Options.defaults()
                                .withFolders(List.of())
                                .withAliases(ModelRegistry.CLIENT_ALIASES));
        embedder = new Embedder(registry);
        plinth =
                Plinth.start(
                        Plinth.config(null).andThen(c -> c.apiKeys = List.of(KEY)),
                        List.of(
                                new EmbeddingsRoutes(embedder),
                                new RerankRoutes(new Reranker(registry)),
                                new MultiVectorRoutes(new MultiVector(registry))));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        registry.close();
    }

    static float[] expected(String text) {
        return embedder.embed(Embedder.Request.of(List.of(text))).embeddings().getFirst();
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) dot += a[i] * b[i];
        return dot;
    }

    @Test
    void langChain4jJina_withJinaEmbeddingsV3() {
        JinaEmbeddingModel model =
                JinaEmbeddingModel.builder()
                        .baseUrl(plinth.base() + "/")
                        .apiKey(KEY)
                        .modelName("jina-embeddings-v3")
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(0)
                        .build();
        Response<List<Embedding>> r =
                model.embedAll(List.of(TextSegment.from("A cat sleeps on the sofa.")));
        assertEquals(
                1.0,
                cosine(r.content().getFirst().vector(), expected("A cat sleeps on the sofa.")),
                1e-5);
    }

    @Test
    void langChain4jJina_withJinaRerankerV2() {
        JinaScoringModel model =
                JinaScoringModel.builder()
                        .baseUrl(plinth.base() + "/v1/")
                        .apiKey(KEY)
                        .modelName("jina-reranker-v2-base-multilingual")
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(0)
                        .build();
        List<String> docs =
                List.of("Berlin is the capital of Germany.", "Plants turn light into energy.");
        Response<List<Double>> scores =
                model.scoreAll(
                        docs.stream().map(TextSegment::from).toList(),
                        "How do plants make energy?");
        Reranker.Ranking direct =
                new Reranker(registry).rerank(null, "How do plants make energy?", docs, null);
        for (Reranker.Result r : direct.results())
            assertEquals(r.score(), scores.content().get(r.index()), 1e-6);
        assertTrue(scores.content().get(1) > scores.content().get(0));
    }

    @Test
    void langChain4jOpenAi_withTextEmbedding3Small() {
        OpenAiEmbeddingModel model =
                OpenAiEmbeddingModel.builder()
                        .baseUrl(plinth.base() + "/v1")
                        .apiKey(KEY)
                        .modelName(OpenAiEmbeddingModelName.TEXT_EMBEDDING_3_SMALL)
                        .timeout(Duration.ofSeconds(60))
                        .maxRetries(0)
                        .build();
        Response<Embedding> r = model.embed("Late interaction keeps every token.");
        assertEquals(
                1.0,
                cosine(r.content().vector(), expected("Late interaction keeps every token.")),
                1e-5);
    }

    @Test
    void springAiOpenAi_withItsDefaultModel() {
        assertEquals("text-embedding-ada-002", OpenAiApi.DEFAULT_EMBEDDING_MODEL);
        OpenAiApi api = OpenAiApi.builder().baseUrl(plinth.base()).apiKey(KEY).build();
        var model = new org.springframework.ai.openai.OpenAiEmbeddingModel(api);
        float[] got = model.embed("Spring clients ask for ada.");
        assertEquals(384, got.length);
        assertEquals(1.0, cosine(got, expected("Spring clients ask for ada.")), 1e-5);
        var response =
                model.call(
                        new org.springframework.ai.embedding.EmbeddingRequest(
                                List.of("one", "two"), null));
        assertEquals(2, response.getResults().size());
        assertEquals(
                "bge-small-en-v1.5-int8",
                response.getMetadata().getModel(),
                "the model that served");
    }
}
