package dev.plinth.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.ReaderException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pool's limits with one context: pages wait their turn no longer than their deadline. */
class PoolTest {

    private static TestSite site;
    private static Browser browser;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        site.page(
                "/busy",
                """
                <html><body><p>Busy page</p><script>
                  setTimeout(() => document.body.insertAdjacentHTML('beforeend', '<p>done</p>'), 400);
                </script></body></html>\
                """);
        site.page("/quick", "<html><body><p>Quick page text.</p></body></html>");
        browser =
                Browser.lazy(
                        new Browser.Settings(false)
                                .withAlsoAllowed(Set.of(site.address()))
                                .withContexts(1)
                                .withPagesPerContext(2));
    }

    @AfterAll
    static void stop() {
        browser.close();
        site.close();
    }

    @Test
    void startsChromiumOnlyOnTheFirstPage() throws Exception {
        try (Browser idle = Browser.lazy(new Browser.Settings(false))) {
            assertEquals(0, idle.starts());
            assertEquals(-1, idle.pid());
        }
    }

    @Test
    void aPageWaitsForTheContextNoLongerThanItsDeadline() throws Exception {
        browser.load(
                site.url("/quick"), FetchOptions.DEFAULTS); // Chromium up before timing anything
        CompletableFuture<String> first =
                CompletableFuture.supplyAsync(() -> {
                    try {
                        return browser.load(site.url("/busy"), FetchOptions.DEFAULTS).text();
                    } catch (ReaderException e) {
                        throw new IllegalStateException(e);
                    }
                });
        Thread.sleep(150);
        long start = System.nanoTime();
        ReaderException e =
                assertThrows(
                        ReaderException.class,
                        () ->
                                browser.load(
                                        site.url("/quick"),
                                        FetchOptions.builder()
                                                .timeout(Duration.ofMillis(300))
                                                .build()));
        long waited = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().contains("busy"), e.getMessage());
        assertTrue(waited < 1_000, "waited " + waited + " ms");
        assertTrue(first.get().contains("done"));
        // Reused and recycled contexts keep serving: pagesPerContext is 2, so this crosses a
        // recycle.
        for (int i = 0; i < 3; i++) {
            assertTrue(
                    browser.load(site.url("/quick"), FetchOptions.DEFAULTS)
                            .text()
                            .contains("Quick page text."));
        }
        assertEquals(1, browser.starts());
    }

    @Test
    void restartsChromiumWhenItsMemoryIsOverTheLimit() throws Exception {
        // A 1-byte limit: every weighing finds the browser too heavy.
        try (Browser heavy =
                Browser.lazy(
                        new Browser.Settings(
                                false,
                                Path.of("/usr/bin/chromium"),
                                1,
                                50,
                                1,
                                Duration.ofSeconds(10),
                                Set.of(site.address())))) {
            heavy.load(
                    site.url("/quick"),
                    FetchOptions.DEFAULTS); // weighed after this page, off the request path
            assertTrue(heavy.memory().pssBytes() > 0, "no memory read from /proc");
            Thread.sleep(1000);
            long pid = heavy.pid();
            heavy.load(
                    site.url("/quick"),
                    FetchOptions.DEFAULTS); // released overweight: the browser goes
            assertEquals(-1, heavy.pid());
            assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
            assertTrue(
                    heavy.load(site.url("/quick"), FetchOptions.DEFAULTS)
                            .text()
                            .contains("Quick page text."));
            assertEquals(2, heavy.starts());
        }
    }

    @Test
    void aMissingChromiumIsAClearError() {
        try (Browser missing =
                Browser.lazy(
                        new Browser.Settings(
                                false,
                                Path.of("/nonexistent/chromium"),
                                1,
                                1,
                                0,
                                Duration.ofSeconds(5),
                                Set.of()))) {
            ReaderException e =
                    assertThrows(
                            ReaderException.class,
                            () -> missing.load(site.url("/quick"), FetchOptions.DEFAULTS));
            assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
            assertTrue(e.getMessage().contains("/nonexistent/chromium"), e.getMessage());
        }
    }
}
