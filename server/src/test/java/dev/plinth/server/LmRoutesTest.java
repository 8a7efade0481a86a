package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.plinth.reader.lm.FakeBackend;
import dev.plinth.reader.lm.ReaderLm;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The LM engine through the server: a fake OpenAI-compatible backend on a loopback port (real HTTP,
 * streamed and whole answers) behind {@code --lm-url}, pages served from 127.0.0.1.
 */
@Timeout(120)
class LmRoutesTest {

    /**
     * A small page: the card's cleaning shows in the prompt (script, style, comment, meta gone).
     */
    static final String SMALL =
            "<!doctype html><html><head><title>Tides</title><meta name=\"x\" content=\"y\">"
                    + "<style>p{color:red}</style><script>track()</script></head>"
                    + "<body><!-- banner --><h1>Tides</h1><p>Two a <a href=\"/day\">day</a>.</p>"
                    + "<img src=\"data:image/png;base64,iVBORw0KGgo=\"></body></html>";

    static final String PNG_BYTES = "\u0089PNG\r\n\u001a\nfake image bytes";

    private static HttpServer site;
    private static final Map<String, String> pages = new ConcurrentHashMap<>();
    private static final AtomicInteger imageHits = new AtomicInteger();

    @BeforeAll
    static void startSite() throws IOException {
        site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        site.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        site.createContext(
                "/",
                ex -> {
                    try (ex) {
                        String path = ex.getRequestURI().getPath();
                        if (path.startsWith("/img/")) {
                            imageHits.incrementAndGet();
                            byte[] png = PNG_BYTES.getBytes(StandardCharsets.ISO_8859_1);
                            ex.getResponseHeaders().set("Content-Type", "image/png");
                            ex.sendResponseHeaders(200, png.length);
                            ex.getResponseBody().write(png);
                            return;
                        }
                        String html = pages.get(path);
                        byte[] body =
                                (html == null ? "not here" : html).getBytes(StandardCharsets.UTF_8);
                        ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                        ex.sendResponseHeaders(html == null ? 404 : 200, body.length);
                        try (OutputStream out = ex.getResponseBody()) {
                            out.write(body);
                        }
                    }
                });
        site.start();
        pages.put("/small", SMALL);
        pages.put("/article", TestSite.ARTICLE);
        pages.put("/long", longPage(60));
        pages.put("/links", linkPage());
        pages.put(
                "/pictures",
                "<html><head><title>Pictures</title></head><body><article><h1>Harbour</h1>"
                        + "<p>The harbour at dawn, with the fishing fleet going out on the tide"
                        + " and the gulls following it out past the lighthouse.</p>"
                        + "<img src=\"/img/boat.png\"><img src=\"/img/boat.png\">"
                        + "<img src=\"/img/gull.png\" alt=\"A gull\"></article></body></html>");
    }

    @AfterAll
    static void stopSite() {
        site.stop(0);
    }

    static String page(String path) {
        return "/http://127.0.0.1:" + site.getAddress().getPort() + path;
    }

    /** A page of {@code n} numbered paragraphs, long enough to need several chunks. */
    static String longPage(int n) {
        StringBuilder html =
                new StringBuilder("<html><head><title>Long</title></head><body><article>");
        for (int i = 1; i <= n; i++) {
            html.append("<p>Paragraph ")
                    .append(i)
                    .append(": the tide comes in over the mud flats and goes out again, twice a")
                    .append(" day, and the channel markers lean with the current as it turns.</p>");
        }
        return html.append("</article></body></html>").toString();
    }

    /** A page the extractor is unsure of: plenty of text, all of it short link lines. */
    static String linkPage() {
        StringBuilder html = new StringBuilder("<html><head><title>Index</title></head><body>");
        html.append("<div id=\"app\"><ul>");
        for (int i = 1; i <= 80; i++) {
            html.append("<li><a href=\"/story/")
                    .append(i)
                    .append("\">Story number ")
                    .append(i)
                    .append(" about the coast</a></li>");
        }
        return html.append("</ul></div></body></html>").toString();
    }

    static Consumer<Server.Config> withLm(FakeBackend backend, Consumer<Server.Config> more) {
        return Plinth.config(null)
                .andThen(c -> {
                    c.lm = ReaderLm.Backend.of(backend.url().toString(), "readerlm-v2", null);
                    c.lmTimeout = Duration.ofSeconds(20);
                })
                .andThen(more);
    }

    static Consumer<Server.Config> withLm(FakeBackend backend) {
        return withLm(backend, c -> {});
    }

    static final String[] JSON = {"Accept", "application/json"};

    // ---- readerlm-v2 ----

    @Test
    void readerLmGetsTheCardsPromptAndItsMarkdownIsTheContent() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            lm.script(FakeBackend.text("```markdown\n# Tides\n\nTwo a [day](/day).\n```"));
            HttpResponse<String> r =
                    plinth.get(
                            page("/small"),
                            "Accept",
                            "application/json",
                            "X-Respond-With",
                            "readerlm-v2");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("readerlm-v2", r.headers().firstValue("X-Content-Engine").orElseThrow());
            JsonNode data = Plinth.json(r).get("data");
            assertEquals("# Tides\n\nTwo a [day](/day).", data.get("content").asText());
            assertEquals("readerlm-v2", data.get("engine").asText());
            assertEquals("Tides", data.get("title").asText());
            JsonNode usage = data.get("usage");
            assertEquals(FakeBackend.PROMPT_TOKENS, usage.get("promptTokens").asInt());
            assertEquals(FakeBackend.COMPLETION_TOKENS, usage.get("completionTokens").asInt());
            assertEquals("readerlm-v2", usage.get("model").asText());
            assertEquals(
                    FakeBackend.PROMPT_TOKENS + FakeBackend.COMPLETION_TOKENS,
                    Plinth.json(r).at("/meta/usage/totalTokens").asInt());

            assertEquals(1, lm.calls().size());
            FakeBackend.Call call = lm.calls().get(0);
            assertTrue(call.stream(), "the engine asks for a stream");
            assertEquals("readerlm-v2", call.body().get("model").asText());
            assertEquals(1, call.messages().size());
            assertEquals("user", call.messages().get(0).get("role").asText());
            String base = "http://127.0.0.1:" + site.getAddress().getPort();
            // Golden: the card's instruction and fence around the cleaned page.
            assertEquals(
                    "Extract the main content from the given HTML and convert it to Markdown"
                            + " format.\n```html\n<!doctype html><html><head><title>Tides</title></head>"
                            + "<body><h1>Tides</h1><p>Two a <a href=\""
                            + base
                            + "/day\">day</a>.</p><img src=\"#\"></body></html>\n```",
                    call.prompt());
            assertEquals(0, call.body().get("temperature").asInt());
        }
    }

    @Test
    void aWholeJsonAnswerToAStreamedRequestIsReadToo() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            lm.script(FakeBackend.whole("# Tides"));
            HttpResponse<String> r = plinth.get(page("/small"), "X-Respond-With", "readerlm-v2");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("Markdown Content:\n# Tides\n"), r.body());
            assertEquals("readerlm-v2", r.headers().firstValue("X-Content-Engine").orElseThrow());
        }
    }

    @Test
    void aLongPageIsSentInChunksOnElementBoundariesAndTheAnswersJoined() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm, c -> c.lmContextTokens = 2048))) {
            AtomicInteger n = new AtomicInteger();
            lm.otherwise(call -> FakeBackend.text("part " + n.incrementAndGet()));
            HttpResponse<String> r =
                    plinth.get(page("/long"), JSON[0], JSON[1], "X-Engine", "readerlm-v2");
            assertEquals(200, r.statusCode(), r.body());
            int calls = lm.calls().size();
            assertTrue(calls >= 2 && calls <= 4, "chunks sent: " + calls);
            StringBuilder expected = new StringBuilder();
            for (int i = 1; i <= calls; i++) {
                expected.append(i > 1 ? "\n\n" : "").append("part ").append(i);
            }
            JsonNode data = Plinth.json(r).get("data");
            assertEquals(expected.toString(), data.get("content").asText());
            int seen = 0;
            for (FakeBackend.Call call : lm.calls()) {
                String prompt = call.prompt();
                assertTrue(prompt.startsWith("Extract the main content"), prompt);
                assertTrue(prompt.endsWith("\n```"), prompt);
                // Element boundaries: no paragraph is cut in two.
                int open = prompt.split("<p>", -1).length - 1;
                int close = prompt.split("</p>", -1).length - 1;
                assertEquals(open, close, prompt);
                seen += open;
            }
            if (seen < 60) {
                assertTrue(data.path("warning").asText().contains("cut"), data.toString());
            }
            assertEquals(calls * FakeBackend.PROMPT_TOKENS, data.at("/usage/promptTokens").asInt());
        }
    }

    // ---- instruction + jsonSchema ----

    static final String SCHEMA =
            "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"}},"
                    + "\"required\":[\"title\"]}";

    @Test
    void jsonSchemaAnswersAreCheckedAndRetriedOnceWithTheErrors() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            lm.script(
                    FakeBackend.text("{\"name\": 1}"),
                    FakeBackend.text("```json\n{\"title\": \"Tides\"}\n```"));
            HttpResponse<String> r =
                    plinth.postJson(
                            "/",
                            "{\"url\":\""
                                    + page("/small").substring(1)
                                    + "\",\"instruction\":\"Find the title.\",\"jsonSchema\":"
                                    + SCHEMA
                                    + "}",
                            JSON);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode data = Plinth.json(r).get("data");
            assertEquals("Tides", data.at("/json/title").asText());
            assertEquals("readerlm-v2", data.get("engine").asText());
            assertEquals(2, lm.calls().size());
            String first = lm.calls().get(0).prompt();
            assertTrue(first.startsWith("Find the title.\n```html\n"), first);
            assertTrue(
                    first.endsWith(
                                    "\n```\nThe JSON schema is as follows:```json\n"
                                            + SCHEMA
                                            + "\n```")
                            || first.contains("The JSON schema is as follows:```json\n"),
                    first);
            List<JsonNode> retry = lm.calls().get(1).messages();
            assertEquals(3, retry.size());
            assertEquals("assistant", retry.get(1).get("role").asText());
            assertTrue(retry.get(2).get("content").asText().contains("title"), retry.toString());
            assertEquals(2 * FakeBackend.PROMPT_TOKENS, data.at("/usage/promptTokens").asInt());
        }
    }

    @Test
    void aSchemaStillBrokenAfterTheRetryIs422WithTheErrors() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            lm.otherwise(call -> FakeBackend.text("{\"name\": 1}"));
            HttpResponse<String> r =
                    plinth.get(
                            page("/small"),
                            "X-Json-Schema",
                            SCHEMA,
                            "X-Instruction",
                            "Find the title.");
            assertEquals(422, r.statusCode(), r.body());
            JsonNode body = Plinth.json(r);
            assertTrue(body.get("errors").isArray() && !body.get("errors").isEmpty(), r.body());
            assertTrue(body.get("detail").asText().contains("jsonSchema"), r.body());
            assertEquals(2, lm.calls().size());
        }
    }

    @Test
    void aSchemaThatIsNotJsonIs400BeforeAnyCall() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            HttpResponse<String> r = plinth.get(page("/small"), "X-Json-Schema", "{not json");
            assertEquals(400, r.statusCode(), r.body());
            assertEquals(0, lm.calls().size());
        }
    }

    // ---- failures of the backend ----

    @Test
    void aBackendThatIsDownIs502() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Consumer<Server.Config> config =
                Plinth.config(null)
                        .andThen(c ->
                                c.lm =
                                        ReaderLm.Backend.of(
                                                "http://127.0.0.1:" + port + "/v1", "m", null));
        try (Plinth plinth = Plinth.start(config)) {
            HttpResponse<String> r = plinth.get(page("/small"), "X-Respond-With", "readerlm-v2");
            assertEquals(502, r.statusCode(), r.body());
            assertTrue(Plinth.json(r).get("detail").asText().contains("backend"), r.body());
        }
    }

    @Test
    void aBackendSlowerThanTheDeadlineIs504() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth =
                        Plinth.start(withLm(lm, c -> c.lmTimeout = Duration.ofSeconds(1)))) {
            lm.otherwise(call -> FakeBackend.dripping(Duration.ofMillis(200)));
            long start = System.nanoTime();
            HttpResponse<String> r = plinth.get(page("/small"), "X-Respond-With", "readerlm-v2");
            assertEquals(504, r.statusCode(), r.body());
            assertTrue(Plinth.json(r).get("detail").asText().length() > 20, r.body());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        }
    }

    @Test
    void aBackendFailingWith500Is502AfterTheRetries() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            lm.otherwise(call -> FakeBackend.status(500, Map.of()));
            HttpResponse<String> r = plinth.get(page("/small"), "X-Respond-With", "readerlm-v2");
            assertEquals(502, r.statusCode(), r.body());
            assertEquals(3, lm.calls().size(), "a first attempt and two retries");
            assertTrue(Plinth.json(r).get("detail").asText().contains("500"), r.body());
        }
    }

    @Test
    void malformedJsonFromTheBackendIs502() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            lm.otherwise(call -> FakeBackend.raw("application/json", "{\"choices\": [oops"));
            HttpResponse<String> r = plinth.get(page("/small"), "X-Respond-With", "readerlm-v2");
            assertEquals(502, r.statusCode(), r.body());
            assertEquals("LanguageModelBackendError", Plinth.json(r).get("name").asText());
        }
    }

    @Test
    void aBackendThatKeepsAnswering429Is429WithRetryAfter() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            lm.otherwise(call -> FakeBackend.status(429, Map.of("Retry-After", "1")));
            HttpResponse<String> r = plinth.get(page("/small"), "X-Respond-With", "readerlm-v2");
            assertEquals(429, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Retry-After").isPresent(), r.headers().toString());
        }
    }

    @Test
    void aFullLmQueueIs429WithRetryAfter() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth =
                        Plinth.start(
                                withLm(
                                        lm,
                                        c -> {
                                            c.lmConcurrency = 1;
                                            c.lmQueue = 0;
                                        }))) {
            lm.script(FakeBackend.held(release, FakeBackend.text("first")));
            CompletableFuture<HttpResponse<String>> first =
                    CompletableFuture.supplyAsync(() -> {
                        try {
                            return plinth.get(page("/small"), "X-Respond-With", "readerlm-v2");
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (lm.calls().isEmpty() && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertEquals(1, lm.calls().size(), "the first read holds the only slot");
            HttpResponse<String> second =
                    plinth.get(page("/small"), "X-Respond-With", "readerlm-v2");
            release.countDown();
            assertEquals(429, second.statusCode(), second.body());
            assertTrue(second.headers().firstValue("Retry-After").isPresent());
            assertTrue(Plinth.json(second).get("detail").asText().length() > 10);
            assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode());
        } finally {
            release.countDown();
        }
    }

    @Test
    void withoutABackendEveryLmOptionIs400NamingTheFlag() throws Exception {
        try (Plinth plinth = Plinth.start(Plinth.config(null))) {
            for (String[] h :
                    List.of(
                            new String[] {"X-Respond-With", "readerlm-v2"},
                            new String[] {"X-Engine", "readerlm-v2"},
                            new String[] {"X-Instruction", "the title"},
                            new String[] {"X-Json-Schema", SCHEMA},
                            new String[] {"X-With-Generated-Alt", "true"},
                            new String[] {"X-Respond-With", "vlm"})) {
                HttpResponse<String> r = plinth.get(page("/small"), h);
                assertEquals(400, r.statusCode(), h[0] + ": " + r.body());
                String flag = h[1].equals("vlm") || h[0].contains("Alt") ? "--vlm-url" : "--lm-url";
                assertTrue(Plinth.json(r).get("detail").asText().contains(flag), r.body());
            }
        }
    }

    // ---- --lm-fallback ----

    @Test
    void lmFallbackTakesAnUnsurePageAndLeavesAGoodOne() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm, c -> c.lmFallback = true))) {
            lm.otherwise(call -> FakeBackend.text("# Stories\n\n- Story number 1"));
            HttpResponse<String> good = plinth.get(page("/article"), JSON);
            assertEquals(200, good.statusCode(), good.body());
            assertEquals("heuristic", good.headers().firstValue("X-Content-Engine").orElseThrow());
            assertEquals("heuristic", Plinth.json(good).at("/data/engine").asText());
            assertEquals(0, lm.calls().size(), "a confident page never reaches the model");

            HttpResponse<String> unsure = plinth.get(page("/links"), JSON);
            assertEquals(200, unsure.statusCode(), unsure.body());
            JsonNode data = Plinth.json(unsure).get("data");
            assertEquals("readerlm-v2", data.get("engine").asText(), data.toString());
            assertEquals("readerlm-v2", unsure.headers().firstValue("X-Content-Engine").get());
            assertEquals("# Stories\n\n- Story number 1", data.get("content").asText());
            assertTrue(data.get("warning").asText().contains("unsure"), data.toString());
            assertEquals(1, lm.calls().size());

            // Only the auto engine falls back: a direct read stays heuristic.
            HttpResponse<String> direct = plinth.get(page("/links"), "X-Engine", "direct");
            assertEquals("heuristic", direct.headers().firstValue("X-Content-Engine").get());
            assertEquals(1, lm.calls().size());
        }
    }

    @Test
    void withoutLmFallbackAnUnsurePageStaysHeuristic() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm))) {
            HttpResponse<String> r = plinth.get(page("/links"), JSON);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("heuristic", Plinth.json(r).at("/data/engine").asText());
            assertEquals(0, lm.calls().size());
        }
    }

    @Test
    void aFailedFallbackKeepsTheHeuristicAnswerWithAWarning() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                Plinth plinth = Plinth.start(withLm(lm, c -> c.lmFallback = true))) {
            lm.otherwise(call -> FakeBackend.raw("application/json", "nonsense"));
            HttpResponse<String> r = plinth.get(page("/links"), JSON);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode data = Plinth.json(r).get("data");
            assertEquals("heuristic", data.get("engine").asText());
            assertTrue(data.get("warning").asText().contains("could not read"), data.toString());
        }
    }

    // ---- the vision model ----

    @Test
    void generatedAltCaptionsEachImageOnceAndCachesItByHash() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                FakeBackend vlm = new FakeBackend();
                Plinth plinth =
                        Plinth.start(
                                withLm(
                                        lm,
                                        c ->
                                                c.vlm =
                                                        ReaderLm.Backend.of(
                                                                vlm.url().toString(),
                                                                "vision",
                                                                null)))) {
            vlm.otherwise(call -> FakeBackend.text("A fishing boat leaving the harbour."));
            int before = imageHits.get();
            HttpResponse<String> r =
                    plinth.get(page("/pictures"), "X-With-Generated-Alt", "true", JSON[0], JSON[1]);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode data = Plinth.json(r).get("data");
            assertTrue(
                    data.get("content").asText().contains("A fishing boat leaving the harbour"),
                    data.toString());
            assertEquals("heuristic", data.get("engine").asText());
            assertEquals("vision", data.at("/usage/model").asText());
            assertEquals(1, vlm.calls().size(), "one image without alt, written twice");
            JsonNode content = vlm.calls().get(0).messages().get(0).get("content");
            assertTrue(
                    content.get(1)
                            .at("/image_url/url")
                            .asText()
                            .startsWith("data:image/png;base64,"),
                    content.toString());
            assertEquals(0, lm.calls().size());
            assertEquals(1, imageHits.get() - before);

            HttpResponse<String> again =
                    plinth.get(
                            page("/pictures"),
                            "X-With-Generated-Alt",
                            "true",
                            "X-No-Cache",
                            "true");
            assertEquals(200, again.statusCode(), again.body());
            assertTrue(again.body().contains("A fishing boat leaving the harbour"), again.body());
            assertEquals(1, vlm.calls().size(), "the same bytes are described once");
        }
    }

    @Test
    void vlmReadsThePagesPictureTakenByTheBrowser() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                FakeBackend vlm = new FakeBackend();
                Plinth plinth =
                        Plinth.start(
                                withLm(
                                        lm,
                                        c -> {
                                            c.browser = true;
                                            c.vlm =
                                                    ReaderLm.Backend.of(
                                                            vlm.url().toString(), "vision", null);
                                        }))) {
            vlm.otherwise(call -> FakeBackend.text("# Reading the Web\n\nFrom the picture."));
            HttpResponse<String> r =
                    plinth.get(page("/article"), "X-Respond-With", "vlm", JSON[0], JSON[1]);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode data = Plinth.json(r).get("data");
            assertEquals("vlm", data.get("engine").asText());
            assertEquals("vlm", r.headers().firstValue("X-Content-Engine").orElseThrow());
            assertEquals("# Reading the Web\n\nFrom the picture.", data.get("content").asText());
            assertEquals(1, vlm.calls().size());
            String image =
                    vlm.calls()
                            .get(0)
                            .messages()
                            .get(0)
                            .get("content")
                            .get(1)
                            .at("/image_url/url")
                            .asText();
            assertTrue(image.startsWith("data:image/png;base64,iVBORw0KGgo"), image);
            assertEquals(0, lm.calls().size());
        }
    }

    @Test
    void vlmWithoutAPictureIs400() throws Exception {
        try (FakeBackend lm = new FakeBackend();
                FakeBackend vlm = new FakeBackend();
                Plinth plinth =
                        Plinth.start(
                                withLm(
                                        lm,
                                        c ->
                                                c.vlm =
                                                        ReaderLm.Backend.of(
                                                                vlm.url().toString(),
                                                                "v",
                                                                null)))) {
            // Raw HTML has no picture to read.
            HttpResponse<String> r =
                    plinth.postJson("/", "{\"html\":\"<p>hi</p>\",\"respondWith\":\"vlm\"}");
            assertEquals(400, r.statusCode(), r.body());
            assertNotNull(Plinth.json(r).get("detail"));
            assertEquals(0, vlm.calls().size());
        }
    }

    @Test
    void engineHeaderIsHeuristicForAnOrdinaryRead() throws Exception {
        try (Plinth plinth = Plinth.start(Plinth.config(null))) {
            HttpResponse<String> r = plinth.get(page("/article"), JSON);
            assertEquals("heuristic", r.headers().firstValue("X-Content-Engine").orElseThrow());
            JsonNode usage = Plinth.json(r).at("/data/usage");
            assertNull(usage.get("promptTokens"));
            assertFalse(usage.get("tokens").isNull());
        }
    }
}
