package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.plinth.models.Classifier;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.Reranker;
import dev.plinth.models.Segmenter;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document: served as JSON and YAML, valid for swagger-parser, complete for the
 * reader's option table, and true of real responses, one or more per route and per error shape
 * ({@link ApiContract}, which {@link Plinth} also applies to every API test's responses).
 */
class OpenApiTest {

    static ModelRegistry registry;
    static Plinth plinth;
    static Plinth keyed;
    static TestSite site;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        site.start();
        registry = ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()));
        Embedder embedder = new Embedder(registry);
        plinth =
                Plinth.start(
                        Plinth.config(null),
                        List.of(
                                new EmbeddingsRoutes(embedder),
                                new ModelsRoutes(registry),
                                new RerankRoutes(new Reranker(registry)),
                                new SegmentRoutes(Segmenter.withModels(registry)),
                                new ClassifyRoutes(new Classifier(embedder))));
        keyed = Plinth.start(Plinth.config(null).andThen(c -> c.apiKeys = List.of("k")));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        keyed.close();
        registry.close();
        site.close();
    }

    @Test
    void theDocumentIsValidOpenApi31InJsonAndYaml() throws Exception {
        HttpResponse<String> json = plinth.get("/openapi.json");
        assertEquals(200, json.statusCode());
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(json.body());
        assertEquals(List.of(), parsed.getMessages());
        assertEquals("3.1.0", parsed.getOpenAPI().getOpenapi());

        HttpResponse<String> yaml = plinth.get("/openapi.yaml");
        assertEquals(200, yaml.statusCode());
        assertTrue(
                yaml.headers()
                        .firstValue("Content-Type")
                        .orElse("")
                        .startsWith("application/yaml"));
        SwaggerParseResult fromYaml = new OpenAPIV3Parser().readContents(yaml.body());
        assertEquals(List.of(), fromYaml.getMessages());
        assertEquals(
                Plinth.JSON.readTree(json.body()),
                new ObjectMapper(new YAMLFactory()).readTree(yaml.body()));

        // Open like /health: a client discovers the API before it has a key.
        assertEquals(200, keyed.get("/openapi.json").statusCode());
    }

    @Test
    void everyRouteIsDocumented() throws Exception {
        JsonNode paths = Plinth.json(plinth.get("/openapi.json")).path("paths");
        Set<String> names = new HashSet<>();
        paths.fieldNames().forEachRemaining(names::add);
        assertEquals(
                Set.of(
                        "/",
                        "/{url}",
                        "/shots/{id}",
                        "/playground/{file}",
                        "/health",
                        "/metrics",
                        "/openapi.json",
                        "/openapi.yaml",
                        "/mcp",
                        "/v1/embeddings",
                        "/v1/rerank",
                        "/v1/multi-vector",
                        "/v1/classify",
                        "/v1/segment",
                        "/v1/models"),
                names);
        // Without models, no /v1 routes are promised.
        JsonNode bare = Plinth.json(keyed.get("/openapi.json")).path("paths");
        assertTrue(
                StreamSupport.stream(((Iterable<String>) bare::fieldNames).spliterator(), false)
                        .noneMatch(p -> p.startsWith("/v1/")));
    }

    @Test
    void everyReaderOptionIsAHeaderAndABodyField() throws Exception {
        JsonNode doc = Plinth.json(plinth.get("/openapi.json"));
        Set<String> headers =
                StreamSupport.stream(doc.at("/paths/~1{url}/get/parameters").spliterator(), false)
                        .filter(p -> p.path("in").asText().equals("header"))
                        .map(p -> p.path("name").asText())
                        .collect(Collectors.toSet());
        JsonNode fields = doc.at("/components/schemas/ReadRequest/properties");
        for (ReaderOptions.Option option : ReaderOptions.ALL) {
            assertTrue(headers.contains(option.header()), option.header());
            option.aliases().forEach(a -> assertTrue(headers.contains(a), a));
            assertTrue(fields.has(option.field()), option.field());
        }
        assertTrue(headers.contains("Accept"));
    }

    /** One real answer per route and per error shape, each checked by {@link Plinth}. */
    @Test
    void realAnswersMatchTheDocument() throws Exception {
        String article = "/" + site.url("/article");
        assertEquals(200, plinth.get(article).statusCode());
        assertEquals(200, plinth.get(article, "Accept", "application/json").statusCode());
        assertEquals(
                200,
                plinth.get(article, "Accept", "application/json", "X-With-Links-Summary", "true")
                        .statusCode());
        assertEquals(200, plinth.get(article, "Accept", "text/event-stream").statusCode());
        assertEquals(
                200,
                plinth.postJson(
                                "/",
                                "{\"html\": \"<p>Hello there, reader.</p>\"}",
                                "Accept",
                                "application/json")
                        .statusCode());
        // The reader's error shape: a bad option, a refused scheme, an unreadable page, a budget.
        assertEquals(400, plinth.get(article, "X-Timeout", "soon").statusCode());
        assertEquals(451, plinth.get("/ftp://example.com/x").statusCode());
        assertEquals(422, plinth.get("/http://127.0.0.1:1/").statusCode());
        assertEquals(409, plinth.get(article, "X-Token-Budget", "3").statusCode());
        assertEquals(404, plinth.get("/shots/nothing.png").statusCode());
        assertEquals(401, keyed.get(article).statusCode());
        assertEquals(401, keyed.postJson("/mcp", "{}").statusCode());

        assertEquals(200, plinth.get("/").statusCode());
        assertEquals(200, plinth.get("/", "Accept", "application/json").statusCode());
        assertEquals(200, plinth.get("/health").statusCode());
        assertEquals(200, plinth.get("/metrics").statusCode());

        assertEquals(
                200, plinth.postJson("/v1/embeddings", "{\"input\": [\"a\", \"b\"]}").statusCode());
        assertEquals(
                200,
                plinth.postJson(
                                "/v1/embeddings",
                                "{\"input\": \"a\", \"embedding_type\": [\"float\", \"base64\"]}")
                        .statusCode());
        assertEquals(
                200,
                plinth.postJson("/v1/rerank", "{\"query\": \"q\", \"documents\": [\"a\", \"b\"]}")
                        .statusCode());
        assertEquals(
                200,
                plinth.postJson(
                                "/v1/classify",
                                "{\"input\": [\"good\"], \"labels\": [\"x\", \"y\"]}")
                        .statusCode());
        assertEquals(
                200,
                plinth.postJson(
                                "/v1/segment",
                                "{\"content\": \"One. Two.\", \"return_chunks\": true, \"return_tokens\": true}")
                        .statusCode());
        assertEquals(200, plinth.get("/v1/models").statusCode());
        // The /v1 error shape: invalid input, an unknown model, a body that is not JSON.
        assertEquals(422, plinth.postJson("/v1/embeddings", "{\"input\": []}").statusCode());
        assertEquals(404, plinth.get("/v1/nothing").statusCode());
        assertEquals(
                422,
                plinth.postJson(
                                "/v1/rerank",
                                "{\"model\": \"no-such\", \"query\": \"q\", \"documents\": [\"a\"]}")
                        .statusCode());
        assertEquals(422, plinth.postJson("/v1/segment", "{not json").statusCode());
    }

    @Test
    void theCheckerCatchesAnAnswerTheDocumentDoesNotAllow() throws Exception {
        // A 418 is in no operation's list: the checker must say so.
        HttpResponse<String> teapot = new FakeResponse(418, "application/json", "{}");
        assertThrows(AssertionError.class, () -> ApiContract.check("GET", "/health", teapot));
        HttpResponse<String> wrongShape =
                new FakeResponse(200, "application/json", "{\"status\": 1}");
        assertThrows(AssertionError.class, () -> ApiContract.check("GET", "/health", wrongShape));
        HttpResponse<String> missing =
                new FakeResponse(200, "application/json", "{\"model\": \"m\"}");
        assertThrows(AssertionError.class, () -> ApiContract.check("POST", "/v1/rerank", missing));
    }

    /** A response as the checker sees it, for the negative cases. */
    private record FakeResponse(int statusCode, String type, String body)
            implements HttpResponse<String> {
        @Override
        public java.net.http.HttpRequest request() {
            return null;
        }

        @Override
        public java.util.Optional<HttpResponse<String>> previousResponse() {
            return java.util.Optional.empty();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return java.net.http.HttpHeaders.of(
                    java.util.Map.of("Content-Type", List.of(type)), (a, b) -> true);
        }

        @Override
        public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
            return java.util.Optional.empty();
        }

        @Override
        public java.net.URI uri() {
            return java.net.URI.create("http://127.0.0.1/");
        }

        @Override
        public java.net.http.HttpClient.Version version() {
            return java.net.http.HttpClient.Version.HTTP_1_1;
        }
    }
}
