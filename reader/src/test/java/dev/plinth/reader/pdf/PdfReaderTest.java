package dev.plinth.reader.pdf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Fetcher;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.pdfbox.pdmodel.graphics.image.LosslessFactory;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.pdmodel.interactive.action.PDActionURI;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationLink;
import org.junit.jupiter.api.Test;

/** Metadata, page selection and every way a PDF can fail, on PDFs made here with PDFBox. */
class PdfReaderTest {

    private static final PDType1Font HELVETICA =
            new PDType1Font(Standard14Fonts.FontName.HELVETICA);

    @Test
    void readsTitleAuthorAndIsoDatesFromDocumentInfo() throws Exception {
        byte[] pdf =
                pdf(
                        List.of(List.of("A single line of body text.")),
                        info -> {
                            info.setTitle("Annual Report");
                            info.setAuthor("Jane Roe");
                            Calendar created =
                                    Calendar.getInstance(TimeZone.getTimeZone("GMT+01:00"));
                            created.clear();
                            created.set(2024, Calendar.MARCH, 5, 10, 15, 30);
                            info.setCreationDate(created);
                        });

        PdfReader.PdfDocument doc = PdfReader.read(pdf, null);

        assertEquals("Annual Report", doc.title());
        assertEquals("Jane Roe", doc.author());
        assertEquals("2024-03-05T10:15:30+01:00", doc.created());
        assertEquals(null, doc.modified());
        assertEquals(1, doc.numPages());
        assertEquals("A single line of body text.\n", doc.markdown());
    }

    @Test
    void selectsPagesAndRangesButCountsAllPages() throws Exception {
        byte[] pdf =
                pdf(
                        List.of(
                                List.of("Alpha page."),
                                List.of("Bravo page."),
                                List.of("Charlie page.")),
                        info -> {});

        assertEquals("Bravo page.\n", PdfReader.read(pdf, "2").markdown());
        assertEquals("Bravo page.\n\nCharlie page.\n", PdfReader.read(pdf, "2-").markdown());
        assertEquals("Alpha page.\n\nCharlie page.\n", PdfReader.read(pdf, "1,3").markdown());
        assertEquals(3, PdfReader.read(pdf, "2").numPages());
    }

    @Test
    void readsOnePageAsItReadsWithinTheWholeDocument() throws Exception {
        byte[] manual;
        try (var in = PdfReaderTest.class.getResourceAsStream("/pdf/libreoffice-manual.pdf")) {
            manual = in.readAllBytes();
        }

        String page2 = PdfReader.read(manual, "2").markdown();

        // The running header is known from page 1, and so is the 20 pt top-level heading.
        assertFalse(page2.contains("Workshop edition"), page2);
        assertTrue(page2.contains("\n## When to call for service\n"), page2);
        assertTrue(
                PdfReader.read(manual, null)
                        .markdown()
                        .endsWith(page2.substring(page2.indexOf("## When"))));
    }

    @Test
    void picksNeighbouringPagesAsContext() {
        assertEquals(List.of(4, 6, 3, 7), PdfReader.contextPages(List.of(new int[] {5, 5}), 10));
        assertEquals(List.of(2, 3, 4, 5), PdfReader.contextPages(List.of(new int[] {1, 1}), 10));
        assertEquals(List.of(), PdfReader.contextPages(List.of(new int[] {1, 2}), 2));
    }

    @Test
    void rejectsPagesTheDocumentDoesNotHave() throws Exception {
        byte[] pdf = pdf(List.of(List.of("Only page.")), info -> {});

        ReaderException beyond =
                assertThrows(ReaderException.class, () -> PdfReader.read(pdf, "4"));
        assertEquals(ReaderException.Kind.BAD_OPTION, beyond.kind());
        assertTrue(beyond.getMessage().contains("has 1 pages"), beyond.getMessage());
        ReaderException malformed =
                assertThrows(ReaderException.class, () -> PdfReader.read(pdf, "one"));
        assertEquals(ReaderException.Kind.BAD_OPTION, malformed.kind());
    }

    @Test
    void refusesPdfThatNeedsPassword() throws Exception {
        byte[] pdf = encrypted("secret");

        ReaderException e = assertThrows(ReaderException.class, () -> PdfReader.read(pdf, null));

        assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().contains("encrypted and needs a password"), e.getMessage());
    }

    @Test
    void readsPdfEncryptedWithOwnerPasswordOnly() throws Exception {
        byte[] pdf = encrypted("");

        assertEquals("Confidential minutes.\n", PdfReader.read(pdf, null).markdown());
    }

    @Test
    void refusesScanWithoutTextLayer() throws Exception {
        byte[] pdf;
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            BufferedImage scan = new BufferedImage(200, 100, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = scan.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 200, 100);
            g.setColor(Color.BLACK);
            g.drawString("Scanned words", 20, 50);
            g.dispose();
            PDImageXObject image = LosslessFactory.createFromImage(doc, scan);
            try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                content.drawImage(image, 50, 500, 400, 200);
            }
            pdf = save(doc);
        }

        ReaderException e = assertThrows(ReaderException.class, () -> PdfReader.read(pdf, null));

        assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().contains("no text layer"), e.getMessage());
    }

    @Test
    void refusesTruncatedFile() throws Exception {
        byte[] whole = pdf(List.of(List.of("Some text that will be cut off.")), info -> {});
        byte[] truncated = Arrays.copyOf(whole, 200);

        ReaderException e =
                assertThrows(ReaderException.class, () -> PdfReader.read(truncated, null));

        assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
    }

    @Test
    void refusesBytesThatAreNotPdf() {
        byte[] junk =
                "%PDF-1.7\nthis is not really a PDF at all\n".getBytes(StandardCharsets.US_ASCII);

        ReaderException e = assertThrows(ReaderException.class, () -> PdfReader.read(junk, null));

        assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().startsWith("the PDF is damaged"), e.getMessage());
    }

    @Test
    void refusesMorePagesThanTheCapUnlessARangeIsSelected() throws Exception {
        byte[] pdf = pdf(List.of(List.of("One."), List.of("Two."), List.of("Three.")), info -> {});
        PdfReader.Limits limits =
                new PdfReader.Limits(
                        PdfReader.MAX_BYTES, 2, PdfReader.DEADLINE, PdfReader.MAX_CHARS);

        ReaderException e =
                assertThrows(ReaderException.class, () -> PdfReader.read(pdf, null, limits));

        assertEquals(ReaderException.Kind.TOO_LARGE, e.kind());
        assertTrue(e.getMessage().contains("3 pages"), e.getMessage());
        assertEquals("One.\n\nTwo.\n", PdfReader.read(pdf, "1-2", limits).markdown());
    }

    @Test
    void refusesFileOverTheSizeCap() throws Exception {
        byte[] pdf = pdf(List.of(List.of("Small.")), info -> {});
        PdfReader.Limits limits =
                new PdfReader.Limits(
                        100, PdfReader.MAX_PAGES, PdfReader.DEADLINE, PdfReader.MAX_CHARS);

        ReaderException e =
                assertThrows(ReaderException.class, () -> PdfReader.read(pdf, null, limits));

        assertEquals(ReaderException.Kind.TOO_LARGE, e.kind());
    }

    @Test
    void stopsAtTheDeadline() throws Exception {
        byte[] pdf = pdf(List.of(List.of("Slow."), List.of("Slower.")), info -> {});
        PdfReader.Limits limits =
                new PdfReader.Limits(
                        PdfReader.MAX_BYTES,
                        PdfReader.MAX_PAGES,
                        Duration.ZERO,
                        PdfReader.MAX_CHARS);

        ReaderException e =
                assertThrows(ReaderException.class, () -> PdfReader.read(pdf, null, limits));

        assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().contains("took longer than"), e.getMessage());
    }

    @Test
    void dropsRunningHeadsAndMendsParagraphsCutByPageBreaks() throws Exception {
        byte[] pdf = pdfWithFurniture();

        String md = PdfReader.read(pdf, null).markdown();

        assertFalse(md.contains("Quarterly Report"), md);
        assertFalse(md.contains("Page "), md);
        assertEquals(
                "The first page ends in the middle of a sentence that continues on the second page.\n\n"
                        + "Second paragraph on page two.\n\nThird page text.\n",
                md);
    }

    @Test
    void keepsLargeNumberedHeadingsThatOpenEveryPage() throws Exception {
        byte[] pdf;
        try (PDDocument doc = new PDDocument()) {
            for (int p = 1; p <= 3; p++) {
                PDPage page = new PDPage(PDRectangle.A4);
                page.setRotation(p == 2 ? 90 : 0);
                doc.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                    text(content, "Section " + p, 72, 800, 20);
                    text(content, "Body of section " + p + ".", 72, 600, 12);
                }
            }
            pdf = save(doc);
        }

        String md = PdfReader.read(pdf, null).markdown();

        assertEquals(
                "# Section 1\n\nBody of section 1.\n\n# Section 2\n\nBody of section 2.\n\n"
                        + "# Section 3\n\nBody of section 3.\n",
                md);
    }

    @Test
    void keepsLinksAndJoinsOneBrokenOverTwoLines() throws Exception {
        byte[] pdf;
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                text(content, "Read the annual", 72, 700, 12);
                text(content, "report online before the meeting.", 72, 686, 12);
            }
            float annual = HELVETICA.getStringWidth("Read the ") / 1000 * 12;
            float report = HELVETICA.getStringWidth("report") / 1000 * 12;
            page.getAnnotations()
                    .add(
                            link(
                                    72 + annual,
                                    697,
                                    72 + HELVETICA.getStringWidth("Read the annual") / 1000 * 12,
                                    711));
            page.getAnnotations().add(link(72, 683, 72 + report, 697));
            pdf = save(doc);
        }

        assertEquals(
                "Read the [annual report](https://example.org/report) online before the meeting.\n",
                PdfReader.read(pdf, null).markdown());
    }

    private static PDAnnotationLink link(float x0, float y0, float x1, float y1) {
        PDAnnotationLink link = new PDAnnotationLink();
        link.setRectangle(new PDRectangle(x0, y0, x1 - x0, y1 - y0));
        PDActionURI uri = new PDActionURI();
        uri.setURI("https://example.org/report");
        link.setAction(uri);
        return link;
    }

    @Test
    void readerDispatchesPdfBytesWhateverTheContentType() throws Exception {
        byte[] pdf =
                pdf(List.of(List.of("Served as octet-stream.")), info -> info.setTitle("Served"));
        try (Reader reader = new Reader(new Fetcher(Fetcher.Settings.DEFAULTS))) {
            Page page =
                    new Page(
                            URI.create("https://example.org/file"),
                            200,
                            "application/octet-stream",
                            null,
                            pdf,
                            Map.of());
            Result byMagic = reader.convert(page, Options.DEFAULTS);
            Result byRequest =
                    reader.read(
                            Request.ofPdf(
                                    pdf,
                                    URI.create("https://example.org/a.pdf#page=1"),
                                    Options.DEFAULTS));

            assertEquals("Served", byMagic.title());
            assertEquals(1, byMagic.numPages());
            assertEquals("Served as octet-stream.\n", byMagic.content());
            assertEquals(1, byRequest.numPages());
        }
    }

    // ---- PDFs made with PDFBox ----

    interface InfoSetter {
        void set(PDDocumentInformation info);
    }

    /** One page per entry, each line drawn 12 pt Helvetica from the top, 18 pt apart. */
    static byte[] pdf(List<List<String>> pages, InfoSetter info) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            for (List<String> lines : pages) {
                PDPage page = new PDPage(PDRectangle.A4);
                doc.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                    float y = 760;
                    for (String line : lines) {
                        text(content, line, 72, y, 12);
                        y -= 18;
                    }
                }
            }
            info.set(doc.getDocumentInformation());
            return save(doc);
        }
    }

    /**
     * Three pages with a header, a page number and a sentence running over the first page break.
     */
    private static byte[] pdfWithFurniture() throws IOException {
        List<List<String>> bodies =
                List.of(
                        List.of("The first page ends in the middle of a sentence that"),
                        List.of(
                                "continues on the second page.",
                                "",
                                "Second paragraph on page two."),
                        List.of("Third page text."));
        try (PDDocument doc = new PDDocument()) {
            for (int p = 0; p < bodies.size(); p++) {
                PDPage page = new PDPage(PDRectangle.A4);
                doc.addPage(page);
                try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                    text(content, "Quarterly Report 2024", 72, 800, 9);
                    float y = 700;
                    for (String line : bodies.get(p)) {
                        if (!line.isEmpty()) {
                            text(content, line, 72, y, 12);
                        }
                        y -= 15;
                    }
                    text(content, "Page " + (p + 1), 280, 40, 9);
                }
            }
            return save(doc);
        }
    }

    private static byte[] encrypted(String userPassword) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(PDRectangle.A4);
            doc.addPage(page);
            try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                text(content, "Confidential minutes.", 72, 760, 12);
            }
            StandardProtectionPolicy policy =
                    new StandardProtectionPolicy(
                            "owner-secret", userPassword, new AccessPermission());
            policy.setEncryptionKeyLength(128);
            doc.protect(policy);
            return save(doc);
        }
    }

    private static void text(PDPageContentStream content, String text, float x, float y, float size)
            throws IOException {
        content.beginText();
        content.setFont(HELVETICA, size);
        content.newLineAtOffset(x, y);
        content.showText(text);
        content.endText();
    }

    private static byte[] save(PDDocument doc) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        doc.save(out);
        return out.toByteArray();
    }
}
