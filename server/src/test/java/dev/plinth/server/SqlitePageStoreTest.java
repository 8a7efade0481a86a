package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqlitePageStoreTest {

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
    void storesAndReturnsPagesWithHowTheyWereLoaded() throws Exception {
        try (SqlitePageStore store = SqlitePageStore.open(dir, 1 << 20)) {
            Page page =
                    new Page(
                            URI.create("https://example.com/a"),
                            200,
                            "text/html",
                            StandardCharsets.ISO_8859_1,
                            "<p>x</p>".getBytes(StandardCharsets.ISO_8859_1),
                            Map.of("content-type", List.of("text/html; charset=iso-8859-1")),
                            List.of("a sub-request was blocked"),
                            new byte[] {(byte) 0x89, 'P', 'N', 'G'},
                            FetchOptions.Engine.BROWSER,
                            Instant.parse("2026-01-02T03:04:05Z"),
                            false);
            store.put("k", page);
            Page back = store.get("k");
            assertEquals(page.url(), back.url());
            assertEquals("text/html", back.contentType());
            assertEquals(StandardCharsets.ISO_8859_1, back.charset());
            assertArrayEquals(page.body(), back.body());
            assertEquals(page.headers(), back.headers());
            assertEquals(page.warnings(), back.warnings());
            assertArrayEquals(page.screenshot(), back.screenshot());
            assertEquals(FetchOptions.Engine.BROWSER, back.engine());
            assertEquals(page.loadedAt(), back.loadedAt());
            assertNull(store.get("other"));
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedPagesOverTheCap() throws Exception {
        MutableClock clock = new MutableClock();
        try (SqlitePageStore store = SqlitePageStore.open(dir, 1000, clock)) {
            for (int i = 0; i < 4; i++) {
                store.put("k" + i, page("https://example.com/" + i, 300));
                clock.now += 120_000;
            }
            assertTrue(store.bytes() <= 1000, "bytes " + store.bytes());
            assertNull(store.get("k0"), "oldest evicted");
            assertNotNull(store.get("k3"));
        }
    }

    @Test
    void survivesReopeningAndKeepsItsSize() throws Exception {
        try (SqlitePageStore store = SqlitePageStore.open(dir, 1 << 20)) {
            store.put("k", page("https://example.com/a", 500));
        }
        try (SqlitePageStore store = SqlitePageStore.open(dir, 1 << 20)) {
            assertNotNull(store.get("k"));
            assertEquals(500, store.bytes());
            assertEquals(1, store.count());
        }
    }

    @Test
    void aCorruptFileIsSetAsideAndAFreshStoreStarted() throws Exception {
        Files.writeString(
                dir.resolve("pages.db"),
                "this is not a database file at all, just text ".repeat(200));
        try (SqlitePageStore store = SqlitePageStore.open(dir, 1 << 20)) {
            assertEquals(0, store.count());
            store.put("k", page("https://example.com/a", 10));
            assertNotNull(store.get("k"));
        }
        assertTrue(Files.exists(dir.resolve("pages.db.corrupt")));
    }

    @Test
    void aFileOfAnOlderLayoutIsEmptied() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("pages.db"));
                Statement s = c.createStatement()) {
            s.execute(
                    "CREATE TABLE pages (key TEXT PRIMARY KEY, url TEXT NOT NULL, status INTEGER"
                            + " NOT NULL, content_type TEXT NOT NULL, charset TEXT NOT NULL, headers"
                            + " TEXT NOT NULL, body BLOB NOT NULL, size INTEGER NOT NULL, fetched_at"
                            + " INTEGER NOT NULL, accessed_at INTEGER NOT NULL)");
            s.execute(
                    "INSERT INTO pages VALUES ('k', 'https://example.com/', 200, 'text/html',"
                            + " 'UTF-8', '{}', x'00', 1, 0, 0)");
        }
        try (SqlitePageStore store = SqlitePageStore.open(dir, 1 << 20)) {
            assertEquals(0, store.count());
            store.put("k", page("https://example.com/a", 10));
            assertNotNull(store.get("k"));
        }
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
