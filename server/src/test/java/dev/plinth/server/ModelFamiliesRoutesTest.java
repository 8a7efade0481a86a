package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import com.sun.net.httpserver.HttpServer;
import dev.plinth.models.Classifier;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.MultiVector;
import dev.plinth.models.Reranker;
import dev.plinth.reader.fetch.Fetcher;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The model APIs over the tiny Jina-family folders of scripts/make-tiny-jina-models.py: image
 * inputs by URL (through the reader's network guard), data URL and base64; token arrays; aliases
 * and their listing; rerank, classify and multi-vector with CLIP and ColBERT folders; the /v1 error
 * body. Two servers: one whose guard refuses private addresses (as in production), one that allows
 * them so the loopback image server can be reached.
 */
class ModelFamiliesRoutesTest {

    static final Path TINY = Path.of("../models/src/test/resources").toAbsolutePath().normalize();
    static ModelRegistry registry;
    static Plinth strict;
    static Plinth open;
    static HttpServer images;

    static byte[] fixture(String name) throws Exception {
        return Files.readAllBytes(TINY.resolve("image-fixtures").resolve(name));
    }

    static List<RouteGroup> routes(boolean allowPrivate) {
        Fetcher fetcher =
                new Fetcher(Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(allowPrivate));
        Embedder embedder = new Embedder(registry);
        return List.of(
                new EmbeddingsRoutes(embedder, fetcher),
                new RerankRoutes(new Reranker(registry), fetcher),
                new ClassifyRoutes(new Classifier(embedder), fetcher),
                new MultiVectorRoutes(new MultiVector(registry)),
                new ModelsRoutes(registry));
    }

    @BeforeAll
    static void start() throws Exception {
        registry =
                ModelRegistry.create(
                        ModelRegistry.Options.defaults()
                                .withFolders(List.of(TINY))
                                .withAliases(ModelRegistry.CLIENT_ALIASES)
                                .withAliases(Map.of("my-clip", "tiny-jina-clip"))
                                .withDefault(ModelRegistry.EMBEDDINGS, "tiny-jina-v3"));
        images = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        byte[] red = fixture("red.png");
        images.createContext(
                "/red.png",
                ex -> {
                    ex.getResponseHeaders().set("Content-Type", "image/png");
                    ex.sendResponseHeaders(200, red.length);
                    ex.getResponseBody().write(red);
                    ex.close();
                });
        images.start();
        strict = Plinth.start(Plinth.config(null), routes(false));
        open = Plinth.start(Plinth.config(null), routes(true));
    }

    @AfterAll
    static void stop() {
        strict.close();
        open.close();
        images.stop(0);
        registry.close();
    }

    static JsonNode ok(Plinth p, String path, String body) throws Exception {
        HttpResponse<String> r = p.postJson(path, body);
        assertEquals(200, r.statusCode(), r.body());
        return Plinth.json(r);
    }

    static float[] floats(JsonNode array) {
        return EmbeddingsRoutesTest.floats(array);
    }

    static String imageUrl() {
        return "http://127.0.0.1:" + images.getAddress().getPort() + "/red.png";
    }

    @Test
    void imageUrl_isFetchedThroughTheGuardAndEmbeddedInTheTextSpace() throws Exception {
        String b64 = Base64.getEncoder().encodeToString(fixture("red.png"));
        JsonNode body =
                ok(
                        open,
                        "/v1/embeddings",
                        "{\"model\": \"my-clip\", \"input\": [{\"text\": \"red\"}, {\"image\": \""
                                + imageUrl()
                                + "\"}, {\"image\": \"data:image/png;base64,"
                                + b64
                                + "\"}, {\"image\": \""
                                + b64
                                + "\"}]}");
        assertEquals("tiny-jina-clip", body.get("model").asText(), "the model that served");
        float[] text = floats(body.at("/data/0/embedding"));
        float[] byUrl = floats(body.at("/data/1/embedding"));
        assertArrayEquals(new float[] {1, 0, 0, 0}, text, 1e-6f);
        assertArrayEquals(byUrl, floats(body.at("/data/2/embedding")), 1e-6f);
        assertArrayEquals(byUrl, floats(body.at("/data/3/embedding")), 1e-6f);
        assertTrue(byUrl[0] > 0.5, "a red image is near the word red: " + byUrl[0]);
    }

    @Test
    void privateImageUrl_isRefusedWith451InTheV1Shape() throws Exception {
        HttpResponse<String> r =
                strict.postJson(
                        "/v1/embeddings",
                        "{\"model\": \"tiny-jina-clip\", \"input\": [{\"image\": \""
                                + imageUrl()
                                + "\"}]}");
        assertEquals(451, r.statusCode(), r.body());
        JsonNode json = Plinth.json(r);
        assertTrue(json.get("detail").asText().contains("input[0]"), r.body());
        assertEquals(json.get("detail").asText(), json.at("/error/message").asText());
        assertEquals("security_compromise", json.at("/error/code").asText());
    }

    @Test
    void tokenArrays_areTheModelsOwnIdsOrOpenAisUnderOpenAiNames() throws Exception {
        JsonNode byText =
                ok(
                        strict,
                        "/v1/embeddings",
                        "{\"model\": \"tiny-jina-v3\", \"input\": \"red apple\"}");
        // tiny-jina-v3's own ids for "▁red ▁apple" (see its tokenizer.json).
        JsonNode own =
                ok(
                        strict,
                        "/v1/embeddings",
                        "{\"model\": \"tiny-jina-v3\", \"input\": [[27, 22]]}");
        assertArrayEquals(
                floats(byText.at("/data/0/embedding")), floats(own.at("/data/0/embedding")), 1e-6f);
        assertEquals(4, own.at("/usage/total_tokens").asInt(), "<s> ▁red ▁apple </s>");

        // Under an OpenAI name the ids are cl100k_base's, as LangChain's Python client sends them.
        var cl100k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
        String ids = cl100k.encode("red apple").boxed().toString();
        JsonNode openAi =
                ok(
                        strict,
                        "/v1/embeddings",
                        "{\"model\": \"text-embedding-3-small\", \"input\": [" + ids + "]}");
        assertEquals("tiny-jina-v3", openAi.get("model").asText());
        assertArrayEquals(
                floats(byText.at("/data/0/embedding")),
                floats(openAi.at("/data/0/embedding")),
                1e-6f);

        HttpResponse<String> outside =
                strict.postJson(
                        "/v1/embeddings",
                        "{\"model\": \"tiny-jina-v3\", \"input\": [[27, 99999]]}");
        assertEquals(422, outside.statusCode());
        assertTrue(outside.body().contains("outside the model's vocabulary"), outside.body());
    }

    @Test
    void models_listsAliasesAndEndpointDefaults() throws Exception {
        JsonNode body = Plinth.json(strict.get("/v1/models"));
        assertEquals("tiny-jina-clip", body.at("/aliases/my-clip").asText());
        assertEquals("tiny-jina-v3", body.at("/aliases/jina-embeddings-v3").asText());
        assertEquals("tiny-jina-v3", body.at("/defaults/embeddings").asText());
        for (JsonNode m : body.get("data")) {
            if (m.get("id").asText().equals("tiny-jina-clip")) {
                assertEquals("clip", m.get("kind").asText());
                assertTrue(m.get("aliases").toString().contains("my-clip"));
            }
        }
    }

    @Test
    void rerankAndClassify_takeImagesWithAClipModel() throws Exception {
        String blue = Base64.getEncoder().encodeToString(fixture("blue.webp"));
        JsonNode ranked =
                ok(
                        strict,
                        "/v1/rerank",
                        "{\"model\": \"tiny-jina-clip\", \"query\": \"blue\", \"documents\":"
                                + " [\"red\", {\"image\": \""
                                + blue
                                + "\"}]}");
        assertEquals(1, ranked.at("/results/0/index").asInt());
        assertTrue(ranked.at("/results/0/document/text").isNull(), "an image has no text");
        JsonNode classified =
                ok(
                        strict,
                        "/v1/classify",
                        "{\"model\": \"tiny-jina-clip\", \"input\": [{\"image\": \""
                                + blue
                                + "\"}], \"labels\": [\"red\", \"green\", \"blue\"]}");
        assertEquals("blue", classified.at("/data/0/prediction").asText());
    }

    @Test
    void multiVector_withAColbertFolderAndItsClientName() throws Exception {
        JsonNode body =
                ok(
                        strict,
                        "/v1/multi-vector",
                        "{\"model\": \"tiny-jina-colbert\", \"input\": \"red apple\","
                                + " \"input_type\": \"query\"}");
        assertEquals(8, body.at("/data/0/embeddings").size(), "query_tokens, expansion included");
        assertEquals(4, body.at("/data/0/embeddings/0").size());
    }

    @Test
    void unknownModel_saysSoInBothErrorShapes() throws Exception {
        HttpResponse<String> r =
                strict.postJson("/v1/embeddings", "{\"model\": \"nope\", \"input\": \"x\"}");
        assertEquals(422, r.statusCode());
        JsonNode json = Plinth.json(r);
        assertTrue(json.get("detail").asText().contains("unknown model 'nope'"), r.body());
        assertEquals("model_not_found", json.at("/error/code").asText());
        assertEquals("invalid_request_error", json.at("/error/type").asText());
        assertTrue(
                json.at("/error/message").asText().contains("jina-embeddings-v3"), "aliases named");
    }
}
