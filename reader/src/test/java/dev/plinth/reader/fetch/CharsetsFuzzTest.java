package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.plinth.reader.FuzzBounds;
import dev.plinth.reader.Page;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The charset sniffer decides a charset for any bytes and any Content-Type value, without an
 * exception, within the deadline and in bounded memory; the page it builds decodes.
 *
 * <p>Input format (regression inputs in {@code CharsetsFuzzTestInputs/}): the first line is the
 * Content-Type header (an empty line: no header), the rest is the body.
 */
class CharsetsFuzzTest {

    private static final URI URL = URI.create("https://example.com/");

    @FuzzTest
    void detectsACharsetForAnyBytes(byte[] input) {
        int newline = indexOf(input, (byte) '\n');
        String header =
                newline <= 0
                        ? null
                        : new String(input, 0, newline, StandardCharsets.ISO_8859_1).strip();
        byte[] body = newline < 0 ? input : Arrays.copyOfRange(input, newline + 1, input.length);
        FuzzBounds.check(
                input,
                (32L << 20) + 64L * input.length,
                () -> {
                    Charset charset = Charsets.detect(body, header);
                    assertNotNull(charset);
                    Page page = Charsets.page(URL, body, header);
                    assertEquals(charset, page.charset());
                    assertTrue(page.body().length <= body.length);
                    assertNotNull(page.text());
                    assertNotNull(Charsets.mediaType(header));
                    return charset;
                });
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
