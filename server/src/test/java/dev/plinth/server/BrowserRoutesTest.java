package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The browser-only options through HTTP, against a real plinth server and real Chromium. */
class BrowserRoutesTest {

    private static final Map<String, String> PAGES =
            Map.of(
                    "/spa",
                            """
                            <html><head><title>Client app</title></head><body><div id="app"></div>
                            <script>setTimeout(() => document.getElementById('app').innerHTML =
                              '<article><h1>Client heading</h1><p>Paragraph the client wrote into the empty application root.</p></article>', 100)</script>
                            </body></html>\
                            """,
                    "/late",
                            """
                            <html><body><article><p>Shell text of the page, there before any script ran at all.</p></article>
                            <script>setTimeout(() => document.querySelector('article').insertAdjacentHTML('beforeend',
                              '<p id="late">Paragraph that arrives after one and a half seconds.</p>'), 1500)</script></body></html>\
                            """,
                    "/shadow",
                            """
                            <html><body><article><p>Light paragraph of the article that anyone can see.</p><info-box></info-box></article>
                            <script>customElements.define('info-box', class extends HTMLElement { constructor() { super();
                              this.attachShadow({mode: 'open'}).innerHTML = '<p>Paragraph hidden in an open shadow root.</p>'; } });</script>
                            </body></html>\
                            """,
                    "/framed",
                            """
                            <html><body><article><p>Outer paragraph of the page that holds a frame.</p>
                            <iframe src="/frame"></iframe></article></body></html>\
                            """,
                    "/frame",
                            "<html><body><p>Paragraph inside the same-origin frame.</p></body></html>");

    private static HttpServer site;
    private static Plinth plinth;

    @BeforeAll
    static void start() throws IOException {
        site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        PAGES.forEach((path, html) ->
                site.createContext(
                        path,
                        exchange -> {
                            byte[] body = html.getBytes(StandardCharsets.UTF_8);
                            exchange.getResponseHeaders()
                                    .set("Content-Type", "text/html; charset=utf-8");
                            exchange.sendResponseHeaders(200, body.length);
                            try (OutputStream out = exchange.getResponseBody()) {
                                out.write(body);
                            }
                        }));
        site.start();
        plinth = Plinth.start(Plinth.config(null).andThen(c -> c.browser = true));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.stop(0);
    }

    private static String target(String path) {
        return "/http://127.0.0.1:" + site.getAddress().getPort() + path;
    }

    @Test
    void engineBrowserRendersScript() throws Exception {
        HttpResponse<String> direct = plinth.get(target("/spa"), "X-Engine", "direct");
        assertFalse(direct.body().contains("client wrote"), direct.body());
        HttpResponse<String> r = plinth.get(target("/spa"), "X-Engine", "browser");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(
                r.body().contains("Paragraph the client wrote into the empty application root."),
                r.body());
        HttpResponse<String> auto = plinth.get(target("/spa"), "X-Engine", "auto");
        assertTrue(auto.body().contains("Paragraph the client wrote"), auto.body());
    }

    @Test
    void waitForSelectorShadowDomAndIframeHeaders() throws Exception {
        String late = plinth.get(target("/late"), "X-Wait-For-Selector", "#late").body();
        assertTrue(late.contains("arrives after one and a half seconds"), late);
        String shadow = plinth.get(target("/shadow"), "X-With-Shadow-Dom", "true").body();
        assertTrue(shadow.contains("Paragraph hidden in an open shadow root."), shadow);
        String framed = plinth.get(target("/framed"), "X-With-Iframe", "true").body();
        assertTrue(framed.contains("Paragraph inside the same-origin frame."), framed);
    }

    @Test
    void screenshotsAreStoredAndReturnedAsUrlsAsJinaReturnsThem() throws Exception {
        // Text: a redirect to the stored picture, its URL as the body.
        HttpResponse<String> text = plinth.get(target("/spa"), "X-Respond-With", "screenshot");
        assertEquals(302, text.statusCode(), text.body());
        String location = text.headers().firstValue("Location").orElseThrow();
        assertEquals(location + "\n", text.body());
        assertTrue(location.startsWith(plinth.base() + "/shots/"), location);
        assertPng(fetch(location), 1280, 800);

        // Asked for as an image: the bytes themselves.
        HttpRequest raw =
                HttpRequest.newBuilder(URI.create(plinth.base() + target("/spa")))
                        .header("X-Respond-With", "screenshot")
                        .header("Accept", "image/png")
                        .timeout(Duration.ofSeconds(30))
                        .build();
        HttpResponse<byte[]> png = plinth.http.send(raw, HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, png.statusCode());
        assertPng(png.body(), 1280, 800);

        // JSON: pageshotUrl next to the other fields; an unknown id is a 404.
        HttpResponse<String> json =
                plinth.get(
                        target("/spa"), "X-Respond-With", "pageshot", "Accept", "application/json");
        assertEquals(200, json.statusCode(), json.body());
        String url = Plinth.json(json).get("data").path("pageshotUrl").asText();
        assertTrue(url.startsWith(plinth.base() + "/shots/"), url);
        assertPng(fetch(url), 1280, 800);
        assertEquals(404, plinth.get("/shots/" + "A".repeat(43) + ".png").statusCode());
    }

    private static byte[] fetch(String url) throws Exception {
        HttpResponse<byte[]> r =
                plinth.http.send(
                        HttpRequest.newBuilder(URI.create(url)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals("image/png", r.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        return r.body();
    }

    @Test
    void readCommandTakesTheEngine() throws Exception {
        String url = "http://127.0.0.1:" + site.getAddress().getPort() + "/spa";
        String browser = readCommand("read", "--engine", "browser", "--allow-private-network", url);
        assertTrue(
                browser.contains("Paragraph the client wrote into the empty application root."),
                browser);
        String auto = readCommand("read", "--engine", "auto", "--allow-private-network", url);
        assertTrue(auto.contains("Paragraph the client wrote"), auto);
        String byDefault = readCommand("read", "--allow-private-network", url);
        assertTrue(byDefault.contains("Paragraph the client wrote"), "auto is the default");
        String direct = readCommand("read", "--engine", "direct", "--allow-private-network", url);
        assertFalse(direct.contains("Paragraph the client wrote"), direct);
    }

    @Test
    void closingTheServerStopsChromium() throws Exception {
        Set<Long> before = chromiumChildren();
        Plinth own = Plinth.start(Plinth.config(null).andThen(c -> c.browser = true));
        Set<Long> mine;
        try {
            assertEquals(200, own.get(target("/spa"), "X-Engine", "browser").statusCode());
            mine = chromiumChildren();
            mine.removeAll(before);
            assertEquals(
                    1, mine.size(), "the server should have started one Chromium below this JVM");
        } finally {
            own.close();
        }
        for (long pid : mine) {
            assertTrue(
                    ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true),
                    "Chromium " + pid + " outlived its server");
        }
    }

    /** Pids of the Chromium browser processes this JVM started. */
    private static Set<Long> chromiumChildren() {
        return ProcessHandle.current()
                .children()
                .filter(p -> p.info().command().orElse("").contains("chromium"))
                .map(ProcessHandle::pid)
                .collect(Collectors.toCollection(HashSet::new));
    }

    /** Runs the CLI in-process and returns its stdout (the exit status is checked to be 0). */
    private static String readCommand(String... args) {
        Cli.Run run = Cli.run(args);
        assertEquals(0, run.exit(), run.err());
        return run.out();
    }

    private static void assertPng(byte[] png, int width, int height) {
        assertTrue(png.length > 24 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "not a PNG");
        assertEquals("IHDR", new String(png, 12, 4, StandardCharsets.US_ASCII));
        ByteBuffer b = ByteBuffer.wrap(png);
        assertEquals(width, b.getInt(16));
        assertEquals(height, b.getInt(20));
    }
}
