package dev.plinth.browser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.FetchOptions.RespondTiming;
import dev.plinth.reader.Page;
import dev.plinth.reader.ReaderException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The browser options of Jina's reader against real Chromium: respond timings, page scripts,
 * viewports, quoted iframes. As in {@link BrowserTest}, private networks are refused except for
 * this test site, so a page script's request to another loopback port meets the guard production
 * runs with.
 */
class BrowserOptionsTest {

    /**
     * A page whose content grows in steps, each step waiting on a different kind of thing, so each
     * respond timing reads a different page (times from DOMContentLoaded, the server's delays
     * included):
     *
     * <pre>
     *    0 ms  "Loading" with a ticking spinner (the DOM changes every 100 ms)      ← html
     *  300 ms  the article (well over 100 characters)                             ← visible-content
     *  700 ms  the spinner stops; a fetch starts that the server answers at 1.5 s  ← mutation-idle
     * 2200 ms  the fetched data; an image starts that the server answers at 1.5 s  ← resource-idle
     * 3700 ms  "Image arrived"; a beacon the server answers at 2.5 s; a timer at 1.2 s ← media-idle
     * 4900 ms  "Late timer fired"; the beacon ends at 6200 ms                       ← network-idle
     * </pre>
     *
     * Each reading point is at least 0.35 s before the next step, and a timing only ever reads as
     * late as its condition asks.
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
                fetch('/slow/data').then((r) => r.text()).then((text) => {
                  add('<p>' + text + '</p>');
                  const img = new Image();
                  img.onload = img.onerror = () => {
                    add('<p>Image arrived.</p>');
                    navigator.sendBeacon('/slow/beacon', 'seen');
                    setTimeout(() => add('<p>Late timer fired.</p>'), 1200);
                  };
                  img.src = '/slow/image';
                });
              }, 700);
            </script></body></html>\
            """;

    private static TestSite site;
    private static TestSite victim;
    private static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        site.page("/timing", TIMING_PAGE);
        site.route("/slow/data", slow(1500, "text/plain", "Data from the slow request."));
        site.route("/slow/image", slow(1500, "image/png", "not really a png"));
        site.route("/slow/beacon", slow(2500, "text/plain", "ok"));
        victim = new TestSite();
        victim.route("/", exchange -> TestSite.send(exchange, 200, "text/plain", "secret"));
        browser =
                Browser.lazy(
                        new Browser.Settings(false)
                                .withAlsoAllowed(Set.of(site.address()))
                                .withTimeout(Duration.ofSeconds(10)));
    }

    @AfterAll
    static void stop() {
        browser.close();
        site.close();
        victim.close();
    }

    private static com.sun.net.httpserver.HttpHandler slow(int millis, String type, String body) {
        return exchange -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            TestSite.send(exchange, 200, type, body);
        };
    }

    private static Page render(String path, FetchOptions options) throws ReaderException {
        return browser.load(site.url(path), options);
    }

    private static String timed(RespondTiming timing) throws ReaderException {
        Page page =
                render(
                        "/timing",
                        FetchOptions.builder()
                                .respondTiming(timing)
                                .timeout(Duration.ofSeconds(15))
                                .build());
        assertEquals(List.of(), page.warnings(), timing + " ended at the deadline");
        return page.text();
    }

    // ---- respond timings ------------------------------------------------------------------------

    @Test
    void eachRespondTimingReadsAtItsOwnMoment() throws Exception {
        String html = timed(RespondTiming.HTML);
        assertTrue(html.contains("Loading"), html);
        assertFalse(html.contains("The article arrived"), html);

        String visible = timed(RespondTiming.VISIBLE_CONTENT);
        assertTrue(visible.contains("The article arrived"), visible);
        assertFalse(visible.contains("Spinner stopped."), visible);

        String mutation = timed(RespondTiming.MUTATION_IDLE);
        assertTrue(mutation.contains("Spinner stopped."), mutation);
        assertFalse(mutation.contains("Data from the slow request."), mutation);

        String resource = timed(RespondTiming.RESOURCE_IDLE);
        assertTrue(resource.contains("Data from the slow request."), resource);
        assertFalse(resource.contains("Image arrived."), resource);

        String media = timed(RespondTiming.MEDIA_IDLE);
        assertTrue(media.contains("Image arrived."), media);
        assertFalse(media.contains("Late timer fired."), media);

        String network = timed(RespondTiming.NETWORK_IDLE);
        assertTrue(network.contains("Late timer fired."), network);
    }

    @Test
    void everyTimingStillEndsAtTheDeadline() throws Exception {
        long start = System.nanoTime();
        Page page =
                render(
                        "/timing",
                        FetchOptions.builder()
                                .respondTiming(RespondTiming.MEDIA_IDLE)
                                .timeout(Duration.ofSeconds(2))
                                .build());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2_600, "took " + millis + " ms");
        assertTrue(page.text().contains("Spinner stopped."), page.text());
        String warnings = String.join("\n", page.warnings());
        assertTrue(warnings.contains("waiting for media-idle"), warnings);
    }

    // ---- page scripts ---------------------------------------------------------------------------

    @Test
    void pageScriptsRunInThePageBehindTheGuardAndFailAsWarnings() throws Exception {
        site.page(
                "/stateful",
                "<html><body><h1>Stateful page</h1><p>"
                        + "A paragraph of ordinary text that makes this page long enough. "
                                .repeat(15)
                        + "</p><iframe src=\"/stateful-frame\" style=\"display:none\"></iframe>"
                        + "<script>window.appState = {name: 'Harbour'};</script></body></html>");
        site.page("/stateful-frame", "<html><body><p>Frame</p></body></html>");
        String secret = "http://127.0.0.1:" + victim.port() + "/secret";
        List<String> scripts =
                List.of(
                        "document.body.insertAdjacentHTML('beforeend', '<p>Script saw '"
                                + " + window.appState.name + '.</p>')",
                        "throw new Error('deliberate failure')",
                        "new Promise((done) => setTimeout(() => {"
                                + " document.body.insertAdjacentHTML('beforeend', '<p>Promise"
                                + " settled.</p>'); done(); }, 300))",
                        "fetch('"
                                + secret
                                + "').then(() => 'fetched', () => 'refused').then((what) =>"
                                + " document.body.insertAdjacentHTML('beforeend', '<p>Private fetch '"
                                + " + what + '.</p>'))");
        Page page = render("/stateful", FetchOptions.builder().pageScripts(scripts).build());
        String html = page.text();
        assertTrue(html.contains("<p>Script saw Harbour.</p>"), html);
        assertTrue(html.contains("<p>Promise settled.</p>"), html);
        assertTrue(html.contains("<p>Private fetch refused.</p>"), html);
        assertEquals(0, victim.totalHits(), "a page script's request reached the private server");
        String warnings = String.join("\n", page.warnings());
        assertTrue(
                warnings.contains("Page script 2 of 4 failed: Error: deliberate failure"),
                warnings);
        assertTrue(warnings.contains("Blocked a request to " + secret), warnings);
        // A page of normal length hears nothing of its hidden frame.
        assertFalse(warnings.contains("iframe"), warnings);
        assertEquals(2, page.warnings().size(), warnings);
    }

    @Test
    void aPageScriptThatNeverYieldsIsStoppedAndThePageStillRead() throws Exception {
        site.page("/plain", "<html><body><p>Plain page text.</p></body></html>");
        long start = System.nanoTime();
        Page page =
                render(
                        "/plain",
                        FetchOptions.builder()
                                .timeout(Duration.ofSeconds(4))
                                .pageScripts(
                                        List.of(
                                                "for (;;) {}",
                                                "document.body.append('second script')"))
                                .build());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 4_600, "took " + millis + " ms");
        assertTrue(page.text().contains("Plain page text."), page.text());
        String warnings = String.join("\n", page.warnings());
        assertTrue(warnings.contains("Page script 1 of 2"), warnings);
        assertTrue(warnings.contains("Page script 2 of 2 did not run"), warnings);
    }

    @Test
    void pageScriptsOverTheLimitAreRefusedBeforeATabOpens() {
        FetchOptions many =
                FetchOptions.builder()
                        .pageScripts(Collections.nCopies(FetchOptions.MAX_PAGE_SCRIPTS + 1, "1"))
                        .build();
        ReaderException e = assertThrows(ReaderException.class, () -> render("/plain", many));
        assertEquals(ReaderException.Kind.BAD_OPTION, e.kind());
        assertTrue(e.getMessage().contains("17 of 17"), e.getMessage());
        FetchOptions big =
                FetchOptions.builder()
                        .pageScripts(List.of("x".repeat(FetchOptions.MAX_PAGE_SCRIPT_CHARS + 1)))
                        .build();
        assertEquals(
                ReaderException.Kind.BAD_OPTION,
                assertThrows(ReaderException.class, () -> render("/plain", big)).kind());
    }

    // ---- viewport -------------------------------------------------------------------------------

    static final String DEVICE_PAGE =
            """
            <html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head>
            <body><p id="device"></p><script>
              document.getElementById('device').textContent = 'width=' + innerWidth
                + ' ratio=' + devicePixelRatio + ' orientation=' + screen.orientation.type
                + ' touch=' + navigator.maxTouchPoints;
            </script></body></html>\
            """;

    @Test
    void viewportEmulatesTheDeviceAndScreenshotsFollowIt() throws Exception {
        site.page("/device", DEVICE_PAGE);
        Page phone =
                render(
                        "/device",
                        FetchOptions.builder()
                                .viewport(new FetchOptions.Viewport(360, 640, 2, true, false, true))
                                .capture(FetchOptions.Capture.SCREENSHOT)
                                .build());
        assertTrue(
                phone.text().contains("width=360 ratio=2 orientation=portrait-primary touch=5"),
                phone.text());
        assertArrayEquals(new int[] {720, 1280}, BrowserTest.pngSize(phone.screenshot()));

        Page landscape =
                render(
                        "/device",
                        FetchOptions.builder()
                                .viewport(
                                        new FetchOptions.Viewport(640, 360, 0, false, true, false))
                                .capture(FetchOptions.Capture.SCREENSHOT)
                                .build());
        assertTrue(
                landscape
                        .text()
                        .contains("width=640 ratio=1 orientation=landscape-primary touch=0"),
                landscape.text());
        assertArrayEquals(new int[] {640, 360}, BrowserTest.pngSize(landscape.screenshot()));
    }

    @Test
    void viewportOutOfBoundsIsRefused() {
        FetchOptions huge =
                FetchOptions.builder()
                        .viewport(new FetchOptions.Viewport(800, 600, 8, false, false, false))
                        .build();
        ReaderException e = assertThrows(ReaderException.class, () -> render("/device", huge));
        assertEquals(ReaderException.Kind.BAD_OPTION, e.kind());
        assertTrue(e.getMessage().contains("800x600 at 8.0"), e.getMessage());
    }

    // ---- iframes --------------------------------------------------------------------------------

    @Test
    void quotedIframesBecomeABlockQuoteOfTheirText() throws Exception {
        TestSite other = new TestSite().page("/frame", "<p>Text of a foreign frame.</p>");
        try (other) {
            site.page(
                    "/quoting",
                    "<html><body><h1>Outer page</h1><iframe src=\"/quoted-frame\"></iframe>"
                            + "<iframe src=\""
                            + other.url("/frame")
                            + "\"></iframe></body></html>");
            site.page(
                    "/quoted-frame",
                    "<html><body><p>Frame text with a &lt;tag&gt; in it.</p>"
                            + "<p>Second line of the frame.</p></body></html>");
            Page page =
                    render(
                            "/quoting",
                            FetchOptions.builder().iframes(FetchOptions.Iframes.QUOTED).build());
            String html = page.text();
            assertTrue(
                    html.contains(
                            "<pre>Frame text with a &lt;tag&gt; in it.\n\n"
                                    + "Second line of the frame.</pre></blockquote>"),
                    html);
            assertTrue(html.contains("<blockquote data-plinth-iframe=\""), html);
            assertFalse(html.contains("<p>Frame text"), html);
            assertFalse(html.contains("foreign frame"), html);
            String warnings = String.join("\n", page.warnings());
            assertTrue(warnings.contains("iframes from other origins"), warnings);
        }
    }
}
