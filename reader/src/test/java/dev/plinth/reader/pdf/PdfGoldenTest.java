package dev.plinth.reader.pdf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.ReaderException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code pdf/*.pdf} (made by Chromium or LibreOffice from {@code pdf/src/}, see {@code
 * scripts/make-pdf-fixtures.sh}) converts to exactly the {@code .md} beside it.
 */
class PdfGoldenTest {

    static List<Path> fixtures() throws IOException, URISyntaxException {
        Path dir = Path.of(PdfGoldenTest.class.getResource("/pdf").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".pdf")).sorted().toList();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void convertsToExpectedMarkdown(Path pdf) throws IOException, ReaderException {
        String name = pdf.getFileName().toString();
        Path expected = pdf.resolveSibling(name.replace(".pdf", ".md"));
        assertTrue(Files.exists(expected), "no expected Markdown beside " + name);

        PdfReader.PdfDocument doc = PdfReader.read(Files.readAllBytes(pdf), null);

        assertEquals(Files.readString(expected), doc.markdown(), name);
        assertTrue(doc.title() != null && !doc.title().isBlank(), "title of " + name);
        assertTrue(
                doc.created() != null
                        && doc.created().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*"),
                "ISO creation date of " + name + ": " + doc.created());
    }
}
