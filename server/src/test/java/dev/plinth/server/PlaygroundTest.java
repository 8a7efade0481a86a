package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.browser.PageDriver;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.Reranker;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /} for each kind of client, and the playground driven in real headless Chromium
 * through plinth's own DevTools client: a read through the form, the embeddings heatmap, a rerank,
 * the tabs by keyboard, and a screenshot kept under target/ as an artifact.
 */
class PlaygroundTest {

    private static final String KEY = "playground-key";
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final String BROWSER_ACCEPT =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

    static ModelRegistry registry;
    static Plinth plinth;
    static TestSite site;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        site.start();
        registry = ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()));
        plinth =
                Plinth.start(
                        Plinth.config(null).andThen(c -> c.apiKeys = List.of(KEY)),
                        List.of(
                                new EmbeddingsRoutes(new Embedder(registry)),
                                new RerankRoutes(new Reranker(registry))));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        registry.close();
        site.close();
    }

    @Test
    void curlGetsTheRoutesAsTextAndJsonClientsAsJson() throws Exception {
        HttpResponse<String> text = plinth.get("/", "Accept", "*/*");
        assertTrue(text.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        for (String route :
                List.of(
                        "GET  /{url}",
                        "POST /v1/embeddings",
                        "POST /v1/rerank",
                        "GET  /v1/models",
                        "POST /mcp",
                        "GET  /openapi.json",
                        "GET  /health",
                        "GET  /metrics")) {
            assertTrue(text.body().contains(route), route + " in\n" + text.body());
        }
        JsonNode json = Plinth.json(plinth.get("/", "Accept", "application/json"));
        List<String> paths = json.path("routes").findValuesAsText("path");
        assertTrue(
                paths.containsAll(List.of("/{url}", "/v1/embeddings", "/mcp", "/openapi.json")),
                paths.toString());
    }

    @Test
    void aBrowserGetsThePageUnderAStrictPolicy() throws Exception {
        HttpResponse<String> page = plinth.get("/", "Accept", BROWSER_ACCEPT);
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), csp);
        assertFalse(page.body().contains("<script>"), "no inline script");
        assertFalse(
                page.body().matches("(?s).*(src|href)=\"https?://.*"), "nothing from elsewhere");
        // The files need no key (the page asks for one); unknown files are 404.
        assertEquals(200, plinth.get("/playground/playground.js").statusCode());
        assertEquals(404, plinth.get("/playground/nothing.js").statusCode());
    }

    @Test
    void thePlaygroundReadsEmbedsAndReranksInChromium() throws Exception {
        try (PageDriver page = PageDriver.open(plinth.server.port())) {
            page.navigate(plinth.base() + "/");
            assertEquals("plinth playground", page.eval("document.title").asText());
            // Only the chosen source's field shows, and only the selected tab's panel.
            assertTrue(
                    page.eval("document.getElementById('html-field').offsetParent === null")
                            .asBoolean());
            assertTrue(
                    page.eval("document.getElementById('panel-embed').offsetParent === null")
                            .asBoolean());

            // The key goes into the page's memory only.
            page.eval(
                    "document.getElementById('key').value = '"
                            + KEY
                            + "';"
                            + "document.getElementById('read-url').value = '"
                            + site.url("/article")
                            + "';"
                            + "document.getElementById('read-remove').value = '.ad';"
                            + "document.getElementById('read-go').click(); true");
            page.await(
                    "document.getElementById('read-markdown').textContent.includes('Second Section')",
                    Duration.ofSeconds(60));
            String markdown =
                    page.eval("document.getElementById('read-markdown').textContent").asText();
            assertTrue(markdown.contains("## Second Section"), markdown);
            assertFalse(markdown.contains("Buy our product"), markdown);
            assertEquals(
                    List.of("Second Section", "Third Section"),
                    texts(
                            page.eval(
                                    "[...document.querySelectorAll('#read-rendered h2')].map(h => h.textContent)")));
            assertEquals(
                    "web pages",
                    page.eval("document.querySelector('#read-rendered strong').textContent")
                            .asText());
            assertTrue(
                    page.eval("+document.getElementById('read-tokens').textContent").asInt() > 20);
            assertTrue(
                    page.eval("document.getElementById('read-time').textContent")
                            .asText()
                            .endsWith(" s"));
            assertTrue(
                    page.eval(
                                    "JSON.parse(document.getElementById('read-json').textContent).data.title")
                            .asText()
                            .equals("Plinth Test Article"));
            assertEquals(0, page.eval("localStorage.length + sessionStorage.length").asInt());
            assertEquals("", page.eval("document.cookie").asText());

            byte[] png = page.screenshot();
            assertArrayEquals(PNG, Arrays.copyOf(png, 8));
            Path artifact = Path.of("target", "playground-read.png");
            Files.createDirectories(artifact.getParent());
            Files.write(artifact, png);

            // The tabs by keyboard: focus Read, arrow right to Embeddings.
            page.eval("document.getElementById('tab-read').focus(); true");
            page.press("ArrowRight", "ArrowRight", 39);
            assertEquals("tab-embed", page.eval("document.activeElement.id").asText());
            assertTrue(page.eval("!document.getElementById('panel-embed').hidden").asBoolean());
            assertTrue(page.eval("document.getElementById('panel-read').hidden").asBoolean());

            page.eval("document.getElementById('embed-go').click(); true");
            page.await("!document.getElementById('embed-matrix').hidden", Duration.ofSeconds(60));
            JsonNode cells =
                    page.eval(
                            "[...document.querySelectorAll('#embed-matrix tbody tr')]"
                                    + ".map(tr => [...tr.querySelectorAll('td')].map(td => +td.textContent))");
            assertEquals(4, cells.size());
            for (int i = 0; i < 4; i++) {
                assertEquals(4, cells.get(i).size());
                assertEquals(1.0, cells.get(i).get(i).asDouble(), 0.011);
            }
            // The two texts about cats are closer to each other than to the market news.
            assertTrue(
                    cells.get(0).get(1).asDouble() > cells.get(0).get(2).asDouble(),
                    cells.toString());
            assertTrue(
                    cells.get(2).get(3).asDouble() > cells.get(2).get(1).asDouble(),
                    cells.toString());
            Files.write(Path.of("target", "playground-embeddings.png"), page.screenshot());

            page.press("ArrowRight", "ArrowRight", 39);
            assertEquals("tab-rerank", page.eval("document.activeElement.id").asText());
            page.eval("document.getElementById('rerank-go').click(); true");
            page.await(
                    "document.querySelectorAll('#rerank-results li').length === 3",
                    Duration.ofSeconds(60));
            assertTrue(
                    page.eval("document.querySelector('#rerank-results li').textContent")
                            .asText()
                            .startsWith("The Eiffel Tower stands in Paris"),
                    page.eval("document.getElementById('rerank-results').textContent").asText());
            Files.write(Path.of("target", "playground-rerank.png"), page.screenshot());

            // A refused call shows the server's message, not a broken page.
            page.eval(
                    "document.getElementById('key').value = 'wrong'; document.getElementById('rerank-go').click(); true");
            page.await(
                    "document.getElementById('rerank-status').classList.contains('error')",
                    Duration.ofSeconds(30));
            assertTrue(
                    page.eval("document.getElementById('rerank-status').textContent")
                            .asText()
                            .contains("not valid"),
                    page.eval("document.getElementById('rerank-status').textContent").asText());
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
