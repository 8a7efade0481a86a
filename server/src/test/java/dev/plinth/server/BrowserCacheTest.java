package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rendered page is a page like any other: an AUTO read that needed Chromium is cached, so the
 * second read renders nothing, and any format is served from the one cached page.
 */
class BrowserCacheTest {

    @TempDir static Path cache;
    static TestSite site;
    static Plinth plinth;

    @BeforeAll
    static void start() throws IOException {
        site = new TestSite();
        site.page(
                "/spa",
                """
                <html><head><title>Client app</title></head><body><div id="app"></div>
                <script>setTimeout(() => document.getElementById('app').innerHTML =
                  '<article><h1>Client heading</h1><p>Paragraph the client wrote into the empty'
                  + ' application root, long enough to be the content.</p></article>', 100)</script>
                </body></html>\
                """);
        site.start();
        plinth = Plinth.start(Plinth.config(cache).andThen(c -> c.browser = true));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.close();
    }

    @Test
    void anAutoReadOfAScriptRenderedPageIsServedFromTheCacheTheSecondTime() throws Exception {
        HttpResponse<String> first = plinth.get("/" + site.url("/spa"));
        assertEquals(200, first.statusCode(), first.body());
        assertTrue(first.body().contains("Paragraph the client wrote"), first.body());
        assertEquals("MISS", first.headers().firstValue("X-Cache").orElseThrow());
        int loads = site.hits("/spa");

        HttpResponse<String> second = plinth.get("/" + site.url("/spa"), "X-Respond-With", "text");
        assertEquals(200, second.statusCode(), second.body());
        assertEquals("HIT", second.headers().firstValue("X-Cache").orElseThrow());
        assertTrue(second.body().contains("Paragraph the client wrote"), second.body());
        assertEquals(loads, site.hits("/spa"), "the second read loaded nothing");
    }
}
