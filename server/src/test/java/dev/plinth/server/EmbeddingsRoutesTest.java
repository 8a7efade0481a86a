package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.models.BatchOptions;
import dev.plinth.models.Embedder;
import dev.plinth.models.EmbeddingType;
import dev.plinth.models.ModelRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/embeddings} and {@code GET /v1/models} on a real server with the bundled models.
 */
class EmbeddingsRoutesTest {

    static ModelRegistry registry;
    static Plinth plinth;

    @BeforeAll
    static void start() throws Exception {
        registry = ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()));
        plinth =
                Plinth.start(
                        Plinth.config(null),
                        List.of(
                                new EmbeddingsRoutes(new Embedder(registry)),
                                new ModelsRoutes(registry)));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        registry.close();
    }

    static JsonNode ok(String body) throws Exception {
        HttpResponse<String> r = plinth.postJson("/v1/embeddings", body);
        assertEquals(200, r.statusCode(), r.body());
        return Plinth.json(r);
    }

    static String invalid(String body) throws Exception {
        HttpResponse<String> r = plinth.postJson("/v1/embeddings", body);
        assertEquals(422, r.statusCode(), r.body());
        JsonNode json = Plinth.json(r);
        assertEquals(2, json.size(), "detail and error only: " + r.body());
        assertEquals(json.get("detail").asText(), json.at("/error/message").asText());
        assertEquals("invalid_request_error", json.at("/error/type").asText());
        return json.get("detail").asText();
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) array.get(i).asDouble();
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    @Test
    void embeds_inTheJinaShapeWithTheDefaultModel() throws Exception {
        JsonNode body = ok("{\"input\": [\"hello world\", {\"text\": \"second one\"}]}");
        assertEquals("bge-small-en-v1.5-int8", body.get("model").asText());
        assertEquals("list", body.get("object").asText());
        assertEquals(2, body.get("data").size());
        for (int i = 0; i < 2; i++) {
            JsonNode item = body.get("data").get(i);
            assertEquals("embedding", item.get("object").asText());
            assertEquals(i, item.get("index").asInt());
            assertEquals(384, item.get("embedding").size());
        }
        // [CLS] hello world [SEP] + [CLS] second one [SEP]
        assertEquals(8, body.at("/usage/total_tokens").asInt());
        assertEquals(8, body.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void embeds_aSingleStringAndTheChineseModel() throws Exception {
        JsonNode body = ok("{\"model\": \"bge-small-zh-v1.5-int8\", \"input\": \"一个男人在弹吉他。\"}");
        assertEquals(1, body.get("data").size());
        assertEquals(512, body.at("/data/0/embedding").size());
    }

    @Test
    void everyEmbeddingType_roundTripsToTheFloats() throws Exception {
        String input = "\"input\": [\"types round trip\"]";
        float[] f = floats(ok("{" + input + "}").at("/data/0/embedding"));
        JsonNode all =
                ok("{"
                                + input
                                + ", \"embedding_type\": [\"float\", \"base64\", \"binary\", \"ubinary\"]}")
                        .at("/data/0/embedding");
        assertArrayEquals(f, floats(all.get("float")), 1e-7f);
        assertArrayEquals(f, EmbeddingType.fromBase64(all.get("base64").asText()));
        boolean[] fromU = EmbeddingType.unpackBits(ints(all.get("ubinary")), 0, f.length);
        boolean[] fromB = EmbeddingType.unpackBits(ints(all.get("binary")), -128, f.length);
        assertEquals(48, all.get("ubinary").size());
        for (int d = 0; d < f.length; d++) {
            assertEquals(f[d] > 0, fromU[d], "ubinary bit " + d);
            assertEquals(f[d] > 0, fromB[d], "binary bit " + d);
        }
        for (JsonNode b : all.get("binary")) assertTrue(b.asInt() >= -128 && b.asInt() <= 127);
        // The aliases say the same thing.
        assertEquals(
                all.get("base64").asText(),
                ok("{" + input + ", \"encoding_type\": \"base64\"}")
                        .at("/data/0/embedding")
                        .asText());
        assertEquals(
                all.get("base64").asText(),
                ok("{" + input + ", \"encoding_format\": \"base64\"}")
                        .at("/data/0/embedding")
                        .asText());
    }

    @Test
    void dimensions_cutAndRenormalize_normalizedFalseKeepsRawLength() throws Exception {
        float[] cut =
                floats(
                        ok("{\"input\": \"nesting dolls\", \"dimensions\": 32}")
                                .at("/data/0/embedding"));
        assertEquals(32, cut.length);
        double norm = 0;
        for (float v : cut) norm += v * v;
        assertEquals(1.0, norm, 1e-4);
        float[] raw =
                floats(
                        ok("{\"input\": \"nesting dolls\", \"normalized\": false}")
                                .at("/data/0/embedding"));
        double rawNorm = 0;
        for (float v : raw) rawNorm += v * v;
        assertTrue(Math.abs(rawNorm - 1) > 1e-3, "raw norm " + rawNorm);
    }

    @Test
    void lateChunking_returnsOneVectorPerChunk() throws Exception {
        JsonNode body =
                ok("{\"input\": [\"Berlin is a city.\", \"It is big.\"], \"late_chunking\": true}");
        assertEquals(2, body.get("data").size());
        // One sequence: [CLS] + both chunks' tokens + [SEP].
        assertEquals(11, body.at("/usage/total_tokens").asInt());
    }

    @Test
    void truncate_defaultsOffAndThenNamesTheInput() throws Exception {
        String longText = "word ".repeat(600);
        String detail = invalid("{\"input\": [\"ok\", \"" + longText + "\"]}");
        assertTrue(detail.contains("input[1] has 602 tokens") && detail.contains("512"), detail);
        assertEquals(
                512,
                ok("{\"input\": \"" + longText + "\", \"truncate\": true}")
                        .at("/usage/total_tokens")
                        .asInt());
    }

    @Test
    void validationErrors_are422WithADetail() throws Exception {
        assertTrue(invalid("not json").contains("not valid JSON"));
        assertTrue(invalid("[1]").contains("JSON object"));
        assertTrue(invalid("{}").contains("'input' is required"));
        assertTrue(invalid("{\"input\": 5}").contains("'input' must be a string or a list"));
        assertTrue(invalid("{\"input\": []}").contains("must not be empty"));
        assertTrue(invalid("{\"input\": [\"a\", 3]}").contains("'input[1]'"));
        assertTrue(invalid("{\"input\": [{\"txt\": \"a\"}]}").contains("'input[0]'"));
        String many = "[" + String.join(",", java.util.Collections.nCopies(513, "\"x\"")) + "]";
        assertTrue(invalid("{\"input\": " + many + "}").contains("513 items"));
        String task = invalid("{\"input\": \"a\", \"task\": \"search\"}");
        assertTrue(
                task.contains("unknown task 'search'")
                        && task.contains(
                                "retrieval.query, retrieval.passage, text-matching, classification, separation"),
                task);
        assertTrue(invalid("{\"input\": \"a\", \"dimensions\": 0}").contains("between 1 and 384"));
        assertTrue(
                invalid("{\"input\": \"a\", \"dimensions\": 1000}").contains("between 1 and 384"));
        assertTrue(
                invalid("{\"input\": \"a\", \"dimensions\": \"64\"}")
                        .contains("'dimensions' must be an integer"));
        assertTrue(
                invalid("{\"input\": \"a\", \"normalized\": \"yes\"}")
                        .contains("'normalized' must be true or false"));
        assertTrue(invalid("{\"input\": \"a\", \"truncate\": 1}").contains("'truncate'"));
        assertTrue(
                invalid("{\"input\": \"a\", \"late_chunking\": \"no\"}")
                        .contains("'late_chunking'"));
        assertTrue(
                invalid("{\"input\": \"a\", \"model\": 7}").contains("'model' must be a string"));
        String type = invalid("{\"input\": \"a\", \"embedding_type\": \"int8\"}");
        assertTrue(type.contains("float, base64, binary, ubinary"), type);
        assertTrue(invalid("{\"input\": \"a\", \"embedding_type\": []}").contains("at least one"));
        assertTrue(
                invalid(
                                "{\"input\": \"a\", \"embedding_type\": \"float\", \"encoding_format\": \"base64\"}")
                        .contains("disagree"));
        String model = invalid("{\"input\": \"a\", \"model\": \"text-embedding-3-small\"}");
        assertTrue(
                model.contains("unknown model") && model.contains("bge-small-en-v1.5-int8"), model);
    }

    @Test
    void models_listsWhatIsServedAndWhatCanBeAdded() throws Exception {
        ok("{\"input\": \"load the default\"}");
        HttpResponse<String> r = plinth.get("/v1/models");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = Plinth.json(r);
        List<String> ids = new ArrayList<>();
        for (JsonNode m : body.get("data")) {
            ids.add(m.get("id").asText());
            if (m.get("id").asText().equals("bge-small-en-v1.5-int8")) {
                assertTrue(m.get("default").asBoolean());
                assertTrue(m.get("loaded").asBoolean());
                assertEquals(512, m.get("max_tokens").asInt());
            }
        }
        assertTrue(
                ids.containsAll(List.of("bge-small-en-v1.5-int8", "bge-small-zh-v1.5-int8")),
                ids.toString());
        List<String> more = new ArrayList<>();
        for (JsonNode m : body.get("installable")) more.add(m.get("id").asText());
        assertTrue(
                more.contains("bge-small-en-v1.5") && more.contains("all-MiniLM-L6-v2"),
                more.toString());
        assertFalse(more.contains("bge-small-en-v1.5-int8"));
        List<String> rerank = new ArrayList<>();
        for (JsonNode m : body.get("rerank")) rerank.add(m.asText());
        assertEquals("bge-small-en-v1.5-int8-maxsim", rerank.getFirst());
        assertTrue(
                rerank.containsAll(
                        List.of("bge-small-en-v1.5-int8-fused", "bge-small-zh-v1.5-int8-cosine")),
                rerank.toString());
    }

    @Test
    void fullModelQueue_answers429WithRetryAfter() throws Exception {
        ModelRegistry tiny =
                ModelRegistry.create(
                        ModelRegistry.Options.defaults()
                                .withFolders(List.of())
                                .withBatching(
                                        BatchOptions.defaults()
                                                .withQueue(
                                                        4 * 302,
                                                        java.time.Duration.ofSeconds(10))));
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try (tiny;
                Plinth small =
                        Plinth.start(
                                Plinth.config(null),
                                List.of(new EmbeddingsRoutes(new Embedder(tiny))))) {
            String body =
                    "{\"truncate\": true, \"input\": ["
                            + String.join(
                                    ",",
                                    java.util.Collections.nCopies(
                                            4, "\"" + "word ".repeat(300) + "\""))
                            + "]}";
            HttpResponse<String> refused = null;
            for (int round = 0; round < 5 && refused == null; round++) {
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                for (int c = 0; c < 8; c++) {
                    calls.add(
                            CompletableFuture.supplyAsync(
                                    () -> {
                                        try {
                                            return small.postJson("/v1/embeddings", body);
                                        } catch (Exception e) {
                                            throw new IllegalStateException(e);
                                        }
                                    },
                                    clients));
                }
                for (var call : calls) {
                    HttpResponse<String> r = call.join();
                    assertTrue(
                            r.statusCode() == 200 || r.statusCode() == 429,
                            r.statusCode() + " " + r.body());
                    if (r.statusCode() == 429) refused = r;
                }
            }
            assertNotNull(refused, "8 clients on a queue of 4 sequences' tokens must overflow it");
            assertTrue(
                    Integer.parseInt(refused.headers().firstValue("Retry-After").orElseThrow())
                            >= 1);
            assertTrue(Plinth.json(refused).get("detail").asText().contains("busy"));
        } finally {
            clients.shutdownNow();
        }
    }
}
