package dev.plinth.reader.extract;

import java.util.Set;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

/**
 * Plain text of an element tree, laid out the way a reader expects: blocks (paragraphs, headings,
 * lists, tables, quotes) separated by blank lines, list items and table rows on their own lines,
 * table cells separated by a tab, {@code <br>} as a line break, whitespace collapsed as a browser
 * collapses it and {@code <pre>} kept verbatim. Images and other replaced elements have no text,
 * and neither has a {@code <figcaption>}: it describes an image that plain text leaves out. A
 * MathML formula reads as its TeX source when it carries one, else as its tokens apart ({@code a x
 * 2 + b x + c}), never glued together.
 */
public final class PlainText {

    /** Elements that start and end a paragraph of their own. */
    private static final Set<String> BLOCKS =
            Set.of(
                    "address",
                    "article",
                    "aside",
                    "blockquote",
                    "body",
                    "center",
                    "dd",
                    "details",
                    "dialog",
                    "dir",
                    "div",
                    "dl",
                    "dt",
                    "fieldset",
                    "figcaption",
                    "figure",
                    "footer",
                    "form",
                    "h1",
                    "h2",
                    "h3",
                    "h4",
                    "h5",
                    "h6",
                    "header",
                    "hgroup",
                    "hr",
                    "html",
                    "legend",
                    "main",
                    "menu",
                    "nav",
                    "ol",
                    "p",
                    "pre",
                    "section",
                    "summary",
                    "table",
                    "ul",
                    "caption");

    /** Elements that go on a line of their own without a blank line around them. */
    private static final Set<String> LINES = Set.of("li", "tr", "option");

    /** Elements whose content is never text. */
    private static final Set<String> SKIPPED =
            Set.of(
                    "script",
                    "style",
                    "noscript",
                    "template",
                    "head",
                    "title",
                    "meta",
                    "link",
                    "svg",
                    "canvas",
                    "iframe",
                    "object",
                    "embed",
                    "video",
                    "audio",
                    "img",
                    "picture",
                    "source",
                    "track",
                    "map",
                    "select",
                    "input",
                    "button",
                    "textarea",
                    "figcaption");

    private PlainText() {}

    /** The text of {@code root}, trimmed, with no trailing newline. */
    public static String of(Element root) {
        Writer w = new Writer();
        w.element(root);
        return w.out.toString().strip();
    }

    /**
     * Appends text, holding back whitespace and breaks until the next visible character decides
     * them.
     */
    private static final class Writer {
        private final StringBuilder out = new StringBuilder();

        /** Newlines owed before the next text: 0, 1 (line) or 2 (blank line). */
        private int pendingBreak;

        private boolean pendingSpace;
        private int preDepth;
        private int cellDepth;

        void element(Element e) {
            String tag = e.normalName();
            if (SKIPPED.contains(tag)) {
                return;
            }
            if (tag.equals("br")) {
                lineBreak(1, true);
                return;
            }
            if (tag.equals("math")) {
                math(e);
                return;
            }
            // Inside a table cell, blocks are the cell's lines, not paragraphs of their own.
            boolean block = BLOCKS.contains(tag) && cellDepth == 0;
            boolean line = LINES.contains(tag);
            if (block) {
                lineBreak(2, false);
            } else if (line) {
                lineBreak(1, false);
            } else if ((tag.equals("td") || tag.equals("th"))
                    && e.previousElementSibling() != null) {
                // (Not elementSiblingIndex(): it searches the row, so a wide row costs its square.)
                cellBreak();
            }
            if (tag.equals("pre")) {
                preDepth++;
            }
            boolean cell = (tag.equals("td") || tag.equals("th")) && isSimpleCell(e);
            if (cell) {
                cellDepth++;
            } else if (cellDepth > 0 && BLOCKS.contains(tag)) {
                pendingSpace = true;
            }
            for (Node child : e.childNodes()) {
                if (child instanceof TextNode text) {
                    text(text.getWholeText());
                } else if (child instanceof Element el) {
                    element(el);
                }
            }
            if (tag.equals("pre")) {
                preDepth--;
            }
            if (cell) {
                cellDepth--;
            } else if (cellDepth > 0 && BLOCKS.contains(tag)) {
                pendingSpace = true;
            }
            if (block) {
                lineBreak(2, false);
            } else if (line) {
                lineBreak(1, false);
            }
        }

        /** A formula: its TeX annotation if it has one, else its token elements' text apart. */
        void math(Element math) {
            Element tex = math.selectFirst("annotation[encoding~=(?i)^(application/x-tex|tex)$]");
            if (tex != null) {
                pendingSpace = true;
                text(tex.wholeText());
                pendingSpace = true;
                return;
            }
            math.traverse((node, depth) -> {
                if (node instanceof TextNode t
                        && !(t.parent() instanceof Element p
                                && p.normalName().startsWith("annotation"))) {
                    pendingSpace = true;
                    text(t.getWholeText());
                    pendingSpace = true;
                }
            });
        }

        /**
         * A cell holding a value, perhaps wrapped in one block ({@code <td><p>62 g</p></td>}); a
         * layout cell holding a page's column keeps its paragraphs.
         */
        private static boolean isSimpleCell(Element cell) {
            int blocks = 0;
            for (Element child : cell.children()) {
                String tag = child.normalName();
                if (tag.equals("table") || BLOCKS.contains(tag) && ++blocks > 1) {
                    return false;
                }
            }
            return true;
        }

        void text(String s) {
            if (preDepth > 0) {
                flushBreak();
                pendingSpace = false;
                out.append(s);
                return;
            }
            int n = s.length();
            for (int i = 0; i < n; ) {
                int c = s.codePointAt(i);
                i += Character.charCount(c);
                if (isCollapsible(c)) {
                    pendingSpace = true;
                    continue;
                }
                if (pendingBreak > 0 && !out.isEmpty()) {
                    flushBreak();
                } else if (pendingSpace
                        && !out.isEmpty()
                        && !atLineStart()
                        && out.charAt(out.length() - 1) != '\t') {
                    out.append(' ');
                }
                pendingBreak = 0;
                pendingSpace = false;
                out.appendCodePoint(c == '\u00a0' ? ' ' : c);
            }
        }

        /**
         * Asks for {@code newlines} line breaks before the next text; a hard break ({@code <br>})
         * always counts.
         */
        void lineBreak(int newlines, boolean hard) {
            if (out.isEmpty() && !hard) {
                return;
            }
            if (hard && pendingBreak == 0) {
                out.append('\n');
                pendingSpace = false;
                return;
            }
            pendingBreak = Math.max(pendingBreak, newlines);
        }

        void cellBreak() {
            if (pendingBreak == 0 && !out.isEmpty() && !atLineStart()) {
                out.append('\t');
                pendingSpace = false;
            }
        }

        private void flushBreak() {
            if (pendingBreak == 0 || out.isEmpty()) {
                pendingBreak = 0;
                return;
            }
            // Trailing spaces and tabs never end a line.
            int end = out.length();
            while (end > 0 && (out.charAt(end - 1) == ' ' || out.charAt(end - 1) == '\t')) {
                end--;
            }
            out.setLength(end);
            int have = 0;
            for (int i = out.length() - 1; i >= 0 && out.charAt(i) == '\n' && have < 2; i--) {
                have++;
            }
            for (int i = have; i < pendingBreak; i++) {
                out.append('\n');
            }
            pendingBreak = 0;
        }

        private boolean atLineStart() {
            return out.isEmpty() || out.charAt(out.length() - 1) == '\n';
        }

        /**
         * HTML's collapsible white space: space, tab, line feed, form feed, carriage return (not
         * NBSP).
         */
        private static boolean isCollapsible(int c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
        }
    }
}
