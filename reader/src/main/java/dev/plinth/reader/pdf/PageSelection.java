package dev.plinth.reader.pdf;

import dev.plinth.reader.ReaderException;
import dev.plinth.reader.ReaderException.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses a page selection such as {@code 3}, {@code 2-5}, {@code 7-} or {@code 1,4-6} into page
 * ranges.
 */
final class PageSelection {

    private PageSelection() {}

    /** Inclusive 1-based ranges in the order given; null or blank selects every page. */
    static List<int[]> parse(String pages, int numPages) throws ReaderException {
        List<int[]> ranges = new ArrayList<>();
        if (pages == null || pages.isBlank()) {
            ranges.add(new int[] {1, numPages});
            return ranges;
        }
        for (String part : pages.split(",")) {
            String p = part.strip();
            if (!p.matches("\\d{1,9}(-\\d{0,9})?")) {
                throw new ReaderException(
                        Kind.BAD_OPTION,
                        "bad page selection '"
                                + pages
                                + "': use a page (3), a range (2-5, 7-) or a comma-separated list of those");
            }
            int dash = p.indexOf('-');
            int first = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
            int last =
                    dash < 0
                            ? first
                            : dash == p.length() - 1
                                    ? numPages
                                    : Integer.parseInt(p.substring(dash + 1));
            if (first < 1 || first > numPages) {
                throw new ReaderException(
                        Kind.BAD_OPTION,
                        "page " + first + " does not exist: the PDF has " + numPages + " pages");
            }
            if (last < first) {
                throw new ReaderException(
                        Kind.BAD_OPTION, "bad page range '" + p + "': the end is before the start");
            }
            ranges.add(new int[] {first, Math.min(last, numPages)});
        }
        return ranges;
    }
}
