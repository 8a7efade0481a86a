package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PageCacheTest {

    @TempDir Path dir;

    private static Page page(String url, int size) {
        byte[] body = new byte[size];
        java.util.Arrays.fill(body, (byte) 'x');
        return new Page(
                URI.create(url),
                200,
                "text/html",
                StandardCharsets.ISO_8859_1,
                body,
                Map.of("content-type", List.of("text/html; charset=iso-8859-1")));
    }

    @Test
    void storesAndReturnsPagesWithTheirMetadata() throws Exception {
        try (PageCache cache = PageCache.open(dir, 1 << 20)) {
            Page page = page("https://example.com/a", 100);
            cache.put("k", page);
            Page back = cache.get("k", 60).page();
            assertEquals(page.url(), back.url());
            assertEquals("text/html", back.contentType());
            assertEquals(StandardCharsets.ISO_8859_1, back.charset());
            assertArrayEquals(page.body(), back.body());
            assertEquals(page.headers(), back.headers());
            assertNull(cache.get("other", 60));
        }
    }

    @Test
    void entriesOlderThanTheToleranceAreMisses() throws Exception {
        MutableClock clock = new MutableClock();
        try (PageCache cache = PageCache.open(dir, 1 << 20, clock)) {
            cache.put("k", page("https://example.com/a", 10));
            clock.now += 30_000;
            assertNotNull(cache.get("k", 60));
            clock.now += 31_000;
            assertNull(cache.get("k", 60));
            assertNotNull(cache.get("k", 3600));
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedPagesOverTheCap() throws Exception {
        MutableClock clock = new MutableClock();
        try (PageCache cache = PageCache.open(dir, 1000, clock)) {
            for (int i = 0; i < 4; i++) {
                cache.put("k" + i, page("https://example.com/" + i, 300));
                clock.now += 120_000;
            }
            assertTrue(cache.bytes() <= 1000, "bytes " + cache.bytes());
            assertNull(cache.get("k0", 1_000_000), "oldest evicted");
            assertNotNull(cache.get("k3", 1_000_000));
        }
    }

    @Test
    void survivesReopeningAndKeepsItsSize() throws Exception {
        try (PageCache cache = PageCache.open(dir, 1 << 20)) {
            cache.put("k", page("https://example.com/a", 500));
        }
        try (PageCache cache = PageCache.open(dir, 1 << 20)) {
            assertNotNull(cache.get("k", 60));
            assertEquals(500, cache.bytes());
            assertEquals(1, cache.count());
        }
    }

    @Test
    void aCorruptFileIsSetAsideAndAFreshCacheStarted() throws Exception {
        Files.writeString(
                dir.resolve("pages.db"),
                "this is not a database file at all, just text ".repeat(200));
        try (PageCache cache = PageCache.open(dir, 1 << 20)) {
            assertEquals(0, cache.count());
            cache.put("k", page("https://example.com/a", 10));
            assertNotNull(cache.get("k", 60));
        }
        assertTrue(Files.exists(dir.resolve("pages.db.corrupt")));
    }

    @Test
    void keyNormalizesTheUrlAndIncludesFetchOptions() {
        Options plain = Options.DEFAULTS;
        assertEquals(
                PageCache.key(URI.create("HTTPS://Example.COM:443"), plain),
                PageCache.key(URI.create("https://example.com/#top"), plain));
        assertNotEquals(
                PageCache.key(URI.create("https://example.com/?a=1"), plain),
                PageCache.key(URI.create("https://example.com/?a=2"), plain));
        assertNotEquals(
                PageCache.key(URI.create("https://example.com/"), plain),
                PageCache.key(
                        URI.create("https://example.com/"),
                        plain.toBuilder().locale("de").build()));
        assertEquals(
                PageCache.key(URI.create("https://example.com/"), plain),
                PageCache.key(
                        URI.create("https://example.com/"),
                        plain.toBuilder().respondWith(Options.Format.HTML).build()));
    }

    private static final class MutableClock extends Clock {
        long now = 1_700_000_000_000L;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }

        @Override
        public long millis() {
            return now;
        }
    }
}
