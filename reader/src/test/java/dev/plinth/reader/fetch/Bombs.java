package dev.plinth.reader.fetch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Resource bombs for tests, small to make and to hold, huge once decoded or parsed: compression
 * bombs in every coding the fetcher undoes, and hostile PDFs. The reader's bomb tests feed them to
 * the reader; the server's feed them to a running server.
 */
public final class Bombs {

    private Bombs() {}

    /** A brotli stream of 256 MiB of zeros, made once with the reference encoder (a resource). */
    public static byte[] brotli256MiB() throws IOException {
        try (InputStream in = Bombs.class.getResourceAsStream("/fetch/bomb-256MiB.br")) {
            if (in == null) {
                throw new IOException("missing test resource /fetch/bomb-256MiB.br");
            }
            return in.readAllBytes();
        }
    }

    /**
     * Compression bombs made in milliseconds rather than by compressing hundreds of megabytes: gzip
     * as repeated members (a gzip stream may be a series of them), Deflate as one flushed block
     * repeated — after the first megabyte the window holds only the fill byte, so every further
     * megabyte compresses to the same bytes — with the true Adler-32 of the whole put back at the
     * end of the zlib form. Both are valid streams of {@code size} bytes.
     */
    public static final class Compressed {

        private static final int BLOCK = 1 << 20;

        public static byte[] gzip(long size) throws IOException {
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

        public static byte[] deflate(long size, int fill, boolean raw) {
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

    /** Hand-built hostile PDFs: small on the wire, huge or deep once parsed. */
    public static final class Pdf {

        /** One page whose content stream is {@code size} bytes of spaces, Flate-compressed. */
        public static byte[] inflatingContent(long size) throws IOException {
            byte[] data = Compressed.deflate(size, ' ', false);
            return document(
                    "<< /Type /Catalog /Pages 2 0 R >>",
                    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
                    stream("/Filter /FlateDecode", data));
        }

        /** {@code n} pages sharing one content stream, in a flat page tree. */
        public static byte[] pages(int n) throws IOException {
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
        public static byte[] nestedArrays(int depth) throws IOException {
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

    /** An HTML page that sends a byte every 50 ms, for about 80 minutes: forever, to a reader. */
    public static void dripForever(com.sun.net.httpserver.HttpExchange exchange)
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
    public static void stream(
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
}
