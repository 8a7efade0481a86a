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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
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
        server.route("/gzip", TestServer.encoded("gzip", Compressed.gzip(bomb)))
                .route(
                        "/deflate",
                        TestServer.encoded("deflate", Compressed.deflate(bomb, 0, false)))
                .route(
                        "/deflate-raw",
                        TestServer.encoded("deflate", Compressed.deflate(bomb, 0, true)))
                .route("/br", TestServer.encoded("br", resource("/fetch/bomb-256MiB.br")))
                .route("/drip", ReaderBombsTest::dripForever)
                .route("/200mb", exchange -> stream(exchange, 200L << 20, false))
                .route("/200mb-declared", exchange -> stream(exchange, 200L << 20, true))
                .route("/pdf-inflates-to-256mib", pdf(PdfBombs.inflatingContent(256L << 20)))
                .route("/pdf-60k-pages", pdf(PdfBombs.pages(60_000)))
                .route("/pdf-nested-arrays", pdf(PdfBombs.nestedArrays(200_000)));
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

    private static void dripForever(com.sun.net.httpserver.HttpExchange exchange)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/html");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        out.write("<html><body><p>".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 100_000; i++) { // ~80 minutes at a byte per 50 ms: forever enough
            out.write('x');
            out.flush();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** {@code size} bytes of HTML-ish text, as fast as the client takes them. */
    private static void stream(
            com.sun.net.httpserver.HttpExchange exchange, long size, boolean declare)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/html");
        exchange.sendResponseHeaders(200, declare ? size : 0);
        byte[] block = "<p>filler</p>\n".repeat(4096).getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = exchange.getResponseBody()) {
            for (long sent = 0; sent < size; sent += block.length) {
                out.write(block, 0, (int) Math.min(block.length, size - sent));
            }
        }
    }

    /**
     * Compression bombs made in milliseconds rather than by compressing hundreds of megabytes: gzip
     * as repeated members (a gzip stream may be a series of them), Deflate as one flushed block
     * repeated — after the first megabyte the window holds only the fill byte, so every further
     * megabyte compresses to the same bytes — with the true Adler-32 of the whole put back at the
     * end of the zlib form. Both are valid streams of {@code size} bytes.
     */
    static final class Compressed {

        private static final int BLOCK = 1 << 20;

        static byte[] gzip(long size) throws IOException {
            ByteArrayOutputStream member = new ByteArrayOutputStream();
            try (GZIPOutputStream z = new GZIPOutputStream(member)) {
                z.write(new byte[BLOCK]);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (long done = 0; done < size; done += BLOCK) {
                member.writeTo(out);
            }
            return out.toByteArray();
        }

        static byte[] deflate(long size, int fill, boolean raw) {
            byte[] block = new byte[BLOCK];
            java.util.Arrays.fill(block, (byte) fill);
            Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, raw);
            byte[] first = flushed(deflater, block);
            byte[] repeated = flushed(deflater, block);
            deflater.finish();
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            byte[] buffer = new byte[64];
            while (!deflater.finished()) {
                tail.write(buffer, 0, deflater.deflate(buffer));
            }
            deflater.end();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(first);
            java.util.zip.Adler32 adler = new java.util.zip.Adler32();
            adler.update(block);
            for (long done = BLOCK; done < size; done += BLOCK) {
                out.writeBytes(repeated);
                adler.update(block);
            }
            byte[] end = tail.toByteArray();
            if (!raw) { // the tail's checksum is of the two blocks the deflater saw
                long sum = adler.getValue();
                for (int i = 0; i < 4; i++) {
                    end[end.length - 1 - i] = (byte) (sum >>> (8 * i));
                }
            }
            out.writeBytes(end);
            return out.toByteArray();
        }

        private static byte[] flushed(Deflater deflater, byte[] block) {
            deflater.setInput(block);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[BLOCK];
            int n;
            do {
                n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
                out.write(buffer, 0, n);
            } while (n == buffer.length);
            return out.toByteArray();
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ReaderBombsTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }

    /** Hand-built hostile PDFs: small on the wire, huge or deep once parsed. */
    static final class PdfBombs {

        /** One page whose content stream is {@code size} bytes of spaces, Flate-compressed. */
        static byte[] inflatingContent(long size) throws IOException {
            byte[] data = Compressed.deflate(size, ' ', false);
            return document(
                    "<< /Type /Catalog /Pages 2 0 R >>",
                    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                    stream("/Filter /FlateDecode", data));
        }

        /** {@code n} pages sharing one content stream, in a flat page tree. */
        static byte[] pages(int n) throws IOException {
            StringBuilder kids = new StringBuilder();
            for (int i = 0; i < n; i++) {
                kids.append(i + 5).append(" 0 R ");
            }
            String[] objects = new String[n + 4];
            objects[0] = "<< /Type /Catalog /Pages 2 0 R >>";
            objects[1] = "<< /Type /Pages /Kids [" + kids + "] /Count " + n + " >>";
            objects[2] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
            objects[3] =
                    "<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 700 Td (Page text.) Tj ET\n\nendstream";
            for (int i = 0; i < n; i++) {
                objects[i + 4] =
                        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
                                + " /Resources << /Font << /F1 3 0 R >> >> >>";
            }
            return document(objects);
        }

        /** A page dictionary holding {@code depth} nested arrays. */
        static byte[] nestedArrays(int depth) throws IOException {
            return document(
                    "<< /Type /Catalog /Pages 2 0 R >>",
                    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Deep "
                            + "[".repeat(depth)
                            + "]".repeat(depth)
                            + " >>");
        }

        private static String stream(String dictionary, byte[] data) {
            return "<< "
                    + dictionary
                    + " /Length "
                    + data.length
                    + " >>\nstream\n"
                    + new String(data, StandardCharsets.ISO_8859_1)
                    + "\nendstream";
        }

        /** Objects numbered from 1, with a correct cross-reference table. */
        private static byte[] document(String... objects) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write("%PDF-1.4\n".getBytes(StandardCharsets.ISO_8859_1));
            long[] offsets = new long[objects.length];
            for (int i = 0; i < objects.length; i++) {
                offsets[i] = out.size();
                out.write(
                        ((i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n")
                                .getBytes(StandardCharsets.ISO_8859_1));
            }
            long xref = out.size();
            StringBuilder table =
                    new StringBuilder(
                            "xref\n0 " + (objects.length + 1) + "\n0000000000 65535 f \n");
            for (long offset : offsets) {
                table.append(String.format("%010d 00000 n \n", offset));
            }
            table.append("trailer\n<< /Size ")
                    .append(objects.length + 1)
                    .append(" /Root 1 0 R >>\nstartxref\n")
                    .append(xref)
                    .append("\n%%EOF\n");
            out.write(table.toString().getBytes(StandardCharsets.ISO_8859_1));
            return out.toByteArray();
        }
    }
}
