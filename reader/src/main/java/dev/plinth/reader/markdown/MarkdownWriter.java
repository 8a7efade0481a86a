package dev.plinth.reader.markdown;

import org.jsoup.nodes.Element;

/** Writes an HTML element tree as CommonMark + GitHub-flavoured Markdown. (Skeleton.) */
public final class MarkdownWriter {

    private MarkdownWriter() {}

    /** The Markdown for {@code root}'s children, with links resolved against its document's base URI. */
    public static String write(Element root, MarkdownOptions options) {
        return root.wholeText().strip();
    }
}
