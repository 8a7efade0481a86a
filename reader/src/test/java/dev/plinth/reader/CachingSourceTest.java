package dev.plinth.reader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The cache in front of a page source: its key, its freshness, and the policy it never skips. */
class CachingSourceTest {

    private static final URI PAGE = URI.create("https://example.com/a");

    /** A source that counts loads and refuses what its (changeable) policy refuses. */
    private static final class Origin implements PageSource {
        final AtomicInteger loads = new AtomicInteger();
        String refused = "";
        String policy = "public-only";

        @Override
        public Page load(URI target, FetchOptions options) throws ReaderException {
            admit(target);
            loads.incrementAndGet();
            return new Page(
                    target,
                    200,
                    "text/html",
                    StandardCharsets.UTF_8,
                    ("<p>load " + loads.get() + "</p>").getBytes(StandardCharsets.UTF_8),
                    Map.of());
        }

        @Override
        public void admit(URI target) throws ReaderException {
            if (!refused.isEmpty() && target.toString().contains(refused)) {
                throw new ReaderException(ReaderException.Kind.BLOCKED, "refused: " + target);
            }
        }

        @Override
        public String policy() {
            return policy;
        }
    }

    /** A store in memory, shared between caches as a file or a Redis would be. */
    private static final class MemoryStore implements PageStore {
        final Map<String, Page> pages = new HashMap<>();
        boolean broken;

        @Override
        public Page get(String key) throws IOException {
            if (broken) {
                throw new IOException("store down");
            }
            return pages.get(key);
        }

        @Override
        public void put(String key, Page page) throws IOException {
            if (broken) {
                throw new IOException("store down");
            }
            pages.put(key, page);
        }

        @Override
        public void close() {}
    }

    private final Origin origin = new Origin();
    private final MemoryStore store = new MemoryStore();
    private final CachingSource cache =
            new CachingSource(origin, store, new CachingSource.Listener() {});

    @Test
    void secondLoadIsServedFromTheStore() throws Exception {
        Page first = cache.load(PAGE, FetchOptions.DEFAULTS);
        Page second = cache.load(PAGE, FetchOptions.DEFAULTS);
        assertEquals(1, origin.loads.get());
        assertFalse(first.cached());
        assertTrue(second.cached());
        assertEquals(first.text(), second.text());
    }

    @Test
    void aChangedFetchOptionMissesTheCache() throws Exception {
        cache.load(PAGE, FetchOptions.DEFAULTS);
        cache.load(PAGE, FetchOptions.builder().locale("de-DE").build());
        cache.load(PAGE, FetchOptions.builder().engine(FetchOptions.Engine.BROWSER).build());
        assertEquals(3, origin.loads.get());
    }

    @Test
    void everyFetchOptionButTheCacheDirectivesIsInTheKey() throws Exception {
        // Each component changed alone must change the key: a new field is covered by construction.
        FetchOptions base = FetchOptions.DEFAULTS;
        List<FetchOptions> variants =
                List.of(
                        base.toBuilder().engine(FetchOptions.Engine.DIRECT).build(),
                        base.toBuilder().timeout(Duration.ofSeconds(5)).build(),
                        base.toBuilder().userAgent("bot").build(),
                        base.toBuilder().locale("fr").build(),
                        base.toBuilder().referer("https://r.example/").build(),
                        base.toBuilder().proxyUrl("http://proxy.example:3128").build(),
                        base.toBuilder().robotsTxt("plinth").build(),
                        base.toBuilder().waitForSelector(List.of("#late")).build(),
                        base.toBuilder().withShadowDom(true).build(),
                        base.toBuilder().withIframe(true).build(),
                        base.toBuilder().iframes(FetchOptions.Iframes.QUOTED).build(),
                        base.toBuilder().viewport(800, 600).build(),
                        base.toBuilder().capture(FetchOptions.Capture.SCREENSHOT).build(),
                        base.toBuilder()
                                .respondTiming(FetchOptions.RespondTiming.NETWORK_IDLE)
                                .build(),
                        base.toBuilder().pageScripts(List.of("document.title='x'")).build());
        String key = CachingSource.key(PAGE, "p", base);
        for (FetchOptions variant : variants) {
            assertNotEquals(key, CachingSource.key(PAGE, "p", variant), variant.toString());
        }
        assertEquals(
                key,
                CachingSource.key(
                        PAGE,
                        "p",
                        base.toBuilder()
                                .cacheTolerance(Duration.ofSeconds(9))
                                .noStore(true)
                                .build()));
        assertNotEquals(key, CachingSource.key(PAGE, "q", base), "the policy is in the key");
    }

    @Test
    void aChangedConversionOptionHitsTheCache() throws Exception {
        try (Reader reader = new Reader(cache)) {
            reader.read(Request.of(PAGE, Options.DEFAULTS));
            Result html =
                    reader.read(
                            Request.of(
                                    PAGE,
                                    Options.builder()
                                            .respondWith(Options.Format.HTML)
                                            .removeSelector(List.of("nav"))
                                            .maxTokens(100)
                                            .build()));
            assertEquals(1, origin.loads.get());
            assertTrue(html.cached());
        }
    }

    @Test
    void theKeyNormalizesTheUrl() {
        FetchOptions o = FetchOptions.DEFAULTS;
        assertEquals(
                CachingSource.key(URI.create("HTTPS://Example.COM:443"), "p", o),
                CachingSource.key(URI.create("https://example.com/#top"), "p", o));
        assertNotEquals(
                CachingSource.key(URI.create("https://example.com/?a=1"), "p", o),
                CachingSource.key(URI.create("https://example.com/?a=2"), "p", o));
    }

    @Test
    void pagesOlderThanTheToleranceAreLoadedAgain() throws Exception {
        String key = CachingSource.key(PAGE, origin.policy(), FetchOptions.DEFAULTS);
        store.pages.put(key, stale(Duration.ofMinutes(90)));
        cache.load(PAGE, FetchOptions.DEFAULTS);
        assertEquals(1, origin.loads.get(), "older than the default hour");
        store.pages.put(key, stale(Duration.ofMinutes(90)));
        Page tolerated =
                cache.load(
                        PAGE, FetchOptions.builder().cacheTolerance(Duration.ofHours(2)).build());
        assertTrue(tolerated.cached());
        cache.load(PAGE, FetchOptions.builder().cacheTolerance(Duration.ZERO).build());
        assertEquals(2, origin.loads.get(), "a zero tolerance never uses the cache");
    }

    @Test
    void aHitNeverReturnsWhatTheCurrentPolicyRefuses() throws Exception {
        cache.load(PAGE, FetchOptions.DEFAULTS);
        origin.refused = "example.com";
        assertThrows(ReaderException.class, () -> cache.load(PAGE, FetchOptions.DEFAULTS));
        assertEquals(1, origin.loads.get());
    }

    @Test
    void aCachedRedirectTargetIsJudgedAgain() throws Exception {
        // A page stored under an allowed URL whose final URL the policy now refuses is a miss.
        String key = CachingSource.key(PAGE, origin.policy(), FetchOptions.DEFAULTS);
        store.pages.put(
                key,
                new Page(
                        URI.create("http://169.254.169.254/latest"),
                        200,
                        "text/plain",
                        StandardCharsets.UTF_8,
                        "secret".getBytes(StandardCharsets.UTF_8),
                        Map.of()));
        origin.refused = "169.254.169.254";
        Page page = cache.load(PAGE, FetchOptions.DEFAULTS);
        assertFalse(page.cached());
        assertEquals(PAGE, page.url());
    }

    @Test
    void pagesStoredUnderAnotherPolicyAreNotServed() throws Exception {
        origin.policy = "private-network-allowed";
        cache.load(PAGE, FetchOptions.DEFAULTS);
        origin.policy = "public-only";
        assertFalse(cache.load(PAGE, FetchOptions.DEFAULTS).cached());
        assertEquals(2, origin.loads.get());
    }

    @Test
    void pagesLoadedWithCookiesAreNeitherStoredNorServed() throws Exception {
        FetchOptions cookies = FetchOptions.builder().cookies(List.of("session=1")).build();
        cache.load(PAGE, cookies);
        cache.load(PAGE, cookies);
        assertEquals(2, origin.loads.get());
        assertTrue(store.pages.isEmpty());
    }

    @Test
    void aPageAskedToBeKeptOutIsNotStored() throws Exception {
        cache.load(PAGE, FetchOptions.builder().noStore(true).build());
        assertTrue(store.pages.isEmpty());
        cache.load(PAGE, FetchOptions.DEFAULTS);
        assertFalse(store.pages.isEmpty());
    }

    @Test
    void aBrokenStoreServesUncached() throws Exception {
        store.broken = true;
        AtomicInteger failures = new AtomicInteger();
        CachingSource failing =
                new CachingSource(
                        origin,
                        store,
                        new CachingSource.Listener() {
                            @Override
                            public void storeFailed(IOException e) {
                                failures.incrementAndGet();
                            }
                        });
        assertFalse(failing.load(PAGE, FetchOptions.DEFAULTS).cached());
        assertEquals(2, failures.get(), "the lookup and the write both failed");
    }

    private static Page stale(Duration age) {
        return new Page(
                PAGE,
                200,
                "text/html",
                StandardCharsets.UTF_8,
                "<p>old</p>".getBytes(StandardCharsets.UTF_8),
                Map.of(),
                List.of(),
                null,
                FetchOptions.Engine.DIRECT,
                Instant.now().minus(age),
                false);
    }
}
