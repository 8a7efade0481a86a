package dev.plinth.bench;

import dev.plinth.reader.ReaderException;
import dev.plinth.reader.pdf.PdfReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.multipdf.PDFMergerUtility;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;

/**
 * PDF conversion speed in pages per second, on two 100-page PDFs built at run time (nothing large
 * is committed): the golden fixtures (Chromium and LibreOffice output, mixed layouts) concatenated
 * until 100 pages, and a dense two-column document of 2 × 55 lines a page drawn with PDFBox. Each
 * is read whole by {@link PdfReader#read} twice to warm up, then timed over five runs; the median
 * is reported. One thread, so the figure is per core.
 *
 * <p>Run: {@code mvn -q -B -Dplinth.build=target-pdf -pl bench -am test-compile exec:java
 * -Dexec.mainClass=dev.plinth.bench.PdfSpeed} (optional argument: the fixture folder).
 */
public final class PdfSpeed {

    private static final int PAGES = 100;
    private static final int WARMUP = 2;
    private static final int RUNS = 5;

    private PdfSpeed() {}

    public static void main(String[] args) throws IOException, ReaderException {
        Path dir = Path.of(args.length > 0 ? args[0] : "reader/src/test/resources/pdf");
        List<Path> fixtures;
        try (Stream<Path> files = Files.list(dir)) {
            fixtures = files.filter(p -> p.toString().endsWith(".pdf")).sorted().toList();
        }
        measure("fixtures concatenated", concatenated(fixtures));
        measure("dense two-column text", denseTwoColumns());
    }

    private static void measure(String name, byte[] pdf) throws ReaderException {
        int pages = 0;
        int chars = 0;
        for (int i = 0; i < WARMUP; i++) {
            PdfReader.PdfDocument doc = PdfReader.read(pdf, null);
            pages = doc.numPages();
            chars = doc.markdown().length();
        }
        double[] seconds = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            PdfReader.read(pdf, null);
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        double median = seconds[RUNS / 2];
        System.out.printf(
                "%-24s %3d pages, %7d bytes, %7d chars out: %6.1f pages/s (median %.2f s, min %.2f s, max %.2f s)%n",
                name,
                pages,
                pdf.length,
                chars,
                pages / median,
                median,
                seconds[0],
                seconds[RUNS - 1]);
    }

    /**
     * The fixtures appended one after another, round robin, cut to exactly {@link #PAGES} pages.
     */
    private static byte[] concatenated(List<Path> fixtures) throws IOException {
        Path tmp = Files.createTempDirectory("plinth-pdfspeed");
        try (PDDocument out = new PDDocument()) {
            PDFMergerUtility merger = new PDFMergerUtility();
            for (int i = 0; out.getNumberOfPages() < PAGES; i++) {
                try (PDDocument part = Loader.loadPDF(fixtures.get(i % fixtures.size()).toFile())) {
                    merger.appendDocument(out, part);
                }
            }
            while (out.getNumberOfPages() > PAGES) {
                out.removePage(out.getNumberOfPages() - 1);
            }
            Path file = tmp.resolve("fixtures-100.pdf");
            out.save(file.toFile());
            return Files.readAllBytes(file);
        } finally {
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(tmp);
        }
    }

    /** 100 A4 pages of two justified-width columns of pseudo-words, a heading on each page. */
    private static byte[] denseTwoColumns() throws IOException {
        PDType1Font regular = new PDType1Font(Standard14Fonts.FontName.TIMES_ROMAN);
        PDType1Font bold = new PDType1Font(Standard14Fonts.FontName.TIMES_BOLD);
        Random random = new Random(42);
        String[] vocabulary =
                "the of and to in that is was for on with as by at from this which be are an or not it has"
                        .concat(
                                " layout column reading order paragraph heading table glyph baseline margin section page text")
                        .split(" ");
        try (PDDocument doc = new PDDocument()) {
            for (int p = 0; p < PAGES; p++) {
                PDPage page = new PDPage(PDRectangle.A4);
                doc.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                    content.beginText();
                    content.setFont(bold, 16);
                    content.newLineAtOffset(56, 790);
                    content.showText("Section " + (p + 1));
                    content.endText();
                    for (int column = 0; column < 2; column++) {
                        content.beginText();
                        content.setFont(regular, 10);
                        content.setLeading(12.5f);
                        content.newLineAtOffset(56 + column * 250, 760);
                        for (int line = 0; line < 55; line++) {
                            StringBuilder text = new StringBuilder();
                            while (text.length() < 44) {
                                text.append(vocabulary[random.nextInt(vocabulary.length)])
                                        .append(' ');
                            }
                            content.showText(text.toString().strip());
                            content.newLine();
                        }
                        content.endText();
                    }
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        }
    }
}
