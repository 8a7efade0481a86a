package dev.plinth.reader.document;

import dev.plinth.reader.Page;
import dev.plinth.reader.ReaderException;

/** Content that is neither HTML nor PDF: plain text, JSON, XML, feeds, images. (Skeleton.) */
public final class Documents {

    /** A converted document: its title (null when it has none) and Markdown. */
    public record Converted(String title, String markdown) {}

    private Documents() {}

    /** Converts {@code page}, or fails with a 422 naming a content type plinth cannot read. */
    public static Converted convert(Page page) throws ReaderException {
        if (page.contentType().equals("text/plain")) {
            return new Converted(null, page.text());
        }
        throw new ReaderException(ReaderException.Kind.UNREADABLE,
                "cannot read content of type " + page.contentType());
    }
}
