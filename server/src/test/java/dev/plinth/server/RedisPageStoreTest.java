package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Pages in a real Redis: everything a page holds comes back, bounded in time and size. */
class RedisPageStoreTest {

    @RegisterExtension static final RedisServer server = new RedisServer();

    static Redis redis;
    static RedisPageStore store;

    @BeforeAll
    static void connect() {
        redis = Redis.open(server.url(), Duration.ofMillis(500));
        store = new RedisPageStore(redis, Duration.ofHours(1));
    }

    @AfterAll
    static void close() {
        store.close();
        redis.close();
    }

    static Page page(byte[] body, byte[] screenshot) {
        return new Page(
                URI.create("https://example.com/final?q=1"),
                203,
                "text/html",
                Charset.forName("windows-1252"),
                body,
                Map.of("content-type", List.of("text/html"), "set-cookie", List.of("a=1", "b=2")),
                List.of("a sub-request was blocked", "rendering stopped at the deadline"),
                screenshot,
                FetchOptions.Engine.BROWSER,
                Instant.now().minusSeconds(90),
                false);
    }

    static void assertSamePage(Page expected, Page actual) {
        assertNotNull(actual);
        assertEquals(expected.url(), actual.url());
        assertEquals(expected.status(), actual.status());
        assertEquals(expected.contentType(), actual.contentType());
        assertEquals(expected.charset(), actual.charset());
        assertArrayEquals(expected.body(), actual.body());
        assertEquals(expected.headers(), actual.headers());
        assertEquals(expected.warnings(), actual.warnings());
        assertArrayEquals(expected.screenshot(), actual.screenshot());
        assertEquals(expected.engine(), actual.engine());
        assertEquals(expected.loadedAt(), actual.loadedAt());
    }

    private static String key() {
        return UUID.randomUUID().toString();
    }

    @Test
    void roundTripKeepsEverythingAPageHolds() throws IOException {
        byte[] html =
                "<html><body><p>caf\u00e9 r\u00e9sum\u00e9</p></body></html>"
                        .repeat(400)
                        .getBytes(Charset.forName("windows-1252"));
        byte[] png = new byte[5000];
        new Random(7).nextBytes(png);
        Page page = page(html, png);
        String key = key();
        store.put(key, page);
        assertSamePage(page, store.get(key));
    }

    @Test
    void smallAndIncompressibleBodiesRoundTripAsTheyAre() throws IOException {
        byte[] random = new byte[50_000];
        new Random(11).nextBytes(random);
        for (byte[] body : List.of(new byte[0], "tiny".getBytes(StandardCharsets.UTF_8), random)) {
            Page page =
                    new Page(
                            URI.create("https://example.com/b"),
                            200,
                            "",
                            StandardCharsets.UTF_8,
                            body,
                            Map.of());
            String key = key();
            store.put(key, page);
            Page back = store.get(key);
            assertSamePage(page, back);
            assertNull(back.screenshot());
        }
    }

    @Test
    void compressibleBodiesTakeAFractionOfTheirSizeInRedis() {
        byte[] html = TestSite.ARTICLE.repeat(40).getBytes(StandardCharsets.UTF_8);
        byte[] stored = RedisPageStore.encode(page(html, null));
        assertTrue(
                stored.length < html.length / 4,
                html.length + " bytes of HTML stored in " + stored.length);
    }

    @Test
    void anUnknownKeyIsAMiss() throws IOException {
        assertNull(store.get(key()));
    }

    @Test
    void pagesLeaveAfterTheirTimeToLive() throws Exception {
        RedisPageStore brief = new RedisPageStore(redis, Duration.ofMillis(300));
        String key = key();
        brief.put(key, page(new byte[100], null));
        assertNotNull(brief.get(key));
        long ttl =
                Long.parseLong(server.command("PTTL", "plinth:page:1:" + key).strip().substring(1));
        assertTrue(ttl > 0 && ttl <= 300, "time to live " + ttl + " ms");
        Thread.sleep(600);
        assertNull(brief.get(key));
    }

    @Test
    void aPageOverTheEntryBoundIsNotStored() throws IOException {
        byte[] noise = new byte[RedisPageStore.MAX_ENTRY_BYTES + 1];
        new Random(3).nextBytes(noise);
        String key = key();
        store.put(key, page(noise, null));
        assertNull(store.get(key));
    }

    @Test
    void aCorruptValueIsAStoreErrorNamingTheProblem() throws IOException {
        String key = key();
        server.command("SET", "plinth:page:1:" + key, "\u0000\u0000\u0000\u0010short");
        IOException e = assertThrows(IOException.class, () -> store.get(key));
        assertTrue(e.getMessage().contains("cached page"), e.getMessage());
        byte[] whole = RedisPageStore.encode(page(new byte[2000], null));
        for (int cut : new int[] {0, 3, whole.length / 2, whole.length - 1}) {
            byte[] part = java.util.Arrays.copyOf(whole, cut);
            assertThrows(IOException.class, () -> RedisPageStore.decode(part), "cut at " + cut);
        }
    }
}
