package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.models.Classifier;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.Reranker;
import dev.plinth.models.Segmenter;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * plinth's MCP server through the SDK's own client: over streamable HTTP at {@code /mcp} on a real
 * server (with an API key, real models and real Chromium), and over stdio by spawning {@code plinth
 * mcp}; every tool is called against loopback pages.
 */
class McpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "mcp-test-key";
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    static ModelRegistry registry;
    static Plinth plinth;
    static TestSite site;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        site.start();
        registry = ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()));
        Embedder embedder = new Embedder(registry);
        plinth =
                Plinth.start(
                        Plinth.config(null)
                                .andThen(c -> {
                                    c.apiKeys = List.of(KEY);
                                    c.browser = true;
                                }),
                        List.of(
                                new EmbeddingsRoutes(embedder),
                                new RerankRoutes(new Reranker(registry)),
                                new SegmentRoutes(Segmenter.withModels(registry)),
                                new ClassifyRoutes(new Classifier(embedder))));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        registry.close();
        site.close();
    }

    private static McpSyncClient http(String key, List<McpSchema.ProgressNotification> progress) {
        var transport =
                HttpClientStreamableHttpTransport.builder(plinth.base())
                        .endpoint("/mcp")
                        .requestBuilder(
                                key == null
                                        ? HttpRequest.newBuilder()
                                        : HttpRequest.newBuilder()
                                                .header("Authorization", "Bearer " + key))
                        .build();
        McpSyncClient client =
                McpClient.sync(transport)
                        .requestTimeout(Duration.ofSeconds(120))
                        .progressConsumer(progress::add)
                        .build();
        client.initialize();
        return client;
    }

    private static CallToolResult call(
            McpSyncClient client, String tool, Map<String, Object> args) {
        return client.callTool(CallToolRequest.builder(tool).arguments(args).build());
    }

    private static String text(CallToolResult result) {
        return result.content().stream()
                .map(c -> ((McpSchema.TextContent) c).text())
                .collect(Collectors.joining("\n"));
    }

    private static JsonNode json(CallToolResult result) throws Exception {
        assertFalse(Boolean.TRUE.equals(result.isError()), () -> text(result));
        return JSON.readTree(text(result));
    }

    @Test
    void overHttpEveryToolAnswers() throws Exception {
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        try (McpSyncClient client = http(KEY, progress)) {
            Set<String> names =
                    client.listTools().tools().stream()
                            .map(McpSchema.Tool::name)
                            .collect(Collectors.toSet());
            assertEquals(
                    Set.of(
                            "read_url",
                            "read_html",
                            "screenshot",
                            "embed",
                            "rerank",
                            "segment",
                            "classify"),
                    names);
            for (McpSchema.Tool tool : client.listTools().tools()) {
                assertTrue(tool.description().length() > 60, tool.name());
                assertEquals("object", tool.inputSchema().get("type"), tool.name());
            }

            // read_url with a progress token: the Markdown, and progress along the way.
            CallToolResult read =
                    client.callTool(
                            new CallToolRequest(
                                    "read_url",
                                    Map.of(
                                            "url",
                                            site.url("/article"),
                                            "remove_selector",
                                            List.of(".ad")),
                                    Map.of("progressToken", "read-1")));
            assertFalse(Boolean.TRUE.equals(read.isError()), () -> text(read));
            assertTrue(text(read).contains("## Second Section"), text(read));
            assertFalse(text(read).contains("Buy our product"), text(read));
            // The server sends its notifications before the answer, on the same stream, but the
            // client hands them to the consumer on another thread: wait for the last one.
            long until = System.nanoTime() + 10_000_000_000L;
            while (progress.stream().noneMatch(p -> "read".equals(p.message()))
                    && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertEquals("read", progress.getLast().message(), progress.toString());
            assertTrue(progress.getFirst().message().startsWith("reading "), progress.toString());
            assertTrue(progress.stream().allMatch(p -> p.progressToken().equals("read-1")));
            for (int i = 1; i < progress.size(); i++) {
                assertTrue(progress.get(i).progress() > progress.get(i - 1).progress());
            }

            CallToolResult html =
                    call(
                            client,
                            "read_html",
                            Map.of(
                                    "html",
                                    "<html><body><article><h1>Given Heading</h1><p>A paragraph"
                                            + " handed over as HTML text to the tool.</p></article>"
                                            + "</body></html>",
                                    "format",
                                    "markdown"));
            assertTrue(text(html).contains("Given Heading"), text(html));

            CallToolResult shot = call(client, "screenshot", Map.of("url", site.url("/article")));
            assertFalse(Boolean.TRUE.equals(shot.isError()), () -> shot.toString());
            McpSchema.ImageContent image =
                    assertInstanceOf(McpSchema.ImageContent.class, shot.content().getFirst());
            assertEquals("image/png", image.mimeType());
            byte[] png = java.util.Base64.getDecoder().decode(image.data());
            assertArrayEquals(PNG, Arrays.copyOf(png, 8));

            JsonNode embedded =
                    json(call(client, "embed", Map.of("texts", List.of("a cat", "a dog"))));
            assertEquals(2, embedded.path("data").size());
            assertTrue(embedded.path("data").get(0).path("embedding").size() > 100);

            JsonNode ranked =
                    json(
                            call(
                                    client,
                                    "rerank",
                                    Map.of(
                                            "query",
                                            "capital of France",
                                            "documents",
                                            List.of(
                                                    "Bananas are yellow.",
                                                    "Paris is in France."))));
            assertEquals(1, ranked.path("results").get(0).path("index").asInt());

            JsonNode segmented =
                    json(call(client, "segment", Map.of("content", "One sentence. Another one.")));
            assertTrue(segmented.path("num_tokens").asInt() > 3, segmented.toString());
            assertTrue(segmented.path("chunks").isArray(), segmented.toString());

            JsonNode classified =
                    json(
                            call(
                                    client,
                                    "classify",
                                    Map.of(
                                            "texts",
                                            List.of("I love this film, it was wonderful"),
                                            "labels",
                                            List.of("positive review", "negative review"))));
            assertEquals(
                    "positive review",
                    classified.path("data").get(0).path("prediction").asText(),
                    classified.toString());
        }
    }

    @Test
    void overHttpErrorsAreToolErrorsAndTheSessionGoesOn() throws Exception {
        try (McpSyncClient client = http(KEY, new CopyOnWriteArrayList<>())) {
            // Nothing listens on port 1: the reader's own message comes back as the tool error.
            CallToolResult refused = call(client, "read_url", Map.of("url", "http://127.0.0.1:1/"));
            assertTrue(refused.isError(), refused.toString());
            assertTrue(text(refused).contains("127.0.0.1:1"), text(refused));

            CallToolResult badSelector =
                    call(
                            client,
                            "read_url",
                            Map.of("url", site.url("/article"), "target_selector", "p[[["));
            assertTrue(badSelector.isError(), badSelector.toString());

            // A file path is for stdio only: over HTTP it would reach the server's disk.
            CallToolResult path = call(client, "read_html", Map.of("path", "/etc/hostname"));
            assertTrue(path.isError(), path.toString());
            assertFalse(text(path).contains(Files.readString(Path.of("/etc/hostname")).strip()));

            CallToolResult noTexts = call(client, "embed", Map.of("texts", List.of()));
            assertTrue(noTexts.isError(), noTexts.toString());

            // The session survived every refusal.
            assertTrue(
                    text(call(client, "read_url", Map.of("url", site.url("/article"))))
                            .contains("Second Section"));
        }
    }

    @Test
    void overHttpASessionMayListenAndEnd() throws Exception {
        // The transport's other two verbs: GET opens the server's event stream for a session,
        // DELETE ends the session; both through Javalin's handler, behind the key.
        HttpResponse<String> init =
                plinth.http.send(
                        HttpRequest.newBuilder(URI.create(plinth.base() + "/mcp"))
                                .header("Authorization", "Bearer " + KEY)
                                .header("Content-Type", "application/json")
                                .header("Accept", "application/json, text/event-stream")
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\":"
                                                        + " \"initialize\", \"params\":"
                                                        + " {\"protocolVersion\": \"2025-06-18\","
                                                        + " \"capabilities\": {}, \"clientInfo\":"
                                                        + " {\"name\": \"raw\", \"version\": \"1\"}}}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, init.statusCode(), init.body());
        assertTrue(init.body().contains("\"serverInfo\""), init.body());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();

        HttpResponse<java.io.InputStream> stream =
                plinth.http.send(
                        HttpRequest.newBuilder(URI.create(plinth.base() + "/mcp"))
                                .header("Authorization", "Bearer " + KEY)
                                .header("Accept", "text/event-stream")
                                .header("Mcp-Session-Id", session)
                                .timeout(Duration.ofSeconds(10))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        assertTrue(
                stream.headers()
                        .firstValue("Content-Type")
                        .orElse("")
                        .startsWith("text/event-stream"));
        stream.body().close();

        HttpResponse<String> end =
                plinth.http.send(
                        HttpRequest.newBuilder(URI.create(plinth.base() + "/mcp"))
                                .header("Authorization", "Bearer " + KEY)
                                .header("Mcp-Session-Id", session)
                                .DELETE()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(200, end.statusCode(), end.body());
        // The ended session is gone.
        HttpResponse<String> after =
                plinth.http.send(
                        HttpRequest.newBuilder(URI.create(plinth.base() + "/mcp"))
                                .header("Authorization", "Bearer " + KEY)
                                .header("Content-Type", "application/json")
                                .header("Accept", "application/json, text/event-stream")
                                .header("Mcp-Session-Id", session)
                                .POST(
                                        HttpRequest.BodyPublishers.ofString(
                                                "{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\":"
                                                        + " \"tools/list\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(404, after.statusCode(), after.body());
    }

    @Test
    void withoutModelsOnlyTheReadersToolsAreOffered() throws Exception {
        try (Plinth bare = Plinth.start(Plinth.config(null));
                McpSyncClient client =
                        McpClient.sync(
                                        HttpClientStreamableHttpTransport.builder(bare.base())
                                                .endpoint("/mcp")
                                                .build())
                                .requestTimeout(Duration.ofSeconds(30))
                                .build()) {
            client.initialize();
            assertEquals(
                    Set.of("read_url", "read_html", "screenshot"),
                    client.listTools().tools().stream()
                            .map(McpSchema.Tool::name)
                            .collect(Collectors.toSet()));
        }
    }

    @Test
    void aToolCallCountsOnceAgainstTheRateLimit() throws Exception {
        // Six requests a minute: initialize, its notification and three calls are five. Were
        // each call's own read counted too, the third call would be refused.
        try (Plinth limited =
                        Plinth.start(Plinth.config(null).andThen(c -> c.rateLimitPerMinute = 6));
                McpSyncClient client =
                        McpClient.sync(
                                        HttpClientStreamableHttpTransport.builder(limited.base())
                                                .endpoint("/mcp")
                                                .build())
                                .requestTimeout(Duration.ofSeconds(30))
                                .build()) {
            client.initialize();
            for (int i = 0; i < 3; i++) {
                CallToolResult read =
                        call(client, "read_html", Map.of("html", "<p>Call number " + i + ".</p>"));
                assertFalse(Boolean.TRUE.equals(read.isError()), () -> text(read));
            }
            // A forged marker is no way around the limit.
            HttpResponse<String> forged = null;
            for (int i = 0; i < 3; i++) {
                forged =
                        limited.http.send(
                                HttpRequest.newBuilder(URI.create(limited.base() + "/health?x"))
                                        .header("X-Plinth-Internal", "guess")
                                        .POST(HttpRequest.BodyPublishers.ofString(""))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
            }
            assertEquals(429, forged.statusCode(), forged.body());
        }
    }

    @Test
    void overHttpTheApiKeyIsRequired() throws Exception {
        assertThrows(RuntimeException.class, () -> http(null, List.of()).close());
        HttpResponse<String> refused =
                plinth.http.send(
                        HttpRequest.newBuilder(URI.create(plinth.base() + "/mcp"))
                                .header("Content-Type", "application/json")
                                .header("Accept", "application/json, text/event-stream")
                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertEquals(401, refused.statusCode());
        assertTrue(
                Plinth.json(refused).path("message").asText().contains("API key"), refused.body());
    }

    @Test
    void overStdioFromASpawnedPlinthMcp(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("page.html");
        Files.writeString(
                page,
                "<html><head><title>Local file</title></head><body><article><h1>From Disk</h1>"
                        + "<p>A paragraph of an HTML file on this machine, read by path.</p>"
                        + "</article></body></html>");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ServerParameters command =
                ServerParameters.builder(java)
                        .args(
                                "--enable-native-access=ALL-UNNAMED",
                                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                "-cp",
                                System.getProperty("java.class.path"),
                                Main.class.getName(),
                                "mcp",
                                "--allow-private-network",
                                "--max-reads",
                                "2")
                        .build();
        var transport = new StdioClientTransport(command, new JacksonMcpJsonMapper(JSON));
        List<String> stderr = new CopyOnWriteArrayList<>();
        transport.setStdErrorHandler(stderr::add);
        try (McpSyncClient client =
                McpClient.sync(transport).requestTimeout(Duration.ofSeconds(120)).build()) {
            client.initialize();
            assertEquals(7, client.listTools().tools().size());
            McpSchema.Tool readHtml =
                    client.listTools().tools().stream()
                            .filter(t -> t.name().equals("read_html"))
                            .findFirst()
                            .orElseThrow();
            assertTrue(((Map<?, ?>) readHtml.inputSchema().get("properties")).containsKey("path"));

            CallToolResult read = call(client, "read_url", Map.of("url", site.url("/article")));
            assertTrue(text(read).contains("## Second Section"), text(read));

            CallToolResult file = call(client, "read_html", Map.of("path", page.toString()));
            assertFalse(Boolean.TRUE.equals(file.isError()), () -> text(file));
            assertTrue(text(file).contains("read by path"), text(file));

            JsonNode segmented =
                    json(call(client, "segment", Map.of("content", "Counted on stdio.")));
            assertTrue(segmented.path("num_tokens").asInt() > 2);

            CallToolResult refused =
                    call(client, "read_url", Map.of("url", "ftp://example.invalid/x"));
            assertTrue(refused.isError(), refused.toString());
        }
    }
}
