package dev.plinth.reader.markdown;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.nodes.DataNode;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeFilter;
import org.jsoup.select.NodeTraversor;

/**
 * Writes an HTML element tree as CommonMark + GitHub-flavoured Markdown.
 *
 * <h2>Notes</h2>
 *
 * <ul>
 *   <li>Shape: a jsoup head/tail traversal (the {@code HtmlToPlainText} example), as a {@link
 *       NodeFilter} so that atomic elements ({@code pre}, {@code code}, {@code img}, tables, math)
 *       are written in one go and their subtrees skipped. Block containers (list items, quotes,
 *       headings, definitions) each get a {@link Frame}: finished blocks plus the inline run being
 *       built. A frame's blocks are joined, prefixed ({@code > }, list markers, continuation
 *       indent) and handed to the parent as one block, so nesting of any depth comes out with the
 *       right indentation.
 *   <li>Whitespace: collapsed as a browser does (CSS {@code white-space: normal}): runs of ASCII
 *       whitespace become one space, dropped at the start of a line and before a block boundary;
 *       U+00A0 is kept. Whitespace at the edges of emphasis and links moves outside the delimiters,
 *       since {@code _foo _} is not emphasis (CommonMark §6.2, left/right-flanking delimiter runs).
 *   <li>Escaping only where text would otherwise parse as Markdown. Text is first written with the
 *       special characters ({@code \ * _ ~ ` [ ] ! < & $}) swapped for private-use stand-ins, and
 *       emphasis delimiters as stand-ins too; when a paragraph is complete every stand-in is
 *       resolved with its real neighbours in view: a {@code *}/{@code _} run is escaped only if it
 *       could open or close emphasis under the flanking rules and another run in the paragraph
 *       could be its partner (so {@code foo_bar_baz}, {@code 5 * 3} and a lone {@code *Price} stay
 *       as written), a line is escaped only where it would start a heading, list, quote, fence,
 *       thematic break or setext underline. {@code _} emphasis inside a word (or in CJK text)
 *       becomes {@code *}, which works there; emphasis that cannot parse at all ({@code
 *       Search<em>→</em>}) is written as plain text.
 *   <li>Tables: a data table becomes a GFM table on a grid with every span expanded (a cell
 *       spanning the whole width, a label row, is written once); the first row is the header
 *       whether or not it has {@code <th>}; cells are one line. Layout tables (nested tables,
 *       {@code role=presentation}) are read as ordinary blocks. Math (KaTeX, MathJax, MathML)
 *       becomes {@code $tex$} or a {@code $$} block.
 *   <li>Compatibility oracle: Turndown's rules and test suite (and turndown-plugin-gfm for tables,
 *       strikethrough, task lists). Deliberate departures: minimal escaping as above; every {@code
 *       <pre>} is a code block; a table without {@code <th>} still becomes a GFM table (first row
 *       as header); spans are expanded into a grid; lists use the narrowest valid markers ({@code -
 *       }, {@code 1. }) and indentation.
 *   <li>References: CommonMark 0.31 (https://spec.commonmark.org/), GFM 0.29
 *       (https://github.github.com/gfm/), Turndown (https://github.com/mixmark-io/turndown).
 * </ul>
 *
 * <p>Messy HTML never throws; whatever cannot be expressed is written as plain text.
 */
public final class MarkdownWriter {

    /** The Markdown for {@code root}'s children, with links resolved against its base URI. */
    public static String write(Element root, MarkdownOptions options) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(options, "options");
        Shared shared = new Shared(options, containsMath(root));
        String body = new MarkdownWriter(shared, false).render(root, FrameKind.ROOT);
        // Trim blank lines and trailing space only: an indented code block may open the output.
        return (body + shared.definitions()).replaceFirst("^(?:[ \t]*\n)+", "").stripTrailing();
    }

    // ---------------------------------------------------------------------------------------------
    // State

    /** State shared by the writer of a page and the writers of its table cells. */
    private static final class Shared {
        final MarkdownOptions o;
        final boolean math; // the page has math, so a literal $ must be escaped
        final List<String> definitions = new ArrayList<>();
        final Map<String, Integer> numbers =
                new HashMap<>(); // destination and title -> reference number
        final Map<String, String> labels = new HashMap<>(); // raw label -> destination

        Shared(MarkdownOptions o, boolean math) {
            this.o = o;
            this.math = math;
        }

        String definitions() {
            return definitions.isEmpty() ? "" : "\n\n" + String.join("\n", definitions);
        }
    }

    private enum FrameKind {
        ROOT,
        CELL,
        LIST,
        ITEM,
        QUOTE,
        HEADING,
        TERMS,
        TERM,
        DEFINITION
    }

    private enum BlockKind {
        PARAGRAPH,
        LIST,
        ITEM,
        TERM,
        DEFINITION,
        OTHER
    }

    /** A finished piece of Markdown; items carry what their list needs to number and space them. */
    private record Block(
            BlockKind kind, String text, boolean loose, int value, boolean interrupts) {
        static Block of(BlockKind kind, String text) {
            return new Block(kind, text, false, -1, false);
        }
    }

    /** A block container being written: its finished blocks and the inline run after them. */
    private static final class Frame {
        final FrameKind kind;
        final List<Block> blocks = new ArrayList<>();
        final StringBuilder inline = new StringBuilder();
        boolean singleLine; // headings, table cells, terms: everything on one line
        boolean lineStart =
                true; // does the inline run start a Markdown line (block syntax possible)
        int paragraphs; // <p> elements closed here: a list item with one is loose
        boolean ordered; // lists
        int start = 1;
        int step = 1;

        Frame(FrameKind kind) {
            this.kind = kind;
        }
    }

    private enum Inline {
        EM,
        STRONG,
        DEL,
        LINK,
        SUP,
        SUB,
        QUOTE,
        PARENS
    }

    /** An inline element still open: where its content started in which frame's inline run. */
    private static final class Open {
        final Element el;
        final Inline kind;
        final Frame frame;
        int start;

        Open(Element el, Inline kind, Frame frame, int start) {
            this.el = el;
            this.kind = kind;
            this.frame = frame;
            this.start = start;
        }
    }

    private final Shared shared;
    private final MarkdownOptions o;
    private final boolean inTable;
    private final Deque<Frame> frames = new ArrayDeque<>();
    private final List<Open> open = new ArrayList<>();

    private MarkdownWriter(Shared shared, boolean inTable) {
        this.shared = shared;
        this.o = shared.o;
        this.inTable = inTable;
    }

    // ---------------------------------------------------------------------------------------------
    // Traversal

    private String render(Element root, FrameKind kind) {
        Frame frame = new Frame(kind);
        frame.singleLine = kind == FrameKind.CELL;
        frame.lineStart = kind != FrameKind.CELL;
        frames.push(frame);
        NodeFilter filter =
                new NodeFilter() {
                    @Override
                    public FilterResult head(Node node, int depth) {
                        if (node instanceof TextNode text) {
                            text(text.getWholeText());
                            return FilterResult.CONTINUE;
                        }
                        return node instanceof Element e ? enter(e) : FilterResult.SKIP_ENTIRELY;
                    }

                    @Override
                    public FilterResult tail(Node node, int depth) {
                        if (node instanceof Element e) {
                            exit(e);
                        }
                        return FilterResult.CONTINUE;
                    }
                };
        for (Node child : new ArrayList<>(root.childNodes())) {
            NodeTraversor.filter(filter, child);
        }
        return join(popFrame());
    }

    private NodeFilter.FilterResult enter(Element e) {
        String name = e.normalName();
        // Visibility is not judged here: extraction decides what is content (and keeps a hidden
        // wrapper when it holds the article), the writer writes what it is given.
        if (IGNORED.contains(name) && !isMathScript(e)) {
            return NodeFilter.FilterResult.SKIP_ENTIRELY;
        }
        if (isMath(e)) {
            math(e);
            return NodeFilter.FilterResult.SKIP_ENTIRELY;
        }
        switch (name) {
            case "pre" -> {
                if (inTable) {
                    inlineCode(rawText(e), true);
                } else {
                    codeBlock(e);
                }
                return NodeFilter.FilterResult.SKIP_ENTIRELY;
            }
            case "code", "kbd", "samp", "tt" -> {
                inlineCode(rawText(e), o.preformattedCode());
                return NodeFilter.FilterResult.SKIP_ENTIRELY;
            }
            case "img" -> {
                image(e);
                return NodeFilter.FilterResult.SKIP_ENTIRELY;
            }
            case "input" -> {
                checkbox(e);
                return NodeFilter.FilterResult.SKIP_ENTIRELY;
            }
            case "br" -> lineBreak();
            case "hr" -> {
                flush(current());
                if (!inTable) { // a table cell is one line: block syntax there would be literal
                    // text
                    current()
                            .blocks
                            .add(
                                    Block.of(
                                            BlockKind.OTHER,
                                            o.hr().isBlank() ? "---" : o.hr().strip()));
                }
            }
            case "table" -> {
                if (isDataTable(e) && table(e)) {
                    return NodeFilter.FilterResult.SKIP_ENTIRELY;
                }
                flush(current());
            }
            case "ul", "ol", "menu", "dir" -> {
                Frame list = push(FrameKind.LIST);
                list.ordered = name.equals("ol");
                if (list.ordered) {
                    boolean reversed = e.hasAttr("reversed");
                    int items =
                            (int)
                                    e.children().stream()
                                            .filter(c -> c.normalName().equals("li"))
                                            .count();
                    list.step = reversed ? -1 : 1;
                    list.start = number(e.attr("start"), reversed ? items : 1);
                }
            }
            case "li" -> push(FrameKind.ITEM);
            case "blockquote" -> push(FrameKind.QUOTE);
            case "h1", "h2", "h3", "h4", "h5", "h6" -> {
                Frame heading = push(FrameKind.HEADING);
                heading.singleLine = true;
                heading.lineStart =
                        o.headingStyle() == MarkdownOptions.HeadingStyle.SETEXT
                                && name.charAt(1) <= '2';
            }
            case "dl" -> push(FrameKind.TERMS);
            case "dt" -> {
                Frame term = push(FrameKind.TERM);
                term.singleLine = true;
                open.add(new Open(e, Inline.STRONG, term, 0));
            }
            case "dd" -> push(FrameKind.DEFINITION);
            case "em", "i" -> openInline(e, Inline.EM);
            case "strong", "b" -> openInline(e, Inline.STRONG);
            case "s", "strike", "del" -> {
                if (o.gfm()) {
                    openInline(e, Inline.DEL);
                }
            }
            case "a" -> {
                if (e.hasAttr("href")) {
                    openInline(e, Inline.LINK);
                }
            }
            case "sup" -> openInline(e, Inline.SUP);
            case "sub" -> openInline(e, Inline.SUB);
            case "q" -> openInline(e, Inline.QUOTE);
            case "rt" -> openInline(e, Inline.PARENS);
            case "button" ->
                    text(" "); // an inline-block: "Play" "Next" side by side, not "PlayNext"
            case "rp" -> {
                return NodeFilter.FilterResult.SKIP_ENTIRELY;
            }
            default -> {
                if (BLOCKS.contains(name)) {
                    flush(current());
                }
            }
        }
        return NodeFilter.FilterResult.CONTINUE;
    }

    private void exit(Element e) {
        String name = e.normalName();
        switch (name) {
            case "ul", "ol", "menu", "dir" -> {
                Frame frame = popFrame();
                List<Block> siblings = current().blocks;
                Block list = list(frame, siblings.isEmpty() ? null : siblings.getLast());
                if (list != null) {
                    current().blocks.add(list);
                }
            }
            case "li" -> {
                Frame item = popFrame();
                int value = number(e.attr("value"), -1);
                current()
                        .blocks
                        .add(new Block(BlockKind.ITEM, join(item), isLoose(item), value, false));
            }
            case "blockquote" -> {
                String inner = join(popFrame());
                if (!inner.isBlank()) {
                    current()
                            .blocks
                            .add(
                                    Block.of(
                                            BlockKind.OTHER,
                                            inTable ? inner : prefixLines(inner, "> ", ">")));
                }
            }
            case "h1", "h2", "h3", "h4", "h5", "h6" -> heading(popFrame(), name.charAt(1) - '0');
            case "dl" -> {
                String terms = join(popFrame());
                if (!terms.isBlank()) {
                    current().blocks.add(Block.of(BlockKind.OTHER, terms));
                }
            }
            case "dt" -> {
                closeInline(e);
                String term = join(popFrame());
                if (!term.isBlank()) {
                    current().blocks.add(Block.of(BlockKind.TERM, term));
                }
            }
            case "dd" -> {
                String definition = join(popFrame());
                if (!definition.isBlank()) {
                    current().blocks.add(Block.of(BlockKind.DEFINITION, indent(": ", definition)));
                }
            }
            case "em", "i", "strong", "b", "s", "strike", "del", "a", "sup", "sub", "q", "rt" ->
                    closeInline(e);
            case "button" -> text(" ");
            case "p" -> {
                flush(current());
                current().paragraphs++;
            }
            default -> {
                if (BLOCKS.contains(name)) {
                    flush(current());
                }
            }
        }
    }

    private static final Set<String> IGNORED =
            Set.of(
                    "script",
                    "style",
                    "template",
                    "noscript",
                    "head",
                    "title",
                    "meta",
                    "link",
                    "base",
                    "svg",
                    "iframe",
                    "object",
                    "embed",
                    "canvas",
                    "video",
                    "audio",
                    "select",
                    "textarea",
                    "datalist",
                    "map",
                    "frameset",
                    "frame");

    /** Elements that start and end a block (CSS display: block, list-item, table parts). */
    private static final Set<String> BLOCKS =
            Set.of(
                    "address",
                    "article",
                    "aside",
                    "body",
                    "center",
                    "details",
                    "dialog",
                    "div",
                    "fieldset",
                    "figcaption",
                    "figure",
                    "footer",
                    "form",
                    "header",
                    "hgroup",
                    "html",
                    "legend",
                    "main",
                    "nav",
                    "p",
                    "search",
                    "section",
                    "summary",
                    "table",
                    "caption",
                    "thead",
                    "tbody",
                    "tfoot",
                    "tr",
                    "td",
                    "th",
                    "noframes",
                    "output",
                    "optgroup");

    // ---------------------------------------------------------------------------------------------
    // Frames and inline runs

    private Frame current() {
        return frames.peek();
    }

    /**
     * Starts a block container. Inline formatting still open around it (a link wrapping a heading
     * and a paragraph, say) is carried into it, so each block inside stays linked or emphasised.
     */
    private Frame push(FrameKind kind) {
        Frame parent = current();
        flush(parent);
        Frame frame = new Frame(kind);
        int n = open.size();
        for (int i = 0; i < n; i++) {
            Open m = open.get(i);
            if (m.frame == parent) {
                open.add(new Open(m.el, m.kind, frame, 0));
            }
        }
        frames.push(frame);
        return frame;
    }

    private Frame popFrame() {
        Frame frame = frames.pop();
        flush(frame);
        open.removeIf(m -> m.frame == frame);
        return frame;
    }

    private void openInline(Element e, Inline kind) {
        Frame frame = current();
        for (Open m : open) {
            // <b> inside <strong>, a link inside a link: the outer one already says it all.
            if (m.frame == frame && m.kind == kind && kind != Inline.SUP && kind != Inline.SUB) {
                return;
            }
        }
        open.add(new Open(e, kind, frame, frame.inline.length()));
    }

    private void closeInline(Element e) {
        Frame frame = current();
        for (int i = open.size() - 1; i >= 0; i--) {
            Open m = open.get(i);
            if (m.el == e && m.frame == frame) {
                wrap(m);
                open.remove(i);
                return;
            }
        }
    }

    /**
     * Wraps the inline run since {@code m} started in its delimiters, whitespace moved outside
     * them.
     */
    private void wrap(Open m) {
        StringBuilder b = m.frame.inline;
        String content = b.substring(Math.min(m.start, b.length()));
        int s = 0;
        int t = content.length();
        while (s < t && isEdgeSpace(content.charAt(s))) {
            s++;
        }
        while (t > s && isEdgeSpace(content.charAt(t - 1))) {
            t--;
        }
        if (!hasVisible(content, s, t)) {
            return; // nothing a reader would see (zero-width spaces): no delimiters around it
        }
        b.setLength(b.length() - content.length());
        b.append(content, 0, s)
                .append(decorate(m, content.substring(s, t)))
                .append(content, t, content.length());
    }

    private String decorate(Open m, String core) {
        return switch (m.kind) {
            case EM -> EM_OPEN + core + EM_CLOSE;
            case STRONG -> STRONG_OPEN + core + STRONG_CLOSE;
            case DEL -> o.strikethroughDelimiter() + core + o.strikethroughDelimiter();
            case SUP -> "<sup>" + core + "</sup>";
            case SUB -> "<sub>" + core + "</sub>";
            case QUOTE -> "\"" + core + "\"";
            case PARENS -> "(" + core + ")";
            case LINK ->
                    m.frame.kind == FrameKind.HEADING && isPermalink(m.el, core)
                            ? ""
                            : link(m.el, core);
        };
    }

    /**
     * Appends text as a browser lays it out: whitespace runs collapse, Markdown specials become
     * stand-ins.
     */
    private void text(String s) {
        StringBuilder b = current().inline;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (isCollapsible(c)) {
                if (!b.isEmpty()) {
                    char last = b.charAt(b.length() - 1);
                    if (last != ' ' && last != '\n') {
                        b.append(' ');
                    }
                }
            } else if (isStandIn(c)) {
                continue; // private-use icon glyphs: meaningless in Markdown, and they would
                // collide
            } else {
                int special = SPECIALS.indexOf(c);
                b.append(special >= 0 ? (char) (LITERAL + special) : c);
            }
        }
    }

    /**
     * Like {@link #text} but keeps the newlines of attribute text (an alt written over two lines).
     */
    private void textKeepingLines(String s) {
        String[] lines = s.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                current().inline.append('\n');
            }
            text(lines[i]);
        }
    }

    /** Appends Markdown syntax (code spans, images) that must not be escaped. */
    private void raw(String s) {
        current().inline.append(stripStandIns(s));
    }

    private void lineBreak() {
        StringBuilder b = current().inline;
        trimTrailingSpaces(b);
        b.append(BR).append('\n');
    }

    /**
     * Ends the paragraph being built in {@code frame}, closing and reopening inline formatting
     * around it.
     */
    private void flush(Frame frame) {
        if (frame.inline.isEmpty()) {
            return;
        }
        for (int i = open.size() - 1; i >= 0; i--) {
            Open m = open.get(i);
            if (m.frame == frame) {
                wrap(m);
            }
        }
        String text = resolve(frame.inline.toString(), frame.singleLine, frame.lineStart);
        frame.inline.setLength(0);
        for (Open m : open) {
            if (m.frame == frame) {
                m.start = 0;
            }
        }
        if (!isBlank(text)) {
            frame.blocks.add(Block.of(BlockKind.PARAGRAPH, text));
        }
    }

    /** A frame's blocks as one piece of Markdown. */
    private String join(Frame frame) {
        StringBuilder sb = new StringBuilder();
        Block previous = null;
        boolean tight = !isLoose(frame);
        for (Block block : frame.blocks) {
            String text = block.kind == BlockKind.ITEM ? item(bullet(), block.text) : block.text;
            if (frame.singleLine) {
                text = text.replace('\n', ' ');
            }
            if (previous != null) {
                sb.append(separator(frame, previous, block, tight));
            }
            sb.append(text);
            previous = block;
        }
        return frame.singleLine ? sb.toString().strip() : sb.toString();
    }

    private static String separator(Frame frame, Block previous, Block next, boolean tight) {
        if (frame.singleLine) {
            return " ";
        }
        if (frame.kind == FrameKind.TERMS && next.kind == BlockKind.DEFINITION) {
            return "\n";
        }
        if (frame.kind == FrameKind.ITEM
                && tight
                && previous.kind == BlockKind.PARAGRAPH
                && next.kind == BlockKind.LIST
                && next.interrupts) {
            return "\n";
        }
        return "\n\n";
    }

    /**
     * A list item is loose (blank lines around its blocks) if it has a {@code <p>} or two
     * paragraphs.
     */
    private static boolean isLoose(Frame frame) {
        if (frame.kind != FrameKind.ITEM) {
            return false;
        }
        if (frame.paragraphs > 0) {
            return true;
        }
        int nonLists = 0;
        for (Block block : frame.blocks) {
            if (block.kind != BlockKind.LIST) {
                nonLists++;
            }
        }
        return nonLists > 1;
    }

    // ---------------------------------------------------------------------------------------------
    // Blocks: headings, lists, code, tables, math

    private void heading(Frame frame, int level) {
        String text = join(frame);
        if (isBlank(text)) {
            return;
        }
        String block;
        if (inTable) {
            block = text;
        } else if (o.headingStyle() == MarkdownOptions.HeadingStyle.SETEXT && level <= 2) {
            block = text + "\n" + (level == 1 ? "=" : "-").repeat(Math.max(3, text.length()));
        } else {
            // "# Foo #" would lose its last word to the optional closing sequence.
            Matcher closing = CLOSING_HASHES.matcher(text);
            if (closing.find()) {
                text =
                        text.substring(0, closing.start(1))
                                + "\\"
                                + text.substring(closing.start(1));
            }
            block = "#".repeat(level) + " " + text;
        }
        current().blocks.add(Block.of(BlockKind.OTHER, block));
    }

    private static final Pattern CLOSING_HASHES = Pattern.compile("[ \t](#+)$");

    private Block list(Frame frame, Block previous) {
        // Two lists in a row with the same marker would be read as one (CommonMark §5.3): switch
        // marker.
        String bullet = bullet();
        String delimiter = ".";
        if (previous != null && previous.kind == BlockKind.LIST) {
            String before = previous.text;
            int digits = 0;
            while (digits < before.length() && Character.isDigit(before.charAt(digits))) {
                digits++;
            }
            if (frame.ordered && digits > 0 && before.startsWith(".", digits)) {
                delimiter = ")";
            } else if (!frame.ordered && before.startsWith(bullet)) {
                bullet = bullet.equals("-") ? "*" : "-";
            }
        }
        List<String[]> items = new ArrayList<>(); // {marker, content}
        boolean loose = false;
        int n = frame.start;
        for (Block block : frame.blocks) {
            if (block.kind != BlockKind.ITEM) {
                // A list or text directly inside <ul> (invalid, common) belongs to the item before
                // it.
                if (!items.isEmpty()) {
                    String[] last = items.getLast();
                    last[1] = last[1] + (block.kind == BlockKind.LIST ? "\n" : "\n\n") + block.text;
                } else {
                    items.add(
                            new String[] {
                                frame.ordered ? clampNumber(n) + delimiter : bullet, block.text
                            });
                    n += frame.step;
                }
                continue;
            }
            if (block.value >= 0) {
                n = block.value;
            }
            String marker = frame.ordered ? clampNumber(n) + delimiter : bullet;
            n += frame.step;
            if (!isBlank(block.text)) {
                items.add(new String[] {marker, block.text});
                loose |= block.loose;
            }
        }
        if (items.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (String[] item : items) {
            if (!sb.isEmpty()) {
                sb.append(loose ? "\n\n" : "\n");
            }
            sb.append(item(item[0], item[1]));
        }
        // An ordered list may interrupt a paragraph only when it starts at 1 (CommonMark §5.2).
        boolean interrupts = !frame.ordered || frame.start == 1;
        return new Block(BlockKind.LIST, sb.toString(), loose, -1, interrupts);
    }

    private String bullet() {
        return o.bulletListMarker().isBlank() ? "-" : o.bulletListMarker().strip();
    }

    private static int clampNumber(int n) {
        return Math.max(0, Math.min(999_999_999, n));
    }

    /** {@code marker content}, later lines indented to the content column. */
    private static String item(String marker, String content) {
        return indent(marker + " ", content);
    }

    private static String indent(String first, String content) {
        String pad = " ".repeat(first.length());
        StringBuilder sb = new StringBuilder(first);
        String[] lines = content.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) {
                sb.append('\n');
                if (!lines[i].isEmpty()) {
                    sb.append(pad);
                }
            }
            sb.append(lines[i]);
        }
        return sb.toString();
    }

    private static String prefixLines(String content, String prefix, String blankPrefix) {
        StringBuilder sb = new StringBuilder();
        for (String line : content.split("\n", -1)) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(line.isEmpty() ? blankPrefix : prefix + line);
        }
        return sb.toString();
    }

    private void codeBlock(Element pre) {
        String code = rawText(pre);
        if (code.endsWith("\n")) {
            code = code.substring(0, code.length() - 1);
        }
        if (code.isBlank()) {
            return;
        }
        flush(current());
        String language = language(pre);
        String block;
        if (o.codeBlockStyle() == MarkdownOptions.CodeBlockStyle.INDENTED && language.isEmpty()) {
            block = prefixLines(code, "    ", "");
        } else {
            // An indented block cannot name its language, so a block with one is fenced whatever
            // the style.
            char fenceChar = o.fence().isEmpty() ? '`' : o.fence().charAt(0);
            int length = Math.max(Math.max(3, o.fence().length()), longestRun(code, fenceChar) + 1);
            String fence = String.valueOf(fenceChar).repeat(length);
            block = fence + language + "\n" + code + "\n" + fence;
        }
        current().blocks.add(Block.of(BlockKind.OTHER, block));
    }

    private static final Pattern LANGUAGE_CLASS =
            Pattern.compile(
                    "^(?:language|lang|highlight-source|highlight-text)-([A-Za-z0-9_+#.]+)");

    /**
     * The language from {@code language-x}/{@code lang-x}/{@code highlight-source-x} classes near
     * the block.
     */
    private static String language(Element pre) {
        List<Element> candidates = new ArrayList<>();
        candidates.add(pre);
        Element code = pre.selectFirst("> code");
        if (code != null) {
            candidates.add(code);
        }
        if (pre.parent() != null) {
            candidates.add(pre.parent());
            if (pre.parent().parent() != null) {
                candidates.add(pre.parent().parent());
            }
        }
        for (Element e : candidates) {
            for (String attr : List.of("data-lang", "data-language")) {
                String value = e.attr(attr).strip();
                if (value.matches("[A-Za-z0-9_+#.-]{1,30}")) {
                    return value.toLowerCase(Locale.ROOT);
                }
            }
            for (String cls : e.classNames()) {
                Matcher m = LANGUAGE_CLASS.matcher(cls);
                if (m.find() && !m.group(1).equalsIgnoreCase("none")) {
                    return m.group(1).toLowerCase(Locale.ROOT);
                }
            }
            Matcher brush = BRUSH.matcher(e.className());
            if (brush.find()) {
                return brush.group(1).toLowerCase(Locale.ROOT);
            }
        }
        return "";
    }

    private static final Pattern BRUSH = Pattern.compile("brush:\\s*([A-Za-z0-9_+#.-]+)");

    private static int longestRun(String s, char c) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            run = s.charAt(i) == c ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        return longest;
    }

    /**
     * Text as written, {@code <br>} as a newline and a newline after each block inside (one div per
     * line).
     */
    private static String rawText(Element root) {
        StringBuilder sb = new StringBuilder();
        NodeTraversor.filter(
                new NodeFilter() {
                    @Override
                    public FilterResult head(Node node, int depth) {
                        if (node instanceof TextNode t) {
                            sb.append(t.getWholeText());
                        } else if (node instanceof Element e && node != root) {
                            if (e.normalName().equals("br")) {
                                sb.append('\n');
                            } else if (IGNORED.contains(e.normalName())) {
                                return FilterResult.SKIP_ENTIRELY;
                            }
                        }
                        return FilterResult.CONTINUE;
                    }

                    @Override
                    public FilterResult tail(Node node, int depth) {
                        boolean line =
                                node instanceof Element e
                                        && node != root
                                        && (e.normalName().equals("div")
                                                || e.normalName().equals("p"));
                        if (line && !sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n') {
                            sb.append('\n');
                        }
                        return FilterResult.CONTINUE;
                    }
                },
                root);
        return stripStandIns(sb.toString().replace("\r\n", "\n").replace('\r', '\n'));
    }

    /**
     * A code span: the fewest backticks not occurring as a run inside, padded with a space where
     * the code starts or ends with a backtick or would lose a space to CommonMark's stripping.
     */
    private void inlineCode(String code, boolean preformatted) {
        if (preformatted) {
            code = code.replace('\n', ' ');
        } else {
            code = code.replaceAll("[ \t\n\r\f]+", " ");
            StringBuilder b = current().inline;
            char last = b.isEmpty() ? '\n' : b.charAt(b.length() - 1);
            if (code.startsWith(" ") && last != ' ' && last != '\n') {
                b.append(' ');
            }
            boolean trailing = code.endsWith(" ") && code.length() > 1;
            code = code.strip();
            if (code.isEmpty()) {
                return;
            }
            writeCodeSpan(code);
            if (trailing) {
                b.append(' ');
            }
            return;
        }
        if (code.isEmpty()) {
            return;
        }
        writeCodeSpan(code);
    }

    private void writeCodeSpan(String code) {
        int ticks = 1;
        while (hasRunOfExactly(code, '`', ticks)) {
            ticks++;
        }
        boolean pad =
                code.startsWith("`")
                        || code.endsWith("`")
                        || code.startsWith(" ") && code.endsWith(" ") && !code.isBlank();
        String fence = "`".repeat(ticks);
        raw(fence + (pad ? " " : "") + code + (pad ? " " : "") + fence);
    }

    private static boolean hasRunOfExactly(String s, char c, int n) {
        int run = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i < s.length() && s.charAt(i) == c) {
                run++;
            } else {
                if (run == n) {
                    return true;
                }
                run = 0;
            }
        }
        return false;
    }

    /**
     * Only data tables become GFM tables; layout tables (nested tables, role=presentation) are read
     * as blocks.
     */
    private boolean isDataTable(Element table) {
        if (!o.gfm() || inTable) {
            return false;
        }
        String role = table.attr("role").toLowerCase(Locale.ROOT);
        if (role.equals("presentation")
                || role.equals("none")
                || table.getElementsByTag("table").size() > 1) {
            return false;
        }
        return table.select("td, th").size() > 1;
    }

    /**
     * Writes {@code table} as a GFM table; false (nothing written) when it is too big to lay out.
     */
    private boolean table(Element table) {
        TableGrid grid = TableGrid.of(table);
        if (grid == null) {
            return false;
        }
        flush(current());
        Element caption = table.selectFirst("> caption");
        if (caption != null) {
            String text = cell(caption, new IdentityHashMap<>());
            if (!text.isEmpty()) {
                current().blocks.add(Block.of(BlockKind.PARAGRAPH, text));
            }
        }
        Map<Element, String> rendered = new IdentityHashMap<>();
        List<String[]> rows = new ArrayList<>();
        List<Element[]> sources = new ArrayList<>();
        for (int r = 0; r < grid.rows.size(); r++) {
            Element[] slots = grid.rows.get(r);
            String[] cells = new String[grid.width];
            boolean empty = true;
            boolean fullWidth = true; // one cell across the whole table: a label, written once
            for (Element slot : slots) {
                fullWidth &= slot == slots[0];
            }
            for (int c = 0; c < slots.length; c++) {
                cells[c] = slots[c] == null || fullWidth && c > 0 ? "" : cell(slots[c], rendered);
                empty &= cells[c].isEmpty();
            }
            // Spacer rows carry nothing; a footer repeating the header neither.
            boolean repeatedHeader =
                    r >= grid.footer && !rows.isEmpty() && Arrays.equals(cells, rows.getFirst());
            if (!empty && !repeatedHeader) {
                rows.add(cells);
                sources.add(slots);
            }
        }
        if (rows.isEmpty()) {
            return true;
        }
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            sb.append(r == 0 ? "" : "\n")
                    .append("| ")
                    .append(String.join(" | ", rows.get(r)))
                    .append(" |");
            if (r == 0) {
                sb.append("\n|");
                for (Element header : sources.getFirst()) {
                    sb.append(' ').append(alignment(header)).append(" |");
                }
            }
        }
        current().blocks.add(Block.of(BlockKind.OTHER, sb.toString()));
        return true;
    }

    /** One cell on one line: its blocks flattened, pipes escaped (GFM §4.10). */
    private String cell(Element cell, Map<Element, String> rendered) {
        String text = rendered.get(cell);
        if (text == null) {
            text =
                    new MarkdownWriter(shared, true)
                            .render(cell, FrameKind.CELL)
                            .replaceAll("\\s*\n\\s*", " ")
                            .replace("|", "\\|")
                            .strip();
            rendered.put(cell, text);
        }
        return text;
    }

    private static String alignment(Element header) {
        if (header == null) {
            return "---";
        }
        String align = header.attr("align").toLowerCase(Locale.ROOT).strip();
        if (align.isEmpty()) {
            Matcher m = TEXT_ALIGN.matcher(header.attr("style"));
            align = m.find() ? m.group(1).toLowerCase(Locale.ROOT) : "";
        }
        return switch (align) {
            case "left" -> ":--";
            case "center" -> ":-:";
            case "right" -> "--:";
            default -> "---";
        };
    }

    private static final Pattern TEXT_ALIGN =
            Pattern.compile("text-align\\s*:\\s*(left|center|right)", Pattern.CASE_INSENSITIVE);

    private static boolean containsMath(Element root) {
        return root.selectFirst("math, .katex, mjx-container, script[type^=math/tex]") != null;
    }

    private static boolean isMathScript(Element e) {
        return e.normalName().equals("script")
                && e.attr("type").toLowerCase(Locale.ROOT).startsWith("math/tex");
    }

    private static boolean isMath(Element e) {
        return e.normalName().equals("math")
                || e.normalName().equals("mjx-container")
                || isMathScript(e)
                || e.hasClass("katex")
                || e.hasClass("katex-display")
                || isMathJaxRendering(e);
    }

    private static boolean hasMathScriptAfter(Element e) {
        Element next = e.nextElementSibling();
        for (int i = 0; i < 3 && next != null; i++, next = next.nextElementSibling()) {
            if (isMathScript(next)) {
                return true;
            }
        }
        return false;
    }

    /**
     * MathJax 2's rendered copies; the {@code script type=math/tex} beside them holds the source.
     */
    private static boolean isMathJaxRendering(Element e) {
        String className = e.className();
        if (!className.contains("MathJax") && !className.contains("MJX")) {
            return false;
        }
        for (String cls : e.classNames()) {
            if (cls.startsWith("MathJax") || cls.equals("MJX_Assistive_MathML")) {
                return true;
            }
        }
        return false;
    }

    /**
     * KaTeX, MathJax and MathML as {@code $tex$}, or {@code $$tex$$} on its own lines when
     * displayed.
     */
    private void math(Element e) {
        String tex = null;
        boolean display = false;
        if (isMathJaxRendering(e) && !e.normalName().equals("mjx-container")) {
            // MathJax 2 output: the script after it holds the source. Without one (stripped along
            // with
            // the page's other scripts) its assistive MathML, when present, is the best left.
            if (hasMathScriptAfter(e) || e.selectFirst("math") == null) {
                return;
            }
            display =
                    e.hasClass("MathJax_Display")
                            || e.parent() != null && e.parent().hasClass("MathJax_Display");
        }
        if (isMathScript(e)) {
            tex = e.dataNodes().stream().map(DataNode::getWholeData).reduce("", String::concat);
            display = e.attr("type").toLowerCase(Locale.ROOT).contains("mode=display");
        } else {
            Element math = e.normalName().equals("math") ? e : e.selectFirst("math");
            if (math != null) {
                tex = math.attr("alttext");
                if (tex.isBlank()) {
                    Element annotation =
                            math.selectFirst("annotation[encoding~=(?i)^(application/x-tex|tex)$]");
                    tex = annotation != null ? annotation.wholeText() : MathMl.toTex(math);
                }
                display |=
                        math.attr("display").equalsIgnoreCase("block")
                                || e.attr("display").equals("true");
            }
            display |=
                    e.hasClass("katex-display")
                            || e.parent() != null && e.parent().hasClass("katex-display");
        }
        if (tex == null || tex.isBlank()) {
            return;
        }
        tex = stripStandIns(tex.strip());
        if (display && !inTable) {
            flush(current());
            current()
                    .blocks
                    .add(
                            Block.of(
                                    BlockKind.OTHER,
                                    "$$\n" + tex.replaceAll("\n\\s*\n", "\n") + "\n$$"));
        } else {
            String one = tex.replaceAll("\\s+", " ");
            raw(display ? "$$" + one + "$$" : "$" + one + "$");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Links, images, task lists

    /**
     * A heading's own anchor ({@code ¶}, {@code #}, an icon): navigation, not part of the title.
     */
    private static boolean isPermalink(Element a, String content) {
        if (!a.attr("href").strip().startsWith("#")) {
            return false;
        }
        return content.codePoints().noneMatch(Character::isLetterOrDigit);
    }

    private String link(Element a, String content) {
        if (o.links() == MarkdownOptions.Links.NONE) {
            return "";
        }
        String href = url(a, "href");
        // "#" and javascript: links are buttons dressed as links; their text is all that means
        // anything.
        if (href == null
                || a.attr("href").strip().equals("#")
                || href.toLowerCase(Locale.ROOT).startsWith("javascript:")
                || o.links() == MarkdownOptions.Links.TEXT
                || o.linkStyle() == MarkdownOptions.LinkStyle.DISCARDED) {
            return content;
        }
        String title = title(a);
        String target = destination(href) + title;
        if (o.linkStyle() == MarkdownOptions.LinkStyle.INLINED) {
            return "[" + content + "](" + target + ")";
        }
        // Referenced: a label of the link text where it can be one, else a number.
        boolean labelOk =
                o.linkReferenceStyle() != MarkdownOptions.LinkReferenceStyle.FULL
                        && content.indexOf('[') < 0
                        && content.indexOf(']') < 0
                        && content.indexOf('\n') < 0
                        && content.indexOf(BR) < 0
                        && content.length() < 500;
        if (labelOk) {
            String previous = shared.labels.putIfAbsent(content, target);
            if (previous == null) {
                String label = resolve(content, true, false);
                shared.definitions.add("[" + label + "]: " + target);
            }
            if (previous == null || previous.equals(target)) {
                return o.linkReferenceStyle() == MarkdownOptions.LinkReferenceStyle.COLLAPSED
                        ? "[" + content + "][]"
                        : "[" + content + "]";
            }
        }
        Integer number = shared.numbers.get(target);
        if (number == null) {
            number = shared.numbers.size() + 1;
            shared.numbers.put(target, number);
            shared.definitions.add("[" + number + "]: " + target);
        }
        return "[" + content + "][" + number + "]";
    }

    private void image(Element img) {
        if (o.images() == MarkdownOptions.Images.NONE) {
            return;
        }
        String alt = attributeText(img.attr("alt"));
        if (o.images() == MarkdownOptions.Images.ALT) {
            text(" " + alt + " ");
            return;
        }
        String src = imageSource(img);
        if (src == null) {
            return;
        }
        StringBuilder b = current().inline;
        b.append("![");
        textKeepingLines(alt);
        b.append("](").append(stripStandIns(destination(src) + title(img))).append(")");
    }

    /**
     * The real image behind lazy loading: {@code data-src} and friends, then the largest srcset
     * candidate.
     */
    private String imageSource(Element img) {
        for (String attr :
                List.of(
                        "data-src",
                        "data-lazy-src",
                        "data-original",
                        "data-actualsrc",
                        "data-url")) {
            String value = img.attr(attr).strip();
            if (!value.isEmpty() && !value.startsWith("data:")) {
                return url(img, attr);
            }
        }
        String src = img.attr("src").strip();
        if (src.isEmpty() || src.startsWith("data:")) {
            List<Element> sources = new ArrayList<>(List.of(img));
            if (img.parent() != null && img.parent().normalName().equals("picture")) {
                sources.addAll(img.parent().select("> source")); // <picture><source srcset=…><img>
            }
            for (Element source : sources) {
                for (String attr : List.of("data-srcset", "srcset")) {
                    String best = largestCandidate(source.attr(attr));
                    if (best != null) {
                        return resolve(img.baseUri(), best);
                    }
                }
            }
        }
        if (src.isEmpty()) {
            return null;
        }
        if (src.startsWith("data:") && !o.keepDataUris()) {
            int comma = src.indexOf(',');
            String type = comma < 0 ? "" : src.substring(5, Math.min(comma, 69));
            return "data:" + type + ",...";
        }
        return url(img, "src");
    }

    /**
     * The widest (or densest) candidate of a {@code srcset}, parsed as the HTML standard describes.
     */
    private static String largestCandidate(String srcset) {
        String best = null;
        double bestSize = -1;
        int i = 0;
        int n = srcset.length();
        while (i < n) {
            while (i < n && (Character.isWhitespace(srcset.charAt(i)) || srcset.charAt(i) == ',')) {
                i++;
            }
            int start = i;
            while (i < n && !Character.isWhitespace(srcset.charAt(i))) {
                i++;
            }
            String url = srcset.substring(start, i);
            String descriptor = "";
            if (url.endsWith(",")) {
                url = url.replaceAll(",+$", "");
            } else {
                int d = i;
                while (i < n && srcset.charAt(i) != ',') {
                    i++;
                }
                descriptor = srcset.substring(d, i).strip();
            }
            if (url.isEmpty() || url.startsWith("data:")) {
                continue;
            }
            double size = 1;
            Matcher m = DESCRIPTOR.matcher(descriptor);
            if (m.find()) {
                size = Double.parseDouble(m.group(1)) * (m.group(2).equals("w") ? 1 : 1000);
            }
            if (size > bestSize) {
                best = url;
                bestSize = size;
            }
        }
        return best;
    }

    private static final Pattern DESCRIPTOR = Pattern.compile("^(\\d+(?:\\.\\d+)?)([wx])");

    private static String resolve(String base, String url) {
        try {
            return base == null || base.isBlank() ? url : URI.create(base).resolve(url).toString();
        } catch (IllegalArgumentException e) {
            return url;
        }
    }

    /** An absolute URL when the base is known, else the attribute as written; null when absent. */
    private static String url(Element e, String attr) {
        String value = e.attr(attr).strip();
        if (value.isEmpty()) {
            return null;
        }
        String absolute = e.absUrl(attr);
        return absolute.isEmpty() ? value : absolute;
    }

    private static String destination(String url) {
        url = url.replace("\n", "").replace("\r", "");
        if (url.indexOf(' ') >= 0 || url.indexOf('\t') >= 0) {
            return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">";
        }
        return url.replace("(", "\\(").replace(")", "\\)");
    }

    private static String title(Element e) {
        String title = attributeText(e.attr("title"));
        return title.isEmpty()
                ? ""
                : " \"" + title.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * Attribute text with whitespace collapsed, keeping one newline where the author broke lines.
     */
    private static String attributeText(String value) {
        return value.replaceAll("[ \t\r\f]*\n[ \t\n\r\f]*", "\n")
                .replaceAll("[ \t\r\f]+", " ")
                .strip();
    }

    /** {@code [ ]} or {@code [x]} for a checkbox opening a list item (GFM task list). */
    private void checkbox(Element input) {
        Frame frame = current();
        if (o.gfm()
                && input.attr("type").equalsIgnoreCase("checkbox")
                && frame.kind == FrameKind.ITEM
                && frame.blocks.isEmpty()
                && frame.inline.toString().isBlank()) {
            frame.inline.setLength(0);
            frame.inline.append(input.hasAttr("checked") ? "[x] " : "[ ] ");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Escaping: stand-ins resolved once a paragraph is complete

    /** Characters that may be Markdown syntax when they appear in text. */
    private static final String SPECIALS = "\\*_~`[]!<&$";

    private static final char LITERAL =
            '\uE000'; // LITERAL + i stands for SPECIALS[i] written as text
    private static final char BR = '\uE010'; // hard line break, written as o.br() or dropped
    private static final char EM_OPEN = '\uE011';
    private static final char EM_CLOSE = '\uE012';
    private static final char STRONG_OPEN = '\uE013';
    private static final char STRONG_CLOSE = '\uE014';

    private static boolean isStandIn(char c) {
        return c >= '\uE000' && c <= '\uE01F';
    }

    private static String stripStandIns(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (isStandIn(s.charAt(i))) {
                StringBuilder sb = new StringBuilder(s.length());
                s.chars().filter(c -> !isStandIn((char) c)).forEach(c -> sb.append((char) c));
                return sb.toString();
            }
        }
        return s;
    }

    private static final Pattern ENTITY =
            Pattern.compile("&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});");

    /**
     * Turns an inline run with stand-ins into Markdown: emphasis delimiters chosen, literal
     * specials escaped where they would parse, hard breaks written (or dropped at a paragraph's
     * end).
     */
    private String resolve(String run, boolean singleLine, boolean lineStart) {
        int n = run.length();

        // 1. Emphasis: pair the stand-ins and pick each pair's delimiter from its real neighbours.
        String[] delimiter = new String[n];
        boolean[] merged = new boolean[n];
        for (int i = 0; i + 1 < n; i++) {
            // "<b>Game D</b><b>ay</b>": one span, not "**Game D****ay**".
            char c = run.charAt(i);
            char next = run.charAt(i + 1);
            if (c == EM_CLOSE && next == EM_OPEN || c == STRONG_CLOSE && next == STRONG_OPEN) {
                merged[i] = merged[i + 1] = true;
                i++;
            }
        }
        Deque<Integer> opens = new ArrayDeque<>();
        for (int i = 0; i < n; i++) {
            char c = run.charAt(i);
            if (merged[i]) {
                continue;
            }
            if (c == EM_OPEN || c == STRONG_OPEN) {
                opens.push(i);
            } else if ((c == EM_CLOSE || c == STRONG_CLOSE) && !opens.isEmpty()) {
                int j = opens.pop();
                String chosen = c == EM_CLOSE ? o.emDelimiter() : o.strongDelimiter();
                char before = meaning(run, j - 1);
                char after = meaning(run, i + 1);
                // _ does not work inside a word (CommonMark §6.2, rules 2 and 7): use * there.
                if (chosen.startsWith("_") && (isWordChar(before) || isWordChar(after))) {
                    chosen = c == EM_CLOSE ? "*" : "**";
                }
                // Emphasis must open left-flanking and close right-flanking: "Search<em>→</em>" or
                // "<b>\"</b>The" cannot be written, so they are written as plain text.
                char first = meaning(run, j + 1);
                char last = meaning(run, i - 1);
                boolean leftFlanking =
                        !isSpace(first)
                                && (!isPunctuation(first)
                                        || isSpace(before)
                                        || isPunctuation(before));
                boolean rightFlanking =
                        !isSpace(last)
                                && (!isPunctuation(last) || isSpace(after) || isPunctuation(after));
                if (!leftFlanking || !rightFlanking) {
                    chosen = "";
                }
                delimiter[j] = chosen;
                delimiter[i] = chosen;
            }
        }
        StringBuilder resolved = new StringBuilder(n + 16);
        BitSet literal = new BitSet();
        for (int i = 0; i < n; i++) {
            char c = run.charAt(i);
            if (c >= LITERAL && c < LITERAL + SPECIALS.length()) {
                literal.set(resolved.length());
                resolved.append(SPECIALS.charAt(c - LITERAL));
            } else if (c == EM_OPEN || c == EM_CLOSE || c == STRONG_OPEN || c == STRONG_CLOSE) {
                if (delimiter[i] != null) {
                    resolved.append(delimiter[i]);
                }
            } else {
                resolved.append(c);
            }
        }
        char[] ch = resolved.toString().toCharArray();
        int len = ch.length;

        // 2. Delimiter runs: a literal * _ ~ run is escaped only if it could open emphasis with a
        // run
        // after it that could close, or close one opened before it (CommonMark §6.2). "5 * 3",
        // "file_" or a lone "*Price" therefore stay as written.
        boolean[] escape = new boolean[len];
        List<int[]> runs = new ArrayList<>(); // {start, end, can open, can close}
        for (int i = 0; i < len; i++) {
            char c = ch[i];
            if (c == '*' || c == '_' || c == '~') {
                int j = i;
                while (j < len && ch[j] == c) {
                    j++;
                }
                int flags = delimiting(c, j - i, i > 0 ? ch[i - 1] : '\n', j < len ? ch[j] : '\n');
                runs.add(new int[] {i, j, flags & OPENS, flags & CLOSES});
                i = j - 1;
            }
        }
        int[] firstOpener = {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}; // per * _ ~
        int[] lastCloser = {-1, -1, -1};
        for (int r = 0; r < runs.size(); r++) {
            int kind = "*_~".indexOf(ch[runs.get(r)[0]]);
            if (runs.get(r)[2] != 0) {
                firstOpener[kind] = Math.min(firstOpener[kind], r);
            }
            if (runs.get(r)[3] != 0) {
                lastCloser[kind] = r;
            }
        }
        for (int r = 0; r < runs.size(); r++) {
            int[] delimiters = runs.get(r);
            int kind = "*_~".indexOf(ch[delimiters[0]]);
            boolean paired =
                    delimiters[2] != 0 && lastCloser[kind] > r
                            || delimiters[3] != 0 && firstOpener[kind] < r;
            for (int k = delimiters[0]; k < delimiters[1] && paired; k++) {
                escape[k] = literal.get(k);
            }
        }

        // 3. Other inline specials.
        for (int i = 0; i < len; i++) {
            char c = ch[i];
            if (c == '*' || c == '_' || c == '~') {
                continue;
            }
            if (!literal.get(i)) {
                continue;
            }
            char next = i + 1 < len ? ch[i + 1] : '\n';
            escape[i] =
                    switch (c) {
                        case '\\' -> isAsciiPunctuation(next) || next == '\n' || next == BR;
                        case '`', '[', ']' -> true;
                        case '!' -> next == '[' && !literal.get(i + 1);
                        case '<' ->
                                Character.isLetter(next)
                                        || next == '/'
                                        || next == '!'
                                        || next == '?';
                        case '&' ->
                                ENTITY.matcher(new String(ch, i, Math.min(len - i, 40)))
                                        .lookingAt();
                        case '$' -> shared.math;
                        default -> false;
                    };
        }

        // 4. Block syntax at the start of each line.
        for (int i = 0; i < len; i++) {
            if (i == 0 ? lineStart : ch[i - 1] == '\n') {
                int at = lineStartEscape(ch, literal, i, len);
                if (at >= 0) {
                    escape[at] = true;
                }
            }
        }

        StringBuilder out = new StringBuilder(len + 16);
        for (int i = 0; i < len; i++) {
            if (escape[i]) {
                out.append('\\');
            }
            out.append(ch[i]);
        }
        return lines(out.toString(), singleLine);
    }

    /** What a stand-in at {@code i} will read as, for neighbour tests; '\n' off either end. */
    private static char meaning(String run, int i) {
        if (i < 0 || i >= run.length()) {
            return '\n';
        }
        char c = run.charAt(i);
        if (c >= LITERAL && c < LITERAL + SPECIALS.length()) {
            return SPECIALS.charAt(c - LITERAL);
        }
        return c == BR ? '\n' : isStandIn(c) ? '*' : c;
    }

    private static final int OPENS = 1;
    private static final int CLOSES = 2;

    /**
     * Whether a run of {@code c} between {@code before} and {@code after} can open or close
     * emphasis (§6.2).
     */
    private int delimiting(char c, int length, char before, char after) {
        if (c == '~' && (!o.gfm() || length > 2)) {
            return 0;
        }
        boolean left =
                !isSpace(after)
                        && (!isPunctuation(after) || isSpace(before) || isPunctuation(before));
        boolean right =
                !isSpace(before)
                        && (!isPunctuation(before) || isSpace(after) || isPunctuation(after));
        boolean opens = c == '_' ? left && (!right || isPunctuation(before)) : left;
        boolean closes = c == '_' ? right && (!left || isPunctuation(after)) : right;
        return (opens ? OPENS : 0) | (closes ? CLOSES : 0);
    }

    /** The index to escape if the line starting at {@code s} would begin block syntax, else -1. */
    private static int lineStartEscape(char[] ch, BitSet literal, int s, int len) {
        int e = s;
        while (e < len && ch[e] != '\n' && ch[e] != BR) {
            e++;
        }
        String line = new String(ch, s, e - s);
        char first = ch[s];
        if (line.isEmpty()) {
            return -1;
        }
        if ((first == '*' || first == '_') && !literal.get(s)) {
            return -1; // our own emphasis delimiter
        }
        if (ATX.matcher(line).lookingAt()
                || BULLET.matcher(line).lookingAt()
                || first == '>'
                || SETEXT.matcher(line).matches()
                || BREAK.matcher(line).matches()
                || FENCE.matcher(line).lookingAt()) {
            return s;
        }
        Matcher ordered = ORDERED.matcher(line);
        if (ordered.lookingAt()) {
            return s + ordered.end(1);
        }
        if (line.indexOf('|') >= 0
                && line.indexOf('-') >= 0
                && DELIMITER_ROW.matcher(line).matches()) {
            return s
                    + line.indexOf(
                            '-'); // would turn the line above into a table header (GFM §4.10)
        }
        return -1;
    }

    private static final Pattern DELIMITER_ROW =
            Pattern.compile("\\|?[ \t]*:?-+:?[ \t]*(?:\\|[ \t]*:?-+:?[ \t]*)*\\|?[ \t]*");

    private static final Pattern ATX = Pattern.compile("#{1,6}(?:[ \t\u00a0]|$)");
    private static final Pattern BULLET = Pattern.compile("[-+*](?:[ \t]|$)");
    private static final Pattern ORDERED = Pattern.compile("[0-9]{1,9}()[.)](?:[ \t]|$)");
    private static final Pattern SETEXT = Pattern.compile("(?:=+|-+)[ \t]*");
    private static final Pattern BREAK = Pattern.compile("([-*_])(?:[ \t]*\\1){2,}[ \t]*");
    private static final Pattern FENCE = Pattern.compile("(?:~~~|```)");

    /**
     * Lines of a paragraph: trailing spaces trimmed, a run of blank lines kept as one, hard breaks
     * written except where a blank line or the end follows (there they would mean nothing).
     */
    private String lines(String text, boolean singleLine) {
        if (singleLine) {
            return text.replace(BR, ' ').replace('\n', ' ').replaceAll(" {2,}", " ").strip();
        }
        List<String> out = new ArrayList<>();
        boolean blank = false;
        for (String line : text.split("\n", -1)) {
            String t = stripLine(line);
            boolean hasBreak = t.endsWith(String.valueOf(BR));
            if (hasBreak) {
                t = stripLine(t.substring(0, t.length() - 1));
            }
            if (isBlank(t)) {
                blank |= !out.isEmpty();
                continue;
            }
            if (blank) {
                out.add("");
                blank = false;
            }
            out.add(hasBreak ? t + BR : t);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < out.size(); i++) {
            String line = out.get(i);
            if (line.endsWith(String.valueOf(BR))) {
                boolean more = i + 1 < out.size() && !out.get(i + 1).isEmpty();
                line = line.substring(0, line.length() - 1) + (more ? o.br() : "");
            }
            sb.append(i == 0 ? "" : "\n").append(line);
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Small helpers

    private static boolean hasVisible(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!isEdgeSpace(c) && Character.getType(c) != Character.FORMAT) {
                return true;
            }
        }
        return false;
    }

    private static boolean isCollapsible(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    }

    /**
     * Whitespace that moves outside emphasis and link delimiters: spaces, U+00A0 and line breaks.
     */
    private static boolean isEdgeSpace(char c) {
        return c == BR || isCollapsible(c) || Character.isSpaceChar(c);
    }

    private static boolean isSpace(char c) {
        return c == BR || Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    private static boolean isAsciiPunctuation(char c) {
        return c < 128 && "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".indexOf(c) >= 0;
    }

    private static boolean isPunctuation(char c) {
        if (c < 128) {
            return isAsciiPunctuation(c);
        }
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION,
                    Character.DASH_PUNCTUATION,
                    Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION,
                    Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION,
                    Character.MATH_SYMBOL,
                    Character.CURRENCY_SYMBOL,
                    Character.MODIFIER_SYMBOL,
                    Character.OTHER_SYMBOL ->
                    true;
            default -> false;
        };
    }

    private static boolean isWordChar(char c) {
        return !isSpace(c) && !isPunctuation(c) && !isStandIn(c);
    }

    private static boolean isBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isWhitespace(c) && !Character.isSpaceChar(c) && c != BR) {
                return false;
            }
        }
        return true;
    }

    /** A line without its edge spaces; a leading U+00A0 stays (it is visible indentation). */
    private static String stripLine(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
            a++;
        }
        while (b > a
                && (Character.isWhitespace(s.charAt(b - 1))
                        || Character.isSpaceChar(s.charAt(b - 1)))) {
            b--;
        }
        return s.substring(a, b);
    }

    private static void trimTrailingSpaces(StringBuilder b) {
        while (!b.isEmpty() && b.charAt(b.length() - 1) == ' ') {
            b.setLength(b.length() - 1);
        }
    }

    private static int number(String value, int fallback) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
