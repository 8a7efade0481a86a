package dev.plinth.reader.extract;

import org.jsoup.nodes.Element;

/** Plain text of an element tree: blocks separated by blank lines, whitespace collapsed. (Skeleton.) */
public final class PlainText {

    private PlainText() {}

    /** The text of {@code root}. */
    public static String of(Element root) {
        return root.text();
    }
}
