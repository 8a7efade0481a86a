package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.reader.FetchOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The browser rows of Jina's reader options (see {@link JinaOptionsTest} for the rest), against a
 * plinth server with real Chromium: each value sent as Jina's clients send it, as a header or a
 * body field, with the status and the effect. One server and one Chromium for the class; each row
 * is one page load.
 */
class JinaBrowserOptionsTest {

    /**
     * Content that grows in steps, each waiting on a different kind of thing, so that each respond
     * timing reads a different page (times from DOMContentLoaded): "Loading" and a spinner that
     * ticks every 100 ms (html); the article at 0.3 s (visible-content); the spinner stops at 0.7 s
     * and a request starts that the server answers at 1.5 s (mutation-idle); its data, then an
     * image the server answers at 1.5 s (resource-idle); "Image arrived" and a timer at 1.2 s
     * (media-idle); the timer's paragraph (network-idle). A beacon sent at 0.7 s and answered 5 s
     * later keeps the network busy from before the first request to after the timer, so that
     * network-idle never depends on how soon a starved renderer dispatches what it sends next.
     */
    static final String TIMING_PAGE =
            """
            <html><head><title>Timing</title></head><body><p id="status">Loading</p>
            <script>
              const add = (html) => document.body.insertAdjacentHTML('beforeend', html);
              const status = document.getElementById('status');
              const spinner = setInterval(() => { status.textContent += '.'; }, 100);
              setTimeout(() => add(`<article><p>The article arrived: a paragraph long enough to count
                as readable text, written into the page by a script three tenths of a second after
                the document was parsed.</p></article>`), 300);
              setTimeout(() => {
                clearInterval(spinner);
                add('<p>Spinner stopped.</p>');
                navigator.sendBeacon('/slow?ms=5000', 'seen');
                fetch('/slow?ms=1500').then((r) => r.text()).then(() => {
                  add('<p>Data from the slow request.</p>');
                  const img = new Image();
                  img.onload = img.onerror = () => {
                    add('<p>Image arrived.</p>');
                    setTimeout(() => add('<p>Late timer fired.</p>'), 1200);
                  };
                  img.src = '/slow?ms=1500&image';
                });
              }, 700);
            </script></body></html>\
            """;

    static final String DEVICE_PAGE =
            """
            <html><head><title>Device</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"></head>
            <body><p id="device"></p><script>
              document.getElementById('device').textContent = 'width=' + innerWidth
                + ' ratio=' + devicePixelRatio + ' orientation=' + screen.orientation.type
                + ' touch=' + navigator.maxTouchPoints;
            </script></body></html>\
            """;

    static TestSite site;
    static Plinth plinth;

    @BeforeAll
    static void start() throws IOException {
        site = new TestSite();
        site.page("/timing", TIMING_PAGE);
        site.page("/device", DEVICE_PAGE);
        site.page(
                "/spa",
                """
                <html><head><title>Client app</title></head><body><div id="app"></div>
                <script>setTimeout(() => document.getElementById('app').innerHTML =
                  '<article><h1>Client heading</h1><p>Paragraph the client wrote into the empty'
                  + ' application root, long enough to be the content.</p></article>', 100)</script>
                </body></html>\
                """);
        site.page(
                "/stateful",
                """
                <html><head><title>Stateful</title></head><body><article><h1>Stateful page</h1>
                <p>A page whose script keeps its state in a global that page scripts can read.</p>
                </article><script>window.appState = {name: 'Harbour'};</script></body></html>\
                """);
        site.page(
                "/framed",
                """
                <html><head><title>Framed</title></head><body><article><h1>Framed</h1>
                <p>Outer paragraph of the page that holds a frame.</p>
                <iframe src="/frame"></iframe></article></body></html>\
                """);
        site.page(
                "/frame",
                "<html><body><p>Paragraph inside the same-origin frame.</p>"
                        + "<p>Its second paragraph.</p></body></html>");
        site.start();
        plinth = Plinth.start(Plinth.config(null).andThen(c -> c.browser = true));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.close();
    }

    /** One row: a request (headers, and a JSON body for POST), the status and the effect. */
    record Row(
            String name, String path, List<String> headers, String body, int status, Check effect) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** What a row checks in the response's {@code data}, or in the error body. */
    interface Check {
        boolean test(JsonNode data) throws Exception;
    }

    private static Row get(String path, int status, Check effect, String... headers) {
        String name = path + " " + String.join(" ", headers);
        return new Row(name, path, List.of(headers), null, status, effect);
    }

    private static Row post(String name, String path, String json, int status, Check effect) {
        String body = "{\"url\":\"" + site.url(path) + "\"," + json + "}";
        return new Row(name, path, List.of(), body, status, effect);
    }

    private static Check text(String present, String absent) {
        return d -> {
            String text = d.path("text").asText();
            return text.contains(present) && (absent == null || !text.contains(absent));
        };
    }

    private static Check content(String... fragments) {
        return d -> Stream.of(fragments).allMatch(f -> d.path("content").asText().contains(f));
    }

    private static Check message(String fragment) {
        return error -> error.path("message").asText().contains(fragment);
    }

    /** The stored picture behind {@code field} is a PNG of {@code width} × {@code height}. */
    private static Check picture(String field, int width, int height) {
        return d -> {
            HttpResponse<byte[]> r =
                    plinth.http.send(
                            HttpRequest.newBuilder(URI.create(d.path(field).asText())).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
            byte[] png = r.body();
            if (r.statusCode() != 200 || png.length < 24 || png[1] != 'P') {
                return false;
            }
            assertEquals("IHDR", new String(png, 12, 4, StandardCharsets.US_ASCII));
            ByteBuffer b = ByteBuffer.wrap(png);
            return b.getInt(16) == width && b.getInt(20) == height;
        };
    }

    private static String script(String paragraph) {
        return "document.querySelector('article').insertAdjacentHTML('beforeend', '<p>"
                + paragraph
                + "</p>')";
    }

    static Stream<Row> rows() {
        String text = "X-Respond-With";
        return Stream.of(
                // X-Respond-Timing: when the browser reads
                get(
                        "/timing",
                        200,
                        text("Loading", "The article arrived"),
                        "X-Respond-Timing",
                        "html",
                        text,
                        "text"),
                get(
                        "/timing",
                        200,
                        text("Loading", "The article arrived"),
                        "X-Respond-Timing",
                        "html",
                        "X-Engine",
                        "browser",
                        text,
                        "text"),
                get(
                        "/timing",
                        200,
                        text("The article arrived", "Spinner stopped."),
                        "X-Respond-Timing",
                        "visible-content",
                        "X-Engine",
                        "browser",
                        text,
                        "text"),
                get(
                        "/timing",
                        200,
                        text("Spinner stopped.", "Data from the slow request."),
                        "X-Respond-Timing",
                        "mutation-idle",
                        text,
                        "text"),
                get(
                        "/timing",
                        200,
                        text("Data from the slow request.", "Image arrived."),
                        "X-Respond-Timing",
                        "resource-idle",
                        text,
                        "text"),
                get(
                        "/timing",
                        200,
                        text("Image arrived.", "Late timer fired."),
                        "X-Respond-Timing",
                        "media-idle",
                        text,
                        "text"),
                get(
                        "/timing",
                        200,
                        text("Late timer fired.", null),
                        "X-Respond-Timing",
                        "network-idle",
                        text,
                        "text"),
                get("/timing", 400, message("X-Respond-Timing"), "X-Respond-Timing", "soon"),
                // injectPageScript: in the page's main world
                get(
                        "/stateful",
                        200,
                        content("Script saw Harbour."),
                        "X-Inject-Page-Script",
                        "document.querySelector('article').insertAdjacentHTML('beforeend',"
                                + " '<p>Script saw ' + window.appState.name + '.</p>')"),
                post(
                        "body injectPageScript, an array",
                        "/stateful",
                        "\"injectPageScript\":[\""
                                + script("Injected from the body.")
                                + "\",\"throw new Error('second script fails')\"]",
                        200,
                        d ->
                                d.path("content").asText().contains("Injected from the body.")
                                        && d.path("warning")
                                                .asText()
                                                .contains("Page script 2 of 2 failed")),
                post(
                        "body injectPageScript, a string",
                        "/stateful",
                        "\"injectPageScript\":\"" + script("One script as a string.") + "\"",
                        200,
                        content("One script as a string.")),
                post(
                        "body injectPageScript, over the count",
                        "/stateful",
                        "\"injectPageScript\":["
                                + String.join(
                                        ",",
                                        java.util.Collections.nCopies(
                                                FetchOptions.MAX_PAGE_SCRIPTS + 1, "\"1\""))
                                + "]",
                        400,
                        message("injectPageScript is over the limit of 16 scripts")),
                post(
                        "body injectPageScript, over the size",
                        "/stateful",
                        "\"injectPageScript\":\""
                                + "x".repeat(FetchOptions.MAX_PAGE_SCRIPT_CHARS + 1)
                                + "\"",
                        400,
                        message("262144 characters")),
                // viewport
                get(
                        "/device",
                        200,
                        picture("screenshotUrl", 600, 400),
                        "X-Viewport",
                        "600x400",
                        text,
                        "screenshot"),
                post(
                        "body viewport, a phone on its side",
                        "/device",
                        "\"respondWith\":\"text,screenshot\",\"viewport\":{\"width\":400,"
                                + "\"height\":300,\"deviceScaleFactor\":2,\"isMobile\":true,"
                                + "\"isLandscape\":true,\"hasTouch\":true}",
                        200,
                        d ->
                                text(
                                                        "width=400 ratio=2 orientation=landscape-primary touch=5",
                                                        null)
                                                .test(d)
                                        && picture("screenshotUrl", 800, 600).test(d)),
                get("/device", 400, message("X-Viewport"), "X-Viewport", "5000x100"),
                // X-With-Iframe: quoted
                get(
                        "/framed",
                        200,
                        d ->
                                d.path("content")
                                        .asText()
                                        .lines()
                                        .anyMatch(line ->
                                                line.startsWith(">")
                                                        && line.contains(
                                                                "Paragraph inside the"
                                                                        + " same-origin"
                                                                        + " frame.")),
                        "X-With-Iframe",
                        "quoted"),
                // X-Engine
                get("/spa", 200, content("Paragraph the client wrote"), "X-Engine", "browser"),
                get(
                        "/spa",
                        200,
                        content("Paragraph the client wrote"),
                        "X-Engine",
                        "cf-browser-rendering"),
                // Pictures
                get("/spa", 200, picture("screenshotUrl", 1280, 800), text, "screenshot"),
                get("/spa", 200, picture("pageshotUrl", 1280, 800), text, "pageshot"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void everyBrowserOptionValueHasItsEffect(Row row) throws Exception {
        HttpResponse<String> r;
        if (row.body() == null) {
            List<String> headers = new ArrayList<>(row.headers());
            headers.addAll(List.of("Accept", "application/json"));
            r = plinth.get("/" + site.url(row.path()), headers.toArray(String[]::new));
        } else {
            r = plinth.postJson("/", row.body(), "Accept", "application/json");
        }
        assertEquals(row.status(), r.statusCode(), r.body());
        JsonNode body = Plinth.json(r);
        JsonNode checked = row.status() == 200 ? body.path("data") : body;
        assertTrue(row.effect().test(checked), row + " → " + checked);
    }
}
