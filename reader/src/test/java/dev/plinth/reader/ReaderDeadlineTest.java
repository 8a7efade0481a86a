package dev.plinth.reader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A conversion stops when its deadline passes, and its worker is free again at once. */
class ReaderDeadlineTest {

    /** One worker: if cancelled work went on running, the next conversion would wait for it. */
    private final CpuPool pool = new CpuPool(1);

    @AfterEach
    void stop() {
        pool.close();
    }

    private static final URI BASE = URI.create("https://example.com/");

    /** No loading here: every request carries its page. */
    private static final PageSource NOWHERE =
            new PageSource() {
                @Override
                public Page load(URI target, FetchOptions options) throws ReaderException {
                    throw new ReaderException(ReaderException.Kind.UNREADABLE, "no network");
                }

                @Override
                public void admit(URI target) {}

                @Override
                public String policy() {
                    return "none";
                }
            };

    @Test
    void aCostlySelectorStopsAtTheDeadlineAndFreesItsWorker() throws Exception {
        // 100k nested divs (jsoup nests 512 deep, then lays the rest side by side): "div:has(span)"
        // scans a subtree per element, seconds of work, far past a 1 s deadline.
        String nested = "<div>".repeat(100_000) + "text";
        Options bomb = Options.builder().targetSelector(List.of("div:has(span)")).build();
        try (Reader reader =
                new Reader(NOWHERE, new Reader.Settings(Duration.ofSeconds(1), pool))) {
            long start = System.nanoTime();
            ReaderException e =
                    assertThrows(
                            ReaderException.class,
                            () -> reader.read(Request.ofHtml(nested, BASE, bomb)));
            long took = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("longer than the 1 s limit"), e.getMessage());
            assertTrue(took < 5_000, "gave up after " + took + " ms");
            // One worker only: if the cancelled work were still running, this would wait for it
            // and miss its own deadline.
            Result next =
                    reader.read(
                            Request.ofHtml(
                                    "<article><p>Small page read right after.</p></article>",
                                    BASE,
                                    Options.DEFAULTS));
            assertTrue(next.content().contains("Small page read right after."), next.content());
        }
    }

    @Test
    void anInterruptedCallerCancelsItsConversion() throws Exception {
        String nested = "<div>".repeat(100_000) + "text";
        Options bomb = Options.builder().targetSelector(List.of("div:has(span)")).build();
        try (Reader reader =
                new Reader(NOWHERE, new Reader.Settings(Duration.ofSeconds(60), pool))) {
            Thread caller =
                    Thread.ofPlatform()
                            .start(() -> {
                                try {
                                    reader.read(Request.ofHtml(nested, BASE, bomb));
                                } catch (ReaderException e) {
                                    assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
                                }
                            });
            Thread.sleep(300);
            caller.interrupt(); // what the server does when the client goes away
            caller.join(5_000);
            long start = System.nanoTime();
            reader.read(Request.ofHtml("<p>After the cancelled one.</p>", BASE, Options.DEFAULTS));
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waited < 5_000, "the worker was busy for " + waited + " ms more");
        }
    }
}
