package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.models.Classifier;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.MultiVector;
import dev.plinth.models.Reranker;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/rerank}, {@code /v1/multi-vector} and {@code /v1/classify} over real HTTP: the bundled
 * English model and the tiny cross-encoder that scripts/make-tiny-cross-encoder.py makes (logit =
 * document tokens also in the query − 2).
 */
class RerankRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static ModelRegistry registry;
    private static Javalin app;

    @BeforeAll
    static void start() {
        registry =
                ModelRegistry.create(
                        ModelRegistry.Options.defaults()
                                .withFolders(List.of(Path.of("../models/src/test/resources"))));
        app = Javalin.create();
        Errors.install(app);
        new RerankRoutes(new Reranker(registry)).register(app);
        new MultiVectorRoutes(new MultiVector(registry)).register(app);
        new ClassifyRoutes(new Classifier(new Embedder(registry))).register(app);
        app.start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        app.stop();
        registry.close();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(String path, String body) throws Exception {
        HttpResponse<String> response = post(path, body);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    @Test
    void rerank_answersInJinasShapeBestFirst() throws Exception {
        JsonNode body =
                ok(
                        "/v1/rerank",
                        """
                        {"query": "What is the capital of France?",
                         "documents": ["Bananas are yellow.", {"text": "Paris is the capital of France."}, "London is big."]}\
                        """);
        assertEquals(
                "bge-small-en-v1.5-int8" + Reranker.DEFAULT_SCORING.suffix(),
                body.get("model").asText());
        List<String> fields = new java.util.ArrayList<>();
        body.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("model", "usage", "results"), fields, "DESIGN.md's shape");
        assertTrue(body.at("/usage/total_tokens").asInt() > 20, body.toString());
        JsonNode results = body.get("results");
        assertEquals(3, results.size());
        assertEquals(1, results.at("/0/index").asInt());
        assertEquals("Paris is the capital of France.", results.at("/0/document/text").asText());
        for (int i = 1; i < results.size(); i++) {
            assertTrue(
                    results.get(i - 1).get("relevance_score").asDouble()
                            >= results.get(i).get("relevance_score").asDouble());
        }
    }

    @Test
    void rerank_crossEncoderScoresAreSigmoidsOfTheLogit() throws Exception {
        JsonNode body =
                ok(
                        "/v1/rerank",
                        """
                        {"model": "tiny-cross-encoder", "query": "apple pie", "top_n": 2, "return_documents": false,
                         "documents": ["banana", "apple pie", "red apple"]}\
                        """);
        assertEquals("tiny-cross-encoder", body.get("model").asText());
        JsonNode results = body.get("results");
        assertEquals(2, results.size());
        assertEquals(1, results.at("/0/index").asInt());
        assertEquals(0.5, results.at("/0/relevance_score").asDouble(), 1e-6);
        assertEquals(1 / (1 + Math.exp(1)), results.at("/1/relevance_score").asDouble(), 1e-6);
        assertFalse(results.get(0).has("document"), "return_documents=false");
        assertEquals(3 * 5 + 1 + 2 + 2, body.at("/usage/total_tokens").asInt());
    }

    @Test
    void multiVector_returnsTokenMatrices() throws Exception {
        JsonNode body =
                ok(
                        "/v1/multi-vector",
                        """
                        {"input": ["one two three", {"text": "four"}], "input_type": "query", "dimensions": 32}\
                        """);
        assertEquals("list", body.get("object").asText());
        JsonNode data = body.get("data");
        assertEquals(2, data.size());
        assertEquals("embeddings", data.at("/0/object").asText());
        assertEquals(1, data.at("/1/index").asInt());
        assertEquals(3, data.at("/0/embeddings").size(), "one vector per token of 'one two three'");
        assertEquals(1, data.at("/1/embeddings").size());
        JsonNode vector = data.at("/0/embeddings/0");
        assertEquals(32, vector.size());
        double norm = 0;
        for (JsonNode v : vector) norm += v.asDouble() * v.asDouble();
        assertEquals(1.0, norm, 1e-3);
        assertTrue(body.at("/usage/total_tokens").asInt() > 4);
    }

    @Test
    void classify_scoresEveryLabelSummingToOne() throws Exception {
        JsonNode body =
                ok(
                        "/v1/classify",
                        """
                        {"input": ["The goalkeeper saved a penalty.", "Preheat the oven and knead the dough."],
                         "labels": ["sports", "cooking", "politics"]}\
                        """);
        JsonNode data = body.get("data");
        assertEquals(2, data.size());
        assertEquals("classification", data.at("/0/object").asText());
        assertEquals("sports", data.at("/0/prediction").asText());
        assertEquals("cooking", data.at("/1/prediction").asText());
        for (JsonNode item : data) {
            double sum = 0;
            for (JsonNode p : item.get("predictions")) sum += p.get("score").asDouble();
            assertEquals(1.0, sum, 1e-9);
            assertEquals(3, item.get("predictions").size());
            assertEquals(
                    item.get("score").asDouble(),
                    item.at(
                                    "/predictions/"
                                            + List.of("sports", "cooking", "politics")
                                                    .indexOf(item.get("prediction").asText())
                                            + "/score")
                            .asDouble(),
                    1e-12);
        }
        assertTrue(body.at("/usage/total_tokens").asInt() > 0);
    }

    @Test
    void refusesBadRequestsWith422AndDetail() throws Exception {
        String[][] bad = {
            {"/v1/rerank", "{\"documents\": [\"a\"]}"},
            {"/v1/rerank", "{\"query\": \"q\"}"},
            {"/v1/rerank", "{\"query\": \"q\", \"documents\": []}"},
            {"/v1/rerank", "{\"query\": \" \", \"documents\": [\"a\"]}"},
            {"/v1/rerank", "{\"query\": \"q\", \"documents\": \"a\"}"},
            {"/v1/rerank", "{\"query\": \"q\", \"documents\": [1]}"},
            {"/v1/rerank", "{\"query\": \"q\", \"documents\": [\"a\"], \"top_n\": 0}"},
            {"/v1/rerank", "{\"query\": \"q\", \"documents\": [\"a\"], \"top_n\": \"2\"}"},
            {
                "/v1/rerank",
                "{\"query\": \"q\", \"documents\": [\"a\"], \"model\": \"no-such-model\"}"
            },
            {"/v1/rerank", "{\"query\": \"q\", \"documents\": [\"a\"], \"return_documents\": 1}"},
            {
                "/v1/rerank",
                "{\"query\": \"q\", \"documents\": "
                        + JSON.writeValueAsString(java.util.Collections.nCopies(2049, "d"))
                        + "}"
            },
            {"/v1/multi-vector", "{}"},
            {"/v1/multi-vector", "{\"input\": \"x\", \"input_type\": \"passages\"}"},
            {"/v1/multi-vector", "{\"input\": \"x\", \"dimensions\": 0}"},
            {"/v1/multi-vector", "{\"input\": \"x\", \"dimensions\": 4096}"},
            {"/v1/multi-vector", "{\"input\": \"x\", \"model\": \"tiny-cross-encoder\"}"},
            {
                "/v1/multi-vector",
                "{\"input\": "
                        + JSON.writeValueAsString(
                                java.util.Collections.nCopies(100, "word ".repeat(300)))
                        + "}"
            },
            {"/v1/classify", "{\"input\": \"x\"}"},
            {"/v1/classify", "{\"input\": \"x\", \"labels\": [\"one\"]}"},
            {"/v1/classify", "{\"input\": \"x\", \"labels\": \"a,b\"}"},
            {"/v1/classify", "{\"input\": [], \"labels\": [\"a\", \"b\"]}"},
            {"/v1/classify", "{\"labels\": [\"a\", \"b\"]}"},
            {"/v1/rerank", "{not json"},
        };
        for (String[] c : bad) {
            HttpResponse<String> response = post(c[0], c[1]);
            String shown = c[1].length() > 100 ? c[1].substring(0, 100) + "…" : c[1];
            assertEquals(422, response.statusCode(), c[0] + " " + shown + " → " + response.body());
            JsonNode detail = JSON.readTree(response.body()).get("detail");
            assertTrue(
                    detail != null && detail.isTextual() && !detail.asText().isBlank(),
                    response.body());
        }
    }
}
