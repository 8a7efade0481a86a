package dev.plinth.browser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import dev.plinth.reader.ReaderException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real Chromium against pages served on loopback. The browser runs with private networks refused,
 * except for exactly this test site's {@code 127.0.0.1:port}: every other loopback port, every
 * private range and the metadata address stay behind the guard, so the guard tests below test the
 * policy production runs with.
 */
class BrowserTest {

    private static TestSite site;
    private static TestSite other;
    private static TestSite victim;
    private static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        other =
                new TestSite()
                        .page(
                                "/frame",
                                "<html><body><p>Text of a frame from another origin.</p></body></html>");
        victim = new TestSite();
        victim.route("/", exchange -> TestSite.send(exchange, 200, "text/html", "<p>secret</p>"));
        browser =
                Browser.lazy(
                        new Browser.Settings(false)
                                .withAlsoAllowed(Set.of(site.address(), other.address()))
                                .withTimeout(Duration.ofSeconds(10)));
    }

    @AfterAll
    static void stop() {
        browser.close();
        site.close();
        other.close();
        victim.close();
    }

    private static Page render(String path, FetchOptions options) throws ReaderException {
        return browser.load(site.url(path), options);
    }

    private static String html(Page rendering) {
        return rendering.text();
    }

    @Test
    void readsContentInsertedByScriptAfter300ms() throws Exception {
        site.page(
                "/late",
                """
                <html><head><title>Late</title></head><body><main id="main">Loading…</main>
                <script>
                  setTimeout(() => {
                    document.getElementById('main').innerHTML = '<h1>Arrived</h1><p>Inserted by script after 300 ms.</p>';
                  }, 300);
                </script></body></html>\
                """);
        Page rendering = render("/late", FetchOptions.DEFAULTS);
        assertTrue(html(rendering).contains("Inserted by script after 300 ms."), html(rendering));
        assertFalse(html(rendering).contains("Loading…"));
        assertEquals(List.of(), rendering.warnings());
        assertEquals(site.url("/late"), rendering.url());
        assertEquals(200, rendering.status());
    }

    @Test
    void readsClientRoutedSinglePageApp() throws Exception {
        // One shell for every /app/ path; the script routes on location and fetches the view's
        // data.
        site.page(
                "/app/",
                """
                <html><head><title>Shop</title></head><body><div id="root"></div>
                <script>
                  const view = location.pathname.replace('/app/', '') || 'home';
                  fetch('/api/' + view).then(r => r.json()).then(data => {
                    document.title = data.title;
                    document.getElementById('root').innerHTML = '<article><h1>' + data.title + '</h1><p>' + data.body + '</p></article>';
                    history.replaceState(null, '', '/app/' + view + '#loaded');
                  });
                </script></body></html>\
                """);
        site.route(
                "/api/",
                exchange -> {
                    String view = exchange.getRequestURI().getPath().substring("/api/".length());
                    TestSite.send(
                            exchange,
                            200,
                            "application/json",
                            "{\"title\":\"View "
                                    + view
                                    + "\",\"body\":\"Rendered on the client for "
                                    + view
                                    + ".\"}");
                });
        Page rendering = render("/app/pricing", FetchOptions.DEFAULTS);
        assertTrue(
                html(rendering).contains("Rendered on the client for pricing."), html(rendering));
        assertEquals(site.url("/app/pricing#loaded"), rendering.url());
        assertEquals(1, site.hits("/api/pricing"));
    }

    @Test
    void expandsOpenShadowRootsAndResolvesSlots() throws Exception {
        site.page(
                "/shadow",
                """
                <html><body>
                <product-card><span slot="name">Slotted product name</span><span>unassigned light text</span></product-card>
                <script>
                  customElements.define('product-card', class extends HTMLElement {
                    constructor() {
                      super();
                      this.attachShadow({mode: 'open'}).innerHTML =
                        '<h2><slot name="name">fallback name</slot></h2><p>Text inside the shadow root.</p><slot name="none">Fallback of an empty slot.</slot>';
                    }
                  });
                </script></body></html>\
                """);
        String flat = html(render("/shadow", FetchOptions.builder().withShadowDom(true).build()));
        assertTrue(flat.contains("<h2><span slot=\"name\">Slotted product name</span></h2>"), flat);
        assertTrue(flat.contains("Text inside the shadow root."), flat);
        assertTrue(flat.contains("Fallback of an empty slot."), flat);
        assertFalse(flat.contains("unassigned light text"), flat); // not rendered: no default slot

        Page plainPage = render("/shadow", FetchOptions.DEFAULTS);
        String plain = html(plainPage);
        assertFalse(plain.contains("Text inside the shadow root."), plain);
        assertTrue(plain.contains("Slotted product name"), plain);
        // A short page that hid a shadow root says so, as Jina's reader does.
        assertEquals(
                List.of(
                        "This page contains shadow DOM that is currently hidden, consider enabling"
                                + " shadow DOM processing (X-With-Shadow-Dom: true)"),
                plainPage.warnings());
    }

    @Test
    void inlinesSameOriginIframes() throws Exception {
        site.page(
                "/framed",
                "<html><body><h1>Outer page</h1><iframe src=\"/frame\"></iframe>"
                        + "<iframe src=\""
                        + other.url("/frame")
                        + "\"></iframe></body></html>");
        site.page("/frame", "<html><body><p>Text that lives in the frame.</p></body></html>");
        String inlined = html(render("/framed", FetchOptions.builder().withIframe(true).build()));
        assertTrue(inlined.contains("<p>Text that lives in the frame.</p>"), inlined);
        assertFalse(
                inlined.contains("Text of a frame from another origin."),
                inlined); // same-origin only
        assertEquals(
                1, other.hits("/frame"), "the cross-origin frame was loaded, only not inlined");

        Page plainPage = render("/framed", FetchOptions.DEFAULTS);
        assertFalse(html(plainPage).contains("Text that lives in the frame."), html(plainPage));
        assertTrue(
                String.join("\n", plainPage.warnings())
                        .contains("This page contains iframes that are currently hidden"),
                plainPage.warnings().toString());
    }

    @Test
    void blocksMetadataAndPrivateAddressesButStillReadsThePage() throws Exception {
        String secret = "http://127.0.0.1:" + victim.port() + "/";
        site.page(
                "/ssrf",
                """
                <html><body><h1>Public article</h1><p id="status">Article text stays readable.</p>
                <img src="http://169.254.169.254/latest/meta-data/iam/">
                <iframe src="SECRET frame"></iframe>
                <script>
                  const report = (what) => document.body.insertAdjacentHTML('beforeend', '<p>' + what + '</p>');
                  fetch('http://169.254.169.254/latest/meta-data/').then(() => report('metadata fetched'), () => report('metadata refused'));
                  fetch('SECRETapi').then(() => report('private fetched'), () => report('private refused'));
                  const ws = new WebSocket('ws://127.0.0.1:PORT/socket');
                  ws.onerror = () => report('socket refused');
                  ws.onopen = () => report('socket opened');
                </script></body></html>\
                """
                        .replace("SECRET", secret)
                        .replace("PORT", Integer.toString(victim.port())));
        Page rendering = render("/ssrf", FetchOptions.DEFAULTS);
        String html = html(rendering);
        assertTrue(html.contains("Article text stays readable."), html);
        assertTrue(html.contains("metadata refused"), html);
        assertTrue(html.contains("private refused"), html);
        assertTrue(html.contains("socket refused"), html);
        assertEquals(0, victim.totalHits(), "a blocked request reached the private server");
        String warnings = String.join("\n", rendering.warnings());
        assertTrue(warnings.contains("http://169.254.169.254/latest/meta-data/"), warnings);
        assertTrue(warnings.contains(secret + "api"), warnings);
        assertTrue(warnings.contains("ws://127.0.0.1:" + victim.port() + "/socket"), warnings);
    }

    @Test
    void refusesRedirectToPrivateAddress() throws Exception {
        site.route(
                "/hop",
                exchange -> {
                    exchange.getResponseHeaders()
                            .set("Location", "http://127.0.0.1:" + victim.port() + "/");
                    exchange.sendResponseHeaders(302, -1);
                });
        ReaderException e =
                assertThrows(ReaderException.class, () -> render("/hop", FetchOptions.DEFAULTS));
        assertEquals(ReaderException.Kind.BLOCKED, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + victim.port()), e.getMessage());
        assertEquals(0, victim.totalHits());
    }

    @Test
    void refusesPrivateTargetBeforeOpeningATab() {
        ReaderException e =
                assertThrows(
                        ReaderException.class,
                        () -> browser.load(victim.url("/"), FetchOptions.DEFAULTS));
        assertEquals(ReaderException.Kind.BLOCKED, e.kind());
        assertEquals(0, victim.totalHits());
    }

    @Test
    void deadlineHoldsForPageThatNeverStopsLoading() throws Exception {
        site.route(
                "/endless",
                exchange -> {
                    exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                    exchange.sendResponseHeaders(200, 0);
                    OutputStream out = exchange.getResponseBody();
                    out.write(
                            "<html><head><title>Endless</title></head><body><p>The first part arrived.</p>"
                                    .getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    try {
                        Thread.sleep(60_000); // never finishes within the test's deadline
                    } catch (InterruptedException ignored) {
                        Thread.currentThread().interrupt();
                    }
                });
        long start = System.nanoTime();
        Page rendering =
                render("/endless", FetchOptions.builder().timeout(Duration.ofSeconds(3)).build());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 3_600, "took " + millis + " ms");
        assertTrue(millis >= 2_000, "returned early, after " + millis + " ms");
        assertTrue(html(rendering).contains("The first part arrived."), html(rendering));
        assertTrue(
                String.join(" ", rendering.warnings()).contains("still loading at the deadline"),
                rendering.warnings().toString());
    }

    @Test
    void waitsForSelectorBeyondTheQuietWindow() throws Exception {
        site.page(
                "/slow",
                """
                <html><body><p>Shell</p><script>
                  setTimeout(() => document.body.insertAdjacentHTML('beforeend', '<div id="late">Late content after 1.5 s.</div>'), 1500);
                </script></body></html>\
                """);
        Page quick = render("/slow", FetchOptions.DEFAULTS);
        assertFalse(
                html(quick).contains("Late content"), "the quiet window should end before 1.5 s");
        Page waited =
                render("/slow", FetchOptions.builder().waitForSelector(List.of("#late")).build());
        assertTrue(html(waited).contains("Late content after 1.5 s."), html(waited));
        assertEquals(List.of(), waited.warnings());
    }

    @Test
    void screenshotIsAViewportSizedPng() throws Exception {
        site.page(
                "/tall",
                "<html><body style=\"margin:0\"><div style=\"height:2500px;background:#4a8\">Tall</div></body></html>");
        Page shot =
                render(
                        "/tall",
                        FetchOptions.builder()
                                .capture(FetchOptions.Capture.SCREENSHOT)
                                .viewport(800, 600)
                                .build());
        assertArrayEquals(new int[] {800, 600}, pngSize(shot.screenshot()));
        Page pageshot =
                render(
                        "/tall",
                        FetchOptions.builder()
                                .capture(FetchOptions.Capture.PAGESHOT)
                                .viewport(800, 600)
                                .build());
        assertArrayEquals(new int[] {800, 2500}, pngSize(pageshot.screenshot()));
        assertEquals(null, render("/tall", FetchOptions.DEFAULTS).screenshot());
    }

    @Test
    void honoursCookiesUserAgentAndLocale() throws Exception {
        site.route(
                "/echo",
                exchange -> {
                    var h = exchange.getRequestHeaders();
                    TestSite.send(
                            exchange,
                            200,
                            "text/html",
                            "<html><body><pre id=\"server\">cookie="
                                    + h.getFirst("Cookie")
                                    + "\nagent="
                                    + h.getFirst("User-Agent")
                                    + "\nlanguage="
                                    + h.getFirst("Accept-Language")
                                    + "\nreferer="
                                    + h.getFirst("Referer")
                                    + "</pre><script>document.body.insertAdjacentHTML('beforeend', '<p id=\"client\">' + navigator.language"
                                    + " + ' ' + innerWidth + 'x' + innerHeight + ' ' + navigator.userAgent + '</p>')</script></body></html>");
                });
        FetchOptions options =
                FetchOptions.builder()
                        .cookies(List.of("session=abc123; Path=/", "theme=dark"))
                        .userAgent("plinth-test/1.0")
                        .locale("de-DE")
                        .viewport(1024, 700)
                        .referer("https://example.org/from")
                        .build();
        String html = html(render("/echo", options));
        assertTrue(html.contains("cookie=session=abc123; theme=dark"), html);
        assertTrue(html.contains("agent=plinth-test/1.0"), html);
        assertTrue(html.contains("language=de-DE"), html);
        assertTrue(html.contains("referer=https://example.org/from"), html);
        assertTrue(html.contains("de-DE 1024x700 plinth-test/1.0"), html);

        String defaults = html(render("/echo", FetchOptions.DEFAULTS));
        assertFalse(defaults.contains("HeadlessChrome"), defaults);
        assertTrue(
                defaults.contains("cookie=null"),
                "cookies must not leak from one page to the next: " + defaults);
    }

    @Test
    void recoversWhenTheBrowserProcessDies() throws Exception {
        site.page("/alive", "<html><body><p>Still reading pages.</p></body></html>");
        render("/alive", FetchOptions.DEFAULTS);
        long pid = browser.pid();
        int starts = browser.starts();
        ProcessHandle chromium = ProcessHandle.of(pid).orElseThrow();
        chromium.destroyForcibly();
        chromium.onExit().get();
        Page rendering = render("/alive", FetchOptions.DEFAULTS);
        assertTrue(html(rendering).contains("Still reading pages."));
        assertEquals(starts + 1, browser.starts());
        assertNotEquals(pid, browser.pid());
    }

    @Test
    void saysWhenTheTargetIsNotAWebPage() {
        site.route(
                "/file.pdf",
                exchange -> {
                    exchange.getResponseHeaders()
                            .set("Content-Disposition", "attachment; filename=file.pdf");
                    TestSite.send(exchange, 200, "application/pdf", "%PDF-1.4\n%%EOF\n");
                });
        long start = System.nanoTime();
        ReaderException e =
                assertThrows(
                        ReaderException.class, () -> render("/file.pdf", FetchOptions.DEFAULTS));
        assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().contains("application/pdf"), e.getMessage());
        assertTrue(
                System.nanoTime() - start < 5_000_000_000L,
                "waited for the deadline instead of failing fast");
    }

    /**
     * Chromium's popup blocker stops most of these; the tab's clean-up closes any it let through.
     */
    @Test
    void windowsThePageOpensDoNotOutliveTheRead() throws Exception {
        site.page(
                "/opener",
                "<html><body><p>Opener page text.</p><script>window.open('/popup')</script></body></html>");
        site.page(
                "/popup",
                "<html><body><script>setInterval(() => fetch('/tick'), 100)</script></body></html>");
        site.route("/tick", exchange -> TestSite.send(exchange, 200, "text/plain", "tick"));
        render("/opener", FetchOptions.DEFAULTS);
        Thread.sleep(300);
        int ticks = site.hits("/tick");
        Thread.sleep(700);
        assertEquals(
                ticks, site.hits("/tick"), "a window the page opened kept running after the read");
    }

    /** Width and height from a PNG's IHDR chunk, after checking the signature. */
    static int[] pngSize(byte[] png) {
        byte[] signature = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        assertTrue(png != null && png.length > 24, "no PNG");
        for (int i = 0; i < signature.length; i++) {
            assertEquals(signature[i], png[i], "not a PNG signature");
        }
        ByteBuffer b = ByteBuffer.wrap(png);
        assertEquals(13, b.getInt(8));
        assertEquals("IHDR", new String(png, 12, 4, StandardCharsets.US_ASCII));
        return new int[] {b.getInt(16), b.getInt(20)};
    }
}
