package dev.plinth.reader.pdf;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.plinth.reader.FuzzBounds;
import dev.plinth.reader.ReaderException;
import java.time.Duration;

/**
 * Any bytes are read as a PDF or refused with a {@link ReaderException} (damaged, encrypted, no
 * text layer, over a cap) — never another exception, never past the deadline, never an unbounded
 * allocation.
 *
 * <p>The reader's own deadline is set to {@link #PDF_DEADLINE} here, half the fuzz bound, so an
 * input that keeps PDFBox busy must be stopped by that deadline, not merely be slow. Regression
 * inputs: {@code PdfReaderFuzzTestInputs/} (small hand-written PDFs, intact and broken).
 */
class PdfReaderFuzzTest {

    private static final Duration PDF_DEADLINE = FuzzBounds.deadline().dividedBy(2);

    private static final PdfReader.Limits LIMITS =
            new PdfReader.Limits(
                    PdfReader.MAX_BYTES, PdfReader.MAX_PAGES, PDF_DEADLINE, PdfReader.MAX_CHARS);

    @FuzzTest
    void readsAnyBytesOrSaysWhy(byte[] input) {
        FuzzBounds.check(
                input,
                (256L << 20) + 4096L * input.length,
                () -> {
                    PdfReader.PdfDocument doc = PdfReader.read(input, null, LIMITS);
                    assertNotNull(doc.markdown());
                    assertTrue(doc.numPages() > 0, "a read PDF has pages");
                    return doc;
                },
                ReaderException.class);
    }
}
