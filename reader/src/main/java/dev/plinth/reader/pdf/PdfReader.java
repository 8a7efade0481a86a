package dev.plinth.reader.pdf;

import dev.plinth.reader.ReaderException;

/** PDF to Markdown. (Skeleton.) */
public final class PdfReader {

    /**
     * A converted PDF.
     *
     * @param title    from the document info, else null
     * @param author   from the document info, else null
     * @param created  creation date (ISO 8601), else null
     * @param modified modification date (ISO 8601), else null
     * @param numPages pages in the document
     * @param markdown the selected pages as Markdown
     */
    public record PdfDocument(String title, String author, String created, String modified, int numPages,
                              String markdown) {}

    private PdfReader() {}

    /** Converts the pages {@code pages} selects ({@code "3"}, {@code "2-5"}; null = all) of {@code pdf}. */
    public static PdfDocument read(byte[] pdf, String pages) throws ReaderException {
        throw new ReaderException(ReaderException.Kind.UNREADABLE, "PDF reading is not available yet");
    }
}
