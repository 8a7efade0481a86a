package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page cache seen through the API: hits, tolerance, opting out, cookies, and a restart. */
class CacheTest {

    @TempDir static Path cacheDir;
    static TestSite site;
    static Plinth plinth;

    @BeforeAll
    static void start() throws IOException {
        site = new TestSite();
        site.start();
        plinth = Plinth.start(Plinth.config(cacheDir));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.close();
    }

    /** A fresh page key on the test site, so tests do not share cache entries. */
    private static String fresh() {
        return "/counted?id=" + UUID.randomUUID();
    }

    private static HttpResponse<String> read(String page, String... headers) throws Exception {
        HttpResponse<String> r = plinth.get("/" + site.url(page), headers);
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    @Test
    void secondReadIsServedFromTheCache() throws Exception {
        String page = fresh();
        HttpResponse<String> first = read(page);
        HttpResponse<String> second = read(page, "X-Respond-With", "text");
        assertEquals("MISS", first.headers().firstValue("X-Cache").orElseThrow());
        assertEquals("HIT", second.headers().firstValue("X-Cache").orElseThrow());
        assertEquals(1, site.hits(page));
        assertTrue(
                second.body().contains("served 1 times"),
                "a different output format reuses the cached page");
    }

    @Test
    void noCacheFetchesAgainAndRefreshesTheEntry() throws Exception {
        String page = fresh();
        read(page);
        HttpResponse<String> bypass = read(page, "X-No-Cache", "true");
        assertEquals(2, site.hits(page));
        assertTrue(bypass.body().contains("served 2 times"));
        HttpResponse<String> after = read(page);
        assertEquals("HIT", after.headers().firstValue("X-Cache").orElseThrow());
        assertTrue(after.body().contains("served 2 times"), "the fresh page replaced the old one");
    }

    @Test
    void toleranceZeroRefetches() throws Exception {
        String page = fresh();
        read(page);
        Thread.sleep(5);
        read(page, "X-Cache-Tolerance", "0");
        assertEquals(2, site.hits(page));
        read(page, "X-Cache-Tolerance", "60");
        assertEquals(2, site.hits(page));
    }

    @Test
    void requestsWithCookiesAreNeverCached() throws Exception {
        String page = fresh();
        assertEquals(
                "BYPASS",
                read(page, "X-Set-Cookie", "session=1")
                        .headers()
                        .firstValue("X-Cache")
                        .orElseThrow());
        read(page, "X-Set-Cookie", "session=1");
        assertEquals(2, site.hits(page));
        read(page);
        assertEquals(3, site.hits(page), "a cookie read stored nothing");
    }

    @Test
    void fetchOptionsArePartOfTheKey() throws Exception {
        String page = fresh();
        read(page);
        read(page, "X-User-Agent", "Other/1.0");
        assertEquals(2, site.hits(page));
        read(page, "X-Target-Selector", "p");
        assertEquals(2, site.hits(page), "selectors apply after the fetch");
    }

    @Test
    void cacheSurvivesARestartWithTheSameFolder() throws Exception {
        String page = fresh();
        read(page);
        try (Plinth other = Plinth.start(Plinth.config(cacheDir.resolve("restart")))) {
            other.get("/" + site.url(page));
        }
        assertEquals(2, site.hits(page));
        try (Plinth again = Plinth.start(Plinth.config(cacheDir.resolve("restart")))) {
            HttpResponse<String> r = again.get("/" + site.url(page));
            assertEquals("HIT", r.headers().firstValue("X-Cache").orElseThrow());
        }
        assertEquals(2, site.hits(page));
    }

    @Test
    void aCacheHitIsNeverWhatTheCurrentPolicyRefuses() throws Exception {
        // A page cached by a server that may reach private addresses is refused (451), not
        // served, by a server sharing the cache folder without that permission.
        String page = fresh();
        Path shared = cacheDir.resolve("shared");
        try (Plinth permissive = Plinth.start(Plinth.config(shared))) {
            assertEquals(200, permissive.get("/" + site.url(page)).statusCode());
        }
        try (Plinth strict =
                Plinth.start(Plinth.config(shared).andThen(c -> c.allowPrivateNetwork = false))) {
            HttpResponse<String> r = strict.get("/" + site.url(page));
            assertEquals(451, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("X-Cache").isEmpty());
        }
        assertEquals(1, site.hits(page));
    }

    @Test
    void aUrlTheGuardRefusesForItsUserinfoIsRefusedEvenWhenCached() throws Exception {
        String page = fresh();
        read(page);
        String tricked = "http://127.0.0.1:" + site.port() + "%5c@1.2.3.4:" + site.port() + page;
        HttpResponse<String> r = plinth.get("/" + tricked);
        assertTrue(r.statusCode() == 451 || r.statusCode() == 400, r.statusCode() + " " + r.body());
        assertEquals(1, site.hits(page));
    }
}
