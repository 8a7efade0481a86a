package dev.plinth.browser;

import dev.plinth.reader.Options;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Renderer.Rendering;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real Chromium against pages served on loopback. The browser runs with private networks refused,
 * except for exactly this test site's {@code 127.0.0.1:port}: every other loopback port, every
 * private range and the metadata address stay behind the guard, so the guard tests below test the
 * policy production runs with.
 */
class BrowserTest {

    private static TestSite site;
    private static TestSite victim;
    private static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        victim = new TestSite();
        victim.route("/", exchange -> TestSite.send(exchange, 200, "text/html", "<p>secret</p>"));
        browser = Browser.lazy(new Browser.Settings(false)
                .withAlsoAllowed(Set.of(site.address()))
                .withTimeout(Duration.ofSeconds(10)));
    }

    @AfterAll
    static void stop() {
        browser.close();
        site.close();
        victim.close();
    }

    private static Rendering render(String path, Options options) throws ReaderException {
        return browser.render(site.url(path), options);
    }

    private static String html(Rendering rendering) {
        return rendering.page().text();
    }

    @Test
    void readsContentInsertedByScriptAfter300ms() throws Exception {
        site.page("/late", """
                <html><head><title>Late</title></head><body><main id="main">Loading…</main>
                <script>
                  setTimeout(() => {
                    document.getElementById('main').innerHTML = '<h1>Arrived</h1><p>Inserted by script after 300 ms.</p>';
                  }, 300);
                </script></body></html>""");
        Rendering rendering = render("/late", Options.DEFAULTS);
        assertTrue(html(rendering).contains("Inserted by script after 300 ms."), html(rendering));
        assertFalse(html(rendering).contains("Loading…"));
        assertEquals(List.of(), rendering.warnings());
        assertEquals(site.url("/late"), rendering.page().url());
        assertEquals(200, rendering.page().status());
    }
}
