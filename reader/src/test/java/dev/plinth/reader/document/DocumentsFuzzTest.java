package dev.plinth.reader.document;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.plinth.reader.FuzzBounds;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.fetch.Charsets;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Any body of any content type is converted (plain text, JSON, XML, feeds) or refused with a {@link
 * ReaderException} that names the type, within the deadline and in bounded memory.
 *
 * <p>Input format (regression inputs in {@code DocumentsFuzzTestInputs/}): the first line is the
 * Content-Type header (an empty line: no header), the rest is the body.
 */
class DocumentsFuzzTest {

    private static final URI URL = URI.create("https://example.com/feed");

    @FuzzTest
    void convertsAnyDocumentOrSaysWhy(byte[] input) {
        int newline = 0;
        while (newline < input.length && input[newline] != '\n') {
            newline++;
        }
        String header =
                newline == 0 || newline == input.length
                        ? "application/octet-stream"
                        : new String(input, 0, newline, StandardCharsets.ISO_8859_1).strip();
        byte[] body = Arrays.copyOfRange(input, Math.min(newline + 1, input.length), input.length);
        FuzzBounds.check(
                input,
                (64L << 20) + 2048L * input.length,
                () -> {
                    Documents.Converted converted =
                            Documents.convert(Charsets.page(URL, body, header));
                    assertNotNull(converted.markdown());
                    return converted;
                },
                ReaderException.class);
    }
}
