package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.Options;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.ReaderException.Kind;
import dev.plinth.reader.Request;
import dev.plinth.reader.pdf.PdfReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Resource bombs against the whole reader, each served by a loopback server: compression bombs in
 * every coding the fetcher undoes, a response that drips forever, a 200 MB page (declared and not),
 * and PDF bombs. Each ends in a clear error or a correct answer within its deadline, and the
 * reading thread allocates a bounded amount — far less than the bomb's size, so nothing was
 * buffered whole.
 *
 * <p>Allocation is the reading thread's ({@code com.sun.management.ThreadMXBean}): the body is
 * decoded there, and the PDF is parsed there; the HTTP client's own buffers are bounded by its flow
 * control. The reader runs with the production caps: 10 MiB on the wire and decoded.
 */
class ReaderBombsTest {

    private static final long CAP = 10L << 20;

    /**
     * What a read of a body may allocate, whatever it is fed: a few times the cap (buffer growth,
     * decoding, the text), never a bomb's size (200 MiB and more).
     */
    private static final long ALLOCATION_BOUND = 6 * CAP + (64L << 20);

    /**
     * A PDF is parsed whole, its cross-reference table and every object: PDFBox allocates some
     * twenty times a file's size doing so. Bounded by the 10 MiB cap all the same.
     */
    private static final long PDF_ALLOCATION_BOUND = 32 * CAP + (64L << 20);

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static TestServer server;
    private static Reader reader;

    @BeforeAll
    static void start() throws IOException {
        server = new TestServer();
        reader =
                new Reader(
                        new Fetcher(
                                new Fetcher.Settings(true, Duration.ofSeconds(20), CAP, CAP),
                                new AddressGuard(
                                        true,
                                        java.util.Set.of(InetAddress.getLoopbackAddress()),
                                        host -> {
                                            throw new java.net.UnknownHostException(host);
                                        })));
        long bomb = 256L << 20;
        server.route("/gzip", TestServer.encoded("gzip", Bombs.Compressed.gzip(bomb)))
                .route(
                        "/deflate",
                        TestServer.encoded("deflate", Bombs.Compressed.deflate(bomb, 0, false)))
                .route(
                        "/deflate-raw",
                        TestServer.encoded("deflate", Bombs.Compressed.deflate(bomb, 0, true)))
                .route("/br", TestServer.encoded("br", Bombs.brotli256MiB()))
                .route("/drip", Bombs::dripForever)
                .route("/200mb", exchange -> Bombs.stream(exchange, 200L << 20, false))
                .route("/200mb-declared", exchange -> Bombs.stream(exchange, 200L << 20, true))
                .route("/pdf-inflates-to-256mib", pdf(Bombs.Pdf.inflatingContent(256L << 20)))
                .route("/pdf-60k-pages", pdf(Bombs.Pdf.pages(60_000)))
                .route("/pdf-nested-arrays", pdf(Bombs.Pdf.nestedArrays(200_000)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void gzipBombStopsAtTheDecodedCap() throws Exception {
        assertTooLarge("/gzip", "decoded");
    }

    @Test
    void deflateBombsStopAtTheDecodedCap() throws Exception {
        assertTooLarge("/deflate", "decoded");
        assertTooLarge("/deflate-raw", "decoded");
    }

    @Test
    void brotliBombStopsAtTheDecodedCap() throws Exception {
        assertTooLarge("/br", "decoded");
    }

    @Test
    void pageThatDripsForeverEndsAtTheDeadline() throws Exception {
        Options options = Options.builder().fetch(f -> f.timeout(Duration.ofMillis(1500))).build();
        ReaderException e = bounded(Duration.ofSeconds(5), () -> fail("/drip", options));
        assertEquals(Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().contains("timed out after 1.5 s"), e.getMessage());
    }

    @Test
    void twoHundredMegabytePageStopsAtTheWireCap() throws Exception {
        assertTooLarge("/200mb", "on the wire");
        ReaderException declared =
                bounded(Duration.ofSeconds(3), () -> fail("/200mb-declared", Options.DEFAULTS));
        assertEquals(Kind.TOO_LARGE, declared.kind());
        assertTrue(declared.getMessage().contains("209715200 bytes"), declared.getMessage());
    }

    /**
     * A 256 MiB content stream (of spaces) in 256 KiB of Flate: PDFBox parses the decoded stream as
     * it inflates, so memory stays flat and the answer — no text — comes within the PDF deadline.
     * (The time is linear in the inflated size; the PDF deadline is what bounds a bigger one.)
     */
    @Test
    void pdfWhoseContentInflatesToHundredsOfMegabytesIsReadInBoundedMemory() throws Exception {
        ReaderException e =
                bounded(
                        PdfReader.DEADLINE,
                        ALLOCATION_BOUND,
                        () -> fail("/pdf-inflates-to-256mib", Options.DEFAULTS));
        assertEquals(Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().contains("no text layer"), e.getMessage());
    }

    @Test
    void pdfWithSixtyThousandPagesIsRefusedWithAHint() throws Exception {
        ReaderException e =
                bounded(
                        Duration.ofSeconds(20),
                        PDF_ALLOCATION_BOUND,
                        () -> fail("/pdf-60k-pages", Options.DEFAULTS));
        assertEquals(Kind.TOO_LARGE, e.kind());
        assertTrue(e.getMessage().contains("select a range"), e.getMessage());
    }

    @Test
    void pdfWithDeeplyNestedObjectsIsRefusedAsDamaged() throws Exception {
        ReaderException e =
                bounded(
                        Duration.ofSeconds(20),
                        PDF_ALLOCATION_BOUND,
                        () -> fail("/pdf-nested-arrays", Options.DEFAULTS));
        assertEquals(Kind.UNREADABLE, e.kind(), e.getMessage());
    }

    // --- helpers ------------------------------------------------------------------------------

    private static void assertTooLarge(String path, String cap) throws Exception {
        ReaderException e = bounded(Duration.ofSeconds(10), () -> fail(path, Options.DEFAULTS));
        assertEquals(Kind.TOO_LARGE, e.kind(), path + ": " + e.getMessage());
        assertEquals(413, e.kind().status());
        assertTrue(e.getMessage().contains(cap), e.getMessage());
    }

    private static ReaderException fail(String path, Options options) {
        return assertThrows(
                ReaderException.class, () -> reader.read(Request.of(server.url(path), options)));
    }

    private static <T> T bounded(Duration deadline, Callable<T> read) throws Exception {
        return bounded(deadline, ALLOCATION_BOUND, read);
    }

    /**
     * Runs {@code read} and checks it ended within {@code deadline} and allocated a bounded sum.
     */
    private static <T> T bounded(Duration deadline, long allocationBound, Callable<T> read)
            throws Exception {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        T result = read.call();
        long took = System.nanoTime() - start;
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertTrue(
                took < deadline.toNanos(),
                "took " + took / 1_000_000 + " ms, over " + deadline.toMillis() + " ms");
        assertTrue(
                allocated < allocationBound,
                "allocated " + (allocated >> 20) + " MiB, over " + (allocationBound >> 20));
        return result;
    }

    private static TestServer.Route pdf(byte[] bytes) {
        return TestServer.page("application/pdf", bytes);
    }
}
