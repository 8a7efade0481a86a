package dev.plinth.reader.pdf;

import dev.plinth.reader.ReaderException;
import dev.plinth.reader.ReaderException.Kind;
import java.io.IOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.MemoryUsageSetting;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDDocumentInformation;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;

/**
 * PDF to Markdown: opens the file with PDFBox under size, page and time caps, collects the glyphs
 * of the selected pages and hands them to {@link PdfLayout}, which rebuilds reading order,
 * headings, paragraphs, lists and tables.
 *
 * <p>Every failure is a {@link ReaderException}: a password-protected file, a file without a text
 * layer (a scan) or a broken file is {@code UNREADABLE} (422) with the reason; a file over a cap is
 * {@code TOO_LARGE} (413). Decoded streams beyond 16 MiB go to a temporary file, so a large PDF
 * costs disk, not heap, and never more than 512 MiB of either. The deadline is checked between
 * content-stream operators, so no page can keep PDFBox busy past it.
 */
public final class PdfReader {

    /** Largest PDF accepted, in bytes. */
    public static final int MAX_BYTES = 64 << 20;

    /**
     * Most pages converted in one read; larger selections are refused with a hint to select a
     * range.
     */
    public static final int MAX_PAGES = 2000;

    /** Longest a conversion may take, whatever the file contains. */
    public static final Duration DEADLINE = Duration.ofSeconds(60);

    /** Unselected neighbouring pages read for context when only some pages are selected. */
    static final int CONTEXT_PAGES = 4;

    /** Most Markdown characters one conversion produces. */
    public static final int MAX_CHARS = 16 << 20;

    /**
     * Decoded streams are kept in memory up to this many bytes per document, then spill to a temp
     * file.
     */
    static final long MEMORY_PER_DOCUMENT = 16 << 20;

    /**
     * Memory and temp file together never hold more than this per document (a compression bomb
     * fails).
     */
    static final long STORAGE_PER_DOCUMENT = 512L << 20;

    /**
     * A converted PDF.
     *
     * @param title from the document info, else the first top-level heading, else null
     * @param author from the document info, else null
     * @param created creation date (ISO 8601), else null
     * @param modified modification date (ISO 8601), else null
     * @param numPages pages in the document
     * @param markdown the selected pages as Markdown
     */
    public record PdfDocument(
            String title,
            String author,
            String created,
            String modified,
            int numPages,
            String markdown) {}

    /** Caps for one conversion; {@link #DEFAULT} holds the public constants. */
    record Limits(int maxBytes, int maxPages, Duration deadline, int maxChars) {
        static final Limits DEFAULT = new Limits(MAX_BYTES, MAX_PAGES, DEADLINE, MAX_CHARS);
    }

    private PdfReader() {}

    /**
     * Converts the pages {@code pages} selects ({@code "3"}, {@code "2-5"}, {@code "1,4-"}; null =
     * all) of {@code pdf}.
     */
    public static PdfDocument read(byte[] pdf, String pages) throws ReaderException {
        return read(pdf, pages, Limits.DEFAULT);
    }

    static PdfDocument read(byte[] pdf, String pages, Limits limits) throws ReaderException {
        if (pdf.length > limits.maxBytes()) {
            throw new ReaderException(
                    Kind.TOO_LARGE,
                    "the PDF is "
                            + pdf.length
                            + " bytes; at most "
                            + limits.maxBytes()
                            + " are read");
        }
        long deadline = System.nanoTime() + limits.deadline().toNanos();
        try (PDDocument document = open(pdf)) {
            int numPages = document.getNumberOfPages();
            if (numPages == 0) {
                throw new ReaderException(Kind.UNREADABLE, "the PDF has no pages");
            }
            List<int[]> ranges = PageSelection.parse(pages, numPages);
            int selected = ranges.stream().mapToInt(r -> r[1] - r[0] + 1).sum();
            if (selected > limits.maxPages()) {
                throw new ReaderException(
                        Kind.TOO_LARGE,
                        "the PDF has "
                                + selected
                                + " pages to read; at most "
                                + limits.maxPages()
                                + " are read at once: select a range such as #page=1-"
                                + limits.maxPages());
            }
            List<PdfLayout.PageLines> collected = new ArrayList<>(selected);
            GlyphCollector collector =
                    new GlyphCollector(deadline, page -> collected.add(PdfLayout.lines(page)));
            for (int[] range : ranges) {
                collector.collect(document, range[0], range[1]);
            }
            List<PdfLayout.PageLines> lines = List.copyOf(collected);
            collected.clear();
            for (int page : contextPages(ranges, numPages)) {
                collector.collect(document, page, page);
            }
            List<PdfLayout.PageLines> context = List.copyOf(collected);
            if (lines.stream().allMatch(p -> p.lines().isEmpty())) {
                throw new ReaderException(
                        Kind.UNREADABLE,
                        selected == numPages
                                ? "the PDF has no text layer (a scanned document needs OCR, which plinth does not do)"
                                : "the selected pages of the PDF have no text layer (scanned pages need OCR)");
            }
            PdfLayout.Markdown markdown = PdfLayout.markdown(lines, context);
            if (markdown.text().length() > limits.maxChars()) {
                throw new ReaderException(
                        Kind.TOO_LARGE,
                        "the PDF's text is over "
                                + limits.maxChars()
                                + " characters: select fewer pages");
            }
            PDDocumentInformation info = document.getDocumentInformation();
            String title = blankToNull(info.getTitle());
            return new PdfDocument(
                    title != null ? title : markdown.title(),
                    blankToNull(info.getAuthor()),
                    iso(info, true),
                    iso(info, false),
                    numPages,
                    markdown.text());
        } catch (GlyphCollector.DeadlineExceeded e) {
            throw new ReaderException(
                    Kind.UNREADABLE,
                    "the PDF took longer than "
                            + limits.deadline().toSeconds()
                            + " s to read: select fewer pages");
        } catch (InvalidPasswordException e) {
            throw new ReaderException(
                    Kind.UNREADABLE, "the PDF is encrypted and needs a password", e);
        } catch (IOException e) {
            throw new ReaderException(
                    Kind.UNREADABLE, "the PDF is damaged and cannot be read: " + e.getMessage(), e);
        } catch (RuntimeException | StackOverflowError e) {
            // PDFBox on hostile input can fail deep inside a parser; the reason is still a broken
            // file.
            throw new ReaderException(
                    Kind.UNREADABLE, "the PDF is damaged and cannot be read: " + e, e);
        }
    }

    /**
     * Unselected pages next to the selection, nearest first, at most {@link #CONTEXT_PAGES}: read
     * only for what a single page cannot show, such as which lines recur as running heads and which
     * size the document's top-level headings have, so that page 7 alone reads as it does within the
     * whole.
     */
    static List<Integer> contextPages(List<int[]> ranges, int numPages) {
        boolean[] chosen = new boolean[numPages + 1];
        ranges.forEach(r -> Arrays.fill(chosen, r[0], r[1] + 1, true));
        List<Integer> context = new ArrayList<>();
        for (int distance = 1; distance <= numPages && context.size() < CONTEXT_PAGES; distance++) {
            for (int[] range : ranges) {
                for (int page : new int[] {range[0] - distance, range[1] + distance}) {
                    if (page >= 1
                            && page <= numPages
                            && !chosen[page]
                            && context.size() < CONTEXT_PAGES) {
                        chosen[page] = true;
                        context.add(page);
                    }
                }
            }
        }
        return context;
    }

    private static PDDocument open(byte[] pdf) throws IOException {
        return Loader.loadPDF(
                pdf,
                "",
                null,
                null,
                MemoryUsageSetting.setupMixed(MEMORY_PER_DOCUMENT, STORAGE_PER_DOCUMENT)
                        .streamCache);
    }

    private static String iso(PDDocumentInformation info, boolean created) {
        try {
            Calendar date = created ? info.getCreationDate() : info.getModificationDate();
            return date == null
                    ? null
                    : OffsetDateTime.ofInstant(date.toInstant(), date.getTimeZone().toZoneId())
                            .format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        } catch (RuntimeException e) {
            return null; // a malformed date is missing metadata, not a broken file
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
