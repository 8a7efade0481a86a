package dev.plinth.reader.markdown;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.nodes.Attribute;
import org.jsoup.nodes.Comment;
import org.jsoup.nodes.DataNode;
import org.jsoup.nodes.Document;
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
 *   <li>Cost linear in the page. Containers deeper than {@link #MAX_FRAMES} are written as plain
 *       blocks at the deepest level, since each level re-indents everything inside it: without the
 *       cap 50k nested lists cost time and output quadratic in the page. A first traversal notes
 *       which tables are layout tables and which {@code <code>} holds a {@code <pre>}, so no
 *       element's subtree is searched again per ancestor; URLs resolve against the base found once
 *       (jsoup finds an element's base by walking to the root).
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
 *       Search<em>→</em>}) is written as plain text, or, when it wraps words or code ({@code
 *       foo<b><code>x</code></b>bar}), as the HTML tags CommonMark passes through.
 *   <li>Links keep their meaning even when empty ({@code [](/x)}, {@code [](#intro)}); on a local
 *       file (a {@code file:} base) they stay as the author wrote them, relative or {@code
 *       #anchor}. Media ({@code <video>}, {@code <audio>}) become their poster image and a link to
 *       the media whose text is the fallback content. Images are numbered as Jina's reader numbers
 *       them when {@link MarkdownOptions#numberImages} is on.
 *   <li>Tables: a data table becomes a GFM table on a grid with every span expanded (a colspan
 *       written in its first column, the columns it covers left empty; a rowspan repeated in each
 *       row, which stays readable on its own); the first row is the header whether or not it has
 *       {@code <th>}; cells are one line. With {@link MarkdownOptions#tablesAsHtml} a data table is
 *       written as cleaned HTML instead. Layout tables (nested tables, {@code role=presentation})
 *       are read as ordinary blocks. Math (KaTeX, MathJax, MathML) becomes {@code $tex$} or a
 *       {@code $$} block.
 *   <li>Compatibility oracle: Turndown's rules and test suite (and turndown-plugin-gfm for tables,
 *       strikethrough, task lists). Deliberate departures: minimal escaping as above; every {@code
 *       <pre>} is a code block; a table without {@code <th>} still becomes a GFM table (first row
 *       as header); spans are expanded into a grid (a colspan written once, a rowspan repeated);
 *       lists use the narrowest valid markers ({@code -}, {@code 1. }) and indentation; {@code
 *       <sub>}/{@code <sup>} are plain text, as every converter compared writes them.
 *   <li>References: CommonMark 0.31 (https://spec.commonmark.org/), GFM 0.29
 *       (https://github.github.com/gfm/), Turndown (https://github.com/mixmark-io/turndown).
 * </ul>
 *
 * <p>Messy HTML never throws; whatever cannot be expressed is written as plain text.
 */
public final class MarkdownWriter {

    /**
     * Markdown and the images written into it.
     *
     * @param text the Markdown
     * @param images each image written with a source, in the order written, with its number
     */
    public record Markdown(String text, List<WrittenImage> images) {}

    /** An image as written: its number ({@code Image n}), alt text and source. */
    public record WrittenImage(int number, String alt, String src) {}

    /** The Markdown for {@code root}'s children, with links resolved against its base URI. */
    public static String write(Element root, MarkdownOptions options) {
        return render(root, options).text();
    }

    /** {@link #write}, with the images it wrote: what an images summary lists and numbers. */
    public static Markdown render(Element root, MarkdownOptions options) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(options, "options");
        Shared shared = new Shared(options, containsMath(root), Survey.of(root), root.baseUri());
        String body = new MarkdownWriter(shared, false).render(root, FrameKind.ROOT);
        // Trim blank lines and trailing space only: an indented code block may open the output.
        String text =
                (body + shared.definitions()).replaceFirst("^(?:[ \t]*\n)+", "").stripTrailing();
        return new Markdown(text, List.copyOf(shared.written));
    }

    // ---------------------------------------------------------------------------------------------
    // State

    /**
     * Containers nested deeper than this many frames are written as plain blocks: each level copies
     * and re-indents all it holds, so depth must be bounded for time (and output) to stay linear.
     * Real pages nest lists a handful of levels; 32 frames is about 15 levels of lists.
     */
    private static final int MAX_FRAMES = 32;

    /** State shared by the writer of a page and the writers of its table cells. */
    private static final class Shared {
        final MarkdownOptions o;
        final boolean math; // the page has math, so a literal $ must be escaped
        final Survey survey;
        final boolean local; // the page is a local file: links stay as written
        final Element resolver = new Element("a"); // detached, so its base is found at once
        final List<String> definitions = new ArrayList<>();
        final Map<String, Integer> numbers =
                new HashMap<>(); // destination and title -> reference number
        final Map<String, String> labels = new HashMap<>(); // raw label -> destination
        int images; // images written so far, for Jina's "Image N" labels
        final List<WrittenImage> written = new ArrayList<>();

        Shared(MarkdownOptions o, boolean math, Survey survey, String base) {
            this.o = o;
            this.math = math;
            this.survey = survey;
            this.local = isLocal(base);
            resolver.setBaseUri(base);
        }

        String definitions() {
            return definitions.isEmpty() ? "" : "\n\n" + String.join("\n", definitions);
        }
    }

    /**
     * What the writer needs to know about an element's subtree, gathered in one pass before
     * writing: which tables hold another table or fewer than two cells (layout, not data), and
     * which inline code elements hold a {@code <pre>} (a code block, not a code span).
     */
    private record Survey(Set<Element> notDataTables, Set<Element> codeWithPre) {
        static Survey of(Element root) {
            Set<Element> notData = Collections.newSetFromMap(new IdentityHashMap<>());
            Set<Element> withPre = Collections.newSetFromMap(new IdentityHashMap<>());
            Map<Element, Integer> cells = new IdentityHashMap<>();
            Deque<Element> tables = new ArrayDeque<>();
            Deque<Element> codes = new ArrayDeque<>();
            NodeTraversor.filter(
                    new NodeFilter() {
                        @Override
                        public FilterResult head(Node node, int depth) {
                            if (!(node instanceof Element e)) {
                                return FilterResult.CONTINUE;
                            }
                            switch (e.normalName()) {
                                case "table" -> {
                                    // Marking only the nearest enclosing table suffices: every
                                    // table holding a table is some table's nearest one.
                                    if (!tables.isEmpty()) {
                                        notData.add(tables.peek());
                                    }
                                    tables.push(e);
                                    cells.put(e, 0);
                                }
                                case "td", "th" -> {
                                    if (!tables.isEmpty()) {
                                        cells.merge(tables.peek(), 1, Integer::sum);
                                    }
                                }
                                case "code", "kbd", "samp", "tt" -> codes.push(e);
                                case "pre" -> {
                                    if (!codes.isEmpty()) {
                                        withPre.add(codes.peek());
                                    }
                                }
                                default -> {}
                            }
                            return FilterResult.CONTINUE;
                        }

                        @Override
                        public FilterResult tail(Node node, int depth) {
                            if (!(node instanceof Element e)) {
                                return FilterResult.CONTINUE;
                            }
                            switch (e.normalName()) {
                                case "table" -> {
                                    tables.pop();
                                    if (cells.remove(e) < 2) {
                                        notData.add(e);
                                    }
                                }
                                case "code", "kbd", "samp", "tt" -> {
                                    codes.pop();
                                    if (withPre.contains(e) && !codes.isEmpty()) {
                                        withPre.add(codes.peek());
                                    }
                                }
                                default -> {}
                            }
                            return FilterResult.CONTINUE;
                        }
                    },
                    root);
            return new Survey(notData, withPre);
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
        RULE,
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
        final Element owner; // the element whose end pops this frame
        final List<Block> blocks = new ArrayList<>();
        final StringBuilder inline = new StringBuilder();
        boolean singleLine; // headings, table cells, terms: everything on one line
        boolean lineStart =
                true; // does the inline run start a Markdown line (block syntax possible)
        int paragraphs; // <p> elements closed here: a list item with one is loose
        boolean ordered; // lists
        int start = 1;
        int step = 1;
        int codeStart = -1; // the last code span in the inline run, to join the next one to it
        int codeEnd = -1;
        String code = "";

        Frame(FrameKind kind, Element owner) {
            this.kind = kind;
            this.owner = owner;
        }
    }

    private enum Inline {
        EM,
        STRONG,
        DEL,
        LINK,
        QUOTE,
        PARENS
    }

    /** An inline element still open: where its content started in which frame's inline run. */
    private static final class Open {
        final Element el;
        final Inline kind;
        final Frame frame;
        final int blocks; // the frame's blocks when it opened: more at its end, its content went
        // there
        int start;
        boolean wrote; // some of its content was already written, wrapped, at a paragraph's end
        String href; // a link's destination when not the element's href (media)
        String label; // what an empty link says instead (media: the file name)

        Open(Element el, Inline kind, Frame frame, int start) {
            this.el = el;
            this.kind = kind;
            this.frame = frame;
            this.start = start;
            this.blocks = frame.blocks.size();
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
        Frame frame = new Frame(kind, root);
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
                // <code><pre>…</pre></code> is a code block that the author wrapped once too often.
                if (shared.survey.codeWithPre().contains(e)) {
                    return NodeFilter.FilterResult.CONTINUE;
                }
                inlineCode(rawText(e), o.preformattedCode());
                return NodeFilter.FilterResult.SKIP_ENTIRELY;
            }
            case "img" -> {
                image(e);
                return NodeFilter.FilterResult.SKIP_ENTIRELY;
            }
            case "video", "audio" -> media(e);
            case "input" -> {
                checkbox(e);
                return NodeFilter.FilterResult.SKIP_ENTIRELY;
            }
            case "br" -> lineBreak();
            case "hr" -> {
                flush(current());
                // A table cell is one line: block syntax there would be literal text. In a heading
                // the rule splits it in two (see heading()).
                if (!inTable) {
                    current()
                            .blocks
                            .add(
                                    Block.of(
                                            BlockKind.RULE,
                                            o.hr().isBlank() ? "---" : o.hr().strip()));
                }
            }
            case "table" -> {
                if (isDataTable(e) && (o.tablesAsHtml() ? htmlTable(e) : table(e))) {
                    return NodeFilter.FilterResult.SKIP_ENTIRELY;
                }
                flush(current());
            }
            case "ul", "ol", "menu", "dir" -> {
                Frame list = push(FrameKind.LIST, e);
                if (list != null && name.equals("ol")) {
                    list.ordered = true;
                    boolean reversed = e.hasAttr("reversed");
                    int items =
                            (int)
                                    e.children().stream()
                                            .filter(c -> c.normalName().equals("li"))
                                            .count();
                    int first = reversed ? items : 1;
                    list.step = reversed ? -1 : 1;
                    // Markdown has no negative item numbers (CommonMark §5.2): a start it cannot
                    // write is ignored as a malformed one is, rather than clamped to a run of 0s.
                    int start = number(e.attr("start"), first);
                    list.start = start < 0 ? first : start;
                }
            }
            case "li" -> push(FrameKind.ITEM, e);
            case "blockquote" -> push(FrameKind.QUOTE, e);
            case "h1", "h2", "h3", "h4", "h5", "h6" -> {
                Frame heading = push(FrameKind.HEADING, e);
                if (heading != null) {
                    heading.singleLine = true;
                    heading.lineStart =
                            o.headingStyle() == MarkdownOptions.HeadingStyle.SETEXT
                                    && name.charAt(1) <= '2';
                }
            }
            case "dl" -> push(FrameKind.TERMS, e);
            case "dt" -> {
                Frame term = push(FrameKind.TERM, e);
                if (term != null) {
                    term.singleLine = true;
                    open.add(new Open(e, Inline.STRONG, term, 0));
                }
            }
            case "dd" -> push(FrameKind.DEFINITION, e);
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
            case "q" -> openInline(e, Inline.QUOTE);
            case "rt" -> openInline(e, Inline.PARENS);
            case "button" ->
                    text(" "); // an inline-block: "Play" "Next" side by side, not "PlayNext"
            case "rp", "source", "track" -> {
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
        if (current().owner == e) {
            exitContainer(e, name);
            return;
        }
        switch (name) {
            case "em", "i", "strong", "b", "s", "strike", "del", "a", "q", "rt", "video", "audio" ->
                    closeInline(e);
            case "button" -> text(" ");
            case "p" -> {
                flush(current());
                current().paragraphs++;
            }
            default -> {
                // Containers past MAX_FRAMES pushed no frame: they end as any block does.
                if (BLOCKS.contains(name) || CONTAINERS.contains(name)) {
                    flush(current());
                }
            }
        }
    }

    /** The end of an element that pushed the current frame. */
    private void exitContainer(Element e, String name) {
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
            default -> throw new IllegalStateException("no frame for <" + name + ">");
        }
    }

    /** Elements that push a frame: past {@link #MAX_FRAMES} they are read as plain blocks. */
    private static final Set<String> CONTAINERS =
            Set.of(
                    "ul",
                    "ol",
                    "menu",
                    "dir",
                    "li",
                    "blockquote",
                    "h1",
                    "h2",
                    "h3",
                    "h4",
                    "h5",
                    "h6",
                    "dl",
                    "dt",
                    "dd");

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
     * Starts a block container, or returns null (and the element is read as a plain block) past
     * {@link #MAX_FRAMES}. Inline formatting still open around it (a link wrapping a heading and a
     * paragraph, say) is carried into it, so each block inside stays linked or emphasised.
     */
    private Frame push(FrameKind kind, Element owner) {
        Frame parent = current();
        flush(parent);
        if (frames.size() >= MAX_FRAMES) {
            return null;
        }
        Frame frame = new Frame(kind, owner);
        int n = open.size();
        for (int i = 0; i < n; i++) {
            Open m = open.get(i);
            if (m.frame == parent) {
                Open copy = new Open(m.el, m.kind, frame, 0);
                copy.href = m.href;
                copy.label = m.label;
                open.add(copy);
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

    private Open openInline(Element e, Inline kind) {
        Frame frame = current();
        for (Open m : open) {
            // <b> inside <strong>, a link inside a link: the outer one already says it all.
            if (m.frame == frame && m.kind == kind) {
                return null;
            }
        }
        Open m = new Open(e, kind, frame, frame.inline.length());
        open.add(m);
        return m;
    }

    private void closeInline(Element e) {
        Frame frame = current();
        for (int i = open.size() - 1; i >= 0; i--) {
            Open m = open.get(i);
            if (m.el == e && m.frame == frame) {
                wrap(m, true);
                open.remove(i);
                return;
            }
        }
    }

    /**
     * Wraps the inline run since {@code m} started in its delimiters, whitespace moved outside
     * them. An empty link is still written when it closes ({@code [](/x)}: where it points is
     * meaning), unless its content went into blocks written meanwhile.
     */
    private void wrap(Open m, boolean closing) {
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
            boolean emptyLink =
                    m.kind == Inline.LINK
                            && closing
                            && !m.wrote
                            && m.frame.blocks.size() == m.blocks;
            if (!emptyLink) {
                return; // nothing a reader would see (zero-width spaces): no delimiters around it
            }
        }
        m.wrote = true;
        b.setLength(b.length() - content.length());
        b.append(content, 0, s)
                .append(decorate(m, content.substring(s, t)))
                .append(content, t, content.length());
    }

    private String decorate(Open m, String core) {
        return switch (m.kind) {
            case EM -> EM_OPEN + core + EM_CLOSE;
            case STRONG -> STRONG_OPEN + core + STRONG_CLOSE;
            case DEL -> DEL_OPEN + core + DEL_CLOSE;
            case QUOTE -> "\"" + core + "\"";
            case PARENS -> "(" + core + ")";
            case LINK ->
                    m.frame.kind == FrameKind.HEADING && isPermalink(m.el, core)
                            ? ""
                            : link(m, core);
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
                wrap(m, false);
            }
        }
        String text = resolve(frame.inline.toString(), frame.singleLine, frame.lineStart);
        frame.inline.setLength(0);
        frame.codeEnd = -1;
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
            if (frame.singleLine && block.kind == BlockKind.RULE) {
                continue; // a line cannot hold a rule; headings split around theirs first
            }
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

    /**
     * A heading; an {@code <hr>} inside it splits it into a heading, the rule and a heading of the
     * same level (as a browser draws it), never {@code #### --- More}.
     */
    private void heading(Frame frame, int level) {
        Frame part = new Frame(FrameKind.HEADING, frame.owner);
        part.singleLine = true;
        for (Block block : frame.blocks) {
            if (block.kind == BlockKind.RULE && !inTable) {
                headingLine(join(part), level);
                part.blocks.clear();
                current().blocks.add(block);
            } else {
                part.blocks.add(block);
            }
        }
        headingLine(join(part), level);
    }

    private void headingLine(String text, int level) {
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
        List<String> markers = new ArrayList<>();
        List<StringBuilder> contents = new ArrayList<>(); // built up: stray blocks can be many
        boolean loose = false;
        int n = frame.start;
        for (Block block : frame.blocks) {
            if (block.kind != BlockKind.ITEM) {
                // A list or text directly inside <ul> (invalid, common) belongs to the item before
                // it.
                if (!contents.isEmpty()) {
                    contents.getLast()
                            .append(block.kind == BlockKind.LIST ? "\n" : "\n\n")
                            .append(block.text);
                } else {
                    markers.add(frame.ordered ? clampNumber(n) + delimiter : bullet);
                    contents.add(new StringBuilder(block.text));
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
                markers.add(marker);
                contents.add(new StringBuilder(block.text));
                loose |= block.loose;
            }
        }
        if (contents.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < contents.size(); i++) {
            if (!sb.isEmpty()) {
                sb.append(loose ? "\n\n" : "\n");
            }
            sb.append(item(markers.get(i), contents.get(i).toString()));
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
        // <code>A</code><code>B</code> as `A``B` is one span holding A``B: touching spans are
        // written as one, which is how they look. Not when an inline element opened between them
        // will put its delimiter there.
        Frame frame = current();
        int at = frame.inline.length();
        if (frame.codeEnd == at && !opensAt(frame, at)) {
            code = frame.code + code;
            frame.inline.setLength(frame.codeStart);
            at = frame.codeStart;
        }
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
        frame.codeStart = at;
        frame.codeEnd = frame.inline.length();
        frame.code = code;
    }

    private boolean opensAt(Frame frame, int at) {
        for (Open m : open) {
            if (m.frame == frame && m.start == at) {
                return true;
            }
        }
        return false;
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
        return !role.equals("presentation")
                && !role.equals("none")
                && !shared.survey.notDataTables().contains(table);
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
            for (int c = 0; c < slots.length; c++) {
                // A colspan is written once, in its first column, and the columns it spans left
                // empty: repeating "Q1 total" in three cells reads as three values.
                boolean spanned = c > 0 && slots[c] == slots[c - 1];
                cells[c] = slots[c] == null || spanned ? "" : cell(slots[c], rendered);
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
                    joinLines(new MarkdownWriter(shared, true).render(cell, FrameKind.CELL))
                            .replace("|", "\\|")
                            .strip();
            rendered.put(cell, text);
        }
        return text;
    }

    /**
     * Writes a data table as HTML ({@code X-No-Gfm: table}), as Jina's reader keeps tables: the
     * markup the cells carry, minus what only styles or scripts it, links and images resolved as
     * everywhere else. Blank lines would end the HTML block (CommonMark §4.6), so a newline that
     * would start one is written as a character reference.
     */
    private boolean htmlTable(Element table) {
        flush(current());
        Document shell = Document.createShell("");
        shell.outputSettings().prettyPrint(false);
        Element copy = table.clone();
        shell.body().appendChild(copy);
        // The copy has lost the page's base: links and images are resolved from the original,
        // whose elements the clone lists in the same order.
        List<Element> originals = table.getAllElements();
        List<Element> copies = copy.getAllElements();
        for (int i = 0; i < copies.size(); i++) {
            Element original = originals.get(i);
            Element e = copies.get(i);
            String href = e.normalName().equals("a") ? url(original, "href") : null;
            String src = e.normalName().equals("img") ? imageSource(original) : null;
            for (Attribute attribute : new ArrayList<>(e.attributes().asList())) {
                if (!HTML_ATTRIBUTES.contains(attribute.getKey())) {
                    e.removeAttr(attribute.getKey());
                }
            }
            if (href != null) {
                e.attr("href", href);
            }
            if (src != null) {
                e.attr("src", src);
            }
        }
        List<Node> drop = new ArrayList<>();
        NodeTraversor.traverse(
                (node, depth) -> {
                    if (node instanceof Comment
                            || node instanceof Element e && IGNORED.contains(e.normalName())
                            || node instanceof TextNode t
                                    && t.isBlank()
                                    && node.parent() instanceof Element p
                                    && TABLE_PARTS.contains(p.normalName())) {
                        drop.add(node);
                    }
                },
                copy);
        drop.forEach(Node::remove);
        String html = BLANK_LINE.matcher(copy.outerHtml()).replaceAll("&#10;");
        current().blocks.add(Block.of(BlockKind.OTHER, html));
        return true;
    }

    private static final Set<String> TABLE_PARTS =
            Set.of("table", "thead", "tbody", "tfoot", "tr", "colgroup");

    /** Attributes that carry meaning in a table written as HTML; the rest is style or script. */
    private static final Set<String> HTML_ATTRIBUTES =
            Set.of(
                    "href",
                    "src",
                    "alt",
                    "title",
                    "colspan",
                    "rowspan",
                    "scope",
                    "headers",
                    "abbr",
                    "align",
                    "lang",
                    "dir",
                    "start",
                    "reversed",
                    "value",
                    "datetime");

    /** A newline followed by a blank line (or the end), which would end an HTML block. */
    private static final Pattern BLANK_LINE = Pattern.compile("\n(?=[ \t]*+(?:\n|$))");

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
    // Links, images, media, task lists

    /**
     * A heading's own anchor ({@code ¶}, {@code #}, {@code §}): navigation, not part of the title.
     * An empty anchor ({@code <a href="#intro"></a>}) is kept: where it points is all it says.
     */
    private static boolean isPermalink(Element a, String content) {
        if (!a.attr("href").strip().startsWith("#")) {
            return false;
        }
        return hasVisible(content, 0, content.length())
                && content.codePoints().noneMatch(Character::isLetterOrDigit);
    }

    private String link(Open m, String content) {
        if (o.links() == MarkdownOptions.Links.NONE) {
            return "";
        }
        Element a = m.el;
        String href = m.href != null ? m.href : url(a, "href");
        // javascript: links are buttons dressed as links; their text is all that means anything.
        if (href == null
                || href.toLowerCase(Locale.ROOT).startsWith("javascript:")
                || o.links() == MarkdownOptions.Links.TEXT
                || o.linkStyle() == MarkdownOptions.LinkStyle.DISCARDED) {
            return content;
        }
        if (content.isEmpty()) {
            // What a screen reader would announce for it, else nothing: [](/x) still says where.
            String label = attributeText(a.attr("aria-label"));
            if (label.isEmpty()) {
                label = attributeText(a.attr("title"));
            }
            if (label.isEmpty() && m.label != null) {
                label = m.label;
            }
            content = literal(label.replace('\n', ' '));
        }
        String title = title(a);
        String target = destination(href) + title;
        if (o.linkStyle() == MarkdownOptions.LinkStyle.INLINED) {
            return "[" + content + "](" + target + ")";
        }
        // Referenced: a label of the link text where it can be one, else a number.
        boolean labelOk =
                o.linkReferenceStyle() != MarkdownOptions.LinkReferenceStyle.FULL
                        && !content.isBlank()
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

    /**
     * An image in the form {@link MarkdownOptions#images} and {@link MarkdownOptions#numberImages}
     * ask for. Jina's reader numbers the images it writes: in the {@code all} forms those with a
     * source, in {@code alt} those with an alt, in {@code alt_p} those with a source again; an
     * image left out takes no number.
     */
    private void image(Element img) {
        if (o.images() != MarkdownOptions.Images.NONE) {
            picture(attributeText(img.attr("alt")), imageSource(img), title(img));
        }
    }

    private void picture(String alt, String src, String title) {
        switch (o.images()) {
            case NONE -> {}
            case ALT -> altText(alt.isEmpty() ? -1 : ++shared.images, alt);
            case ALT_P -> {
                if (src != null) {
                    altText(++shared.images, alt);
                    shared.written.add(new WrittenImage(shared.images, alt, src));
                }
            }
            case ALL, ALL_P -> {
                if (src != null) {
                    writeImage(++shared.images, alt, src, title);
                    shared.written.add(new WrittenImage(shared.images, alt, src));
                }
            }
        }
    }

    /** {@code ![Image n: alt](src "title")}, or {@code ![alt](src)} without numbering. */
    private void writeImage(int n, String alt, String src, String title) {
        StringBuilder b = current().inline;
        b.append("![");
        if (o.numberImages()) {
            text("Image " + n + (alt.isEmpty() ? "" : ": "));
        }
        textKeepingLines(alt);
        b.append("](").append(stripStandIns(destination(src) + title)).append(")");
    }

    /** An image's alt text in place of the image: {@code (Image n: alt)}, or the bare alt. */
    private void altText(int n, String alt) {
        if (!o.numberImages()) {
            text(" " + alt + " "); // spaced: two images' alts side by side stay two words
        } else if (!alt.isEmpty()) {
            text("(Image " + n + ": ");
            textKeepingLines(alt);
            text(")");
        }
    }

    /**
     * {@code <video>} and {@code <audio>}: the poster as an image, then the fallback content (what
     * a browser without the media shows) as a link to the media; empty fallback reads as the file's
     * name. Fallback that has links of its own keeps them and gets no second one.
     */
    private void media(Element e) {
        String src = url(e, "src");
        if (src == null) {
            for (Element source : e.children()) {
                if (source.normalName().equals("source") && source.hasAttr("src")) {
                    src = url(source, "src");
                    if (src != null) {
                        break;
                    }
                }
            }
        }
        String poster = e.normalName().equals("video") ? url(e, "poster") : null;
        if (poster != null) {
            picture(attributeText(e.attr("aria-label")), poster, title(e));
        }
        if (src == null || e.selectFirst("a[href]") != null) {
            return;
        }
        text(" ");
        Open link = openInline(e, Inline.LINK);
        if (link != null) {
            link.href = src;
            link.label = fileName(src);
        }
    }

    /** The last path segment of a URL, decoded where it can be; the URL itself when none. */
    private static String fileName(String url) {
        String path = url;
        int end = path.length();
        for (char c : new char[] {'?', '#'}) {
            int at = path.indexOf(c);
            if (at >= 0) {
                end = Math.min(end, at);
            }
        }
        path = path.substring(0, end);
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.isEmpty()) {
            return url;
        }
        try {
            return URLDecoder.decode(name.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return name;
        }
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
            if (!value.isEmpty() && !isDataUri(value)) {
                return url(img, attr);
            }
        }
        String src = img.attr("src").strip();
        if (src.isEmpty() || isDataUri(src)) {
            List<Element> sources = new ArrayList<>(List.of(img));
            if (img.parent() != null && img.parent().normalName().equals("picture")) {
                sources.addAll(img.parent().select("> source")); // <picture><source srcset=…><img>
            }
            for (Element source : sources) {
                for (String attr : List.of("data-srcset", "srcset")) {
                    String best = largestCandidate(source.attr(attr));
                    if (best != null) {
                        return absolute(best);
                    }
                }
            }
        }
        if (src.isEmpty()) {
            return null;
        }
        if (isDataUri(src)) {
            return o.keepDataUris() ? src : pseudoObjectUrl(src);
        }
        return url(img, "src");
    }

    private static boolean isDataUri(String url) {
        return url.regionMatches(true, 0, "data:", 0, 5);
    }

    /**
     * What Jina's reader writes for a {@code data:} image it does not keep: a {@code blob:} URL
     * named by the MD5 of the data URI, short and the same wherever the same image recurs. Jina
     * takes the origin from the page's {@code <base>} when there is one; without (nearly always) it
     * is {@code http://localhost}, which plinth always writes.
     */
    static String pseudoObjectUrl(String dataUri) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("MD5")
                            .digest(dataUri.getBytes(StandardCharsets.UTF_8));
            return "blob:http://localhost/" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has MD5", e);
        }
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
            if (url.isEmpty() || isDataUri(url)) {
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

    /**
     * An absolute URL when the page's base is a web address, else the attribute as written; null
     * when absent. A local file's links stay as its author wrote them: {@code file:/home/me/x.png}
     * means nothing to a reader elsewhere, while a relative link or {@code #anchor} still works
     * beside the file (and {@code plinth read --base URL} resolves them against the site).
     */
    private String url(Element e, String attr) {
        return absolute(e.attr(attr).strip());
    }

    private String absolute(String value) {
        if (value.isEmpty()) {
            return null;
        }
        if (shared.local) {
            return value;
        }
        // jsoup's resolution, against the base found once: asking each element for its base
        // walks up to the root, a cost per link that grows with the page's depth.
        shared.resolver.attr("href", value);
        String absolute = shared.resolver.absUrl("href");
        return absolute.isEmpty() ? value : absolute;
    }

    private static boolean isLocal(String base) {
        return base.regionMatches(true, 0, "file:", 0, 5);
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
        // One pass (a regex with a backtracking run would be quadratic in a long blank run).
        StringBuilder sb = new StringBuilder(value.length());
        int i = 0;
        int n = value.length();
        while (i < n) {
            char c = value.charAt(i);
            if (isCollapsible(c)) {
                boolean newline = false;
                while (i < n && isCollapsible(value.charAt(i))) {
                    newline |= value.charAt(i) == '\n';
                    i++;
                }
                sb.append(newline ? '\n' : ' ');
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString().strip();
    }

    /** Text in stand-in form, as {@link #text} would append it (whitespace as written). */
    private static String literal(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int special = SPECIALS.indexOf(c);
            if (!isStandIn(c)) {
                sb.append(special >= 0 ? (char) (LITERAL + special) : c);
            }
        }
        return sb.toString();
    }

    /** Lines joined by single spaces, whitespace around each break dropped (one pass). */
    private static String joinLines(String s) {
        if (s.indexOf('\n') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\n') {
                sb.append(c);
                continue;
            }
            while (!sb.isEmpty() && Character.isWhitespace(sb.charAt(sb.length() - 1))) {
                sb.setLength(sb.length() - 1);
            }
            while (i + 1 < s.length() && Character.isWhitespace(s.charAt(i + 1))) {
                i++;
            }
            sb.append(' ');
        }
        return sb.toString();
    }

    /** {@code [ ]} or {@code [x]} for a checkbox opening a list item (GFM task list). */
    private void checkbox(Element input) {
        Frame frame = current();
        if (o.gfm()
                && input.attr("type").equalsIgnoreCase("checkbox")
                && frame.kind == FrameKind.ITEM
                && frame.blocks.isEmpty()
                && isBlank(frame.inline)) {
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
    private static final char DEL_OPEN = '\uE015';
    private static final char DEL_CLOSE = '\uE016';

    /** Each closer is its opener plus one. */
    private static boolean isOpener(char c) {
        return c == EM_OPEN || c == STRONG_OPEN || c == DEL_OPEN;
    }

    private static boolean isCloser(char c) {
        return c == EM_CLOSE || c == STRONG_CLOSE || c == DEL_CLOSE;
    }

    /** Whether emphasis content holds a letter, a digit or a code span: worth its markup. */
    private static boolean hasWordsOrCode(String run, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = run.charAt(i);
            if (c == '`' || Character.isLetterOrDigit(c)) {
                return true;
            }
        }
        return false;
    }

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
            // "<b>Game D</b><b>ay</b>": one span, not "**Game D****ay**" (nor "~~A~~~~B~~").
            char c = run.charAt(i);
            char next = run.charAt(i + 1);
            if (isCloser(c) && next == c - 1) {
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
            if (c == EM_OPEN || c == STRONG_OPEN || c == DEL_OPEN) {
                opens.push(i);
            } else if (isCloser(c) && !opens.isEmpty()) {
                int j = opens.pop();
                String chosen =
                        switch (c) {
                            case EM_CLOSE -> o.emDelimiter();
                            case STRONG_CLOSE -> o.strongDelimiter();
                            default -> o.strikethroughDelimiter();
                        };
                char before = meaning(run, j - 1);
                char after = meaning(run, i + 1);
                // _ does not work inside a word (CommonMark §6.2, rules 2 and 7): use * there.
                if (chosen.startsWith("_") && (isWordChar(before) || isWordChar(after))) {
                    chosen = c == EM_CLOSE ? "*" : "**";
                }
                // Emphasis must open left-flanking and close right-flanking (GFM strikethrough
                // too): "Search<em>→</em>" or "<b>\"</b>The" cannot be written, so they are
                // written as plain text; words or code that cannot be ("foo<b><code>x</code></b>
                // bar") keep their emphasis as the inline HTML CommonMark passes through.
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
                if (leftFlanking && rightFlanking) {
                    delimiter[j] = chosen;
                    delimiter[i] = chosen;
                } else if (hasWordsOrCode(run, j + 1, i)) {
                    String tag =
                            switch (c) {
                                case EM_CLOSE -> "em";
                                case STRONG_CLOSE -> "strong";
                                default -> "del";
                            };
                    delimiter[j] = "<" + tag + ">";
                    delimiter[i] = "</" + tag + ">";
                } else {
                    delimiter[j] = "";
                    delimiter[i] = "";
                }
            }
        }
        StringBuilder resolved = new StringBuilder(n + 16);
        BitSet literal = new BitSet();
        for (int i = 0; i < n; i++) {
            char c = run.charAt(i);
            if (c >= LITERAL && c < LITERAL + SPECIALS.length()) {
                literal.set(resolved.length());
                resolved.append(SPECIALS.charAt(c - LITERAL));
            } else if (isOpener(c) || isCloser(c)) {
                if (delimiter[i] != null) {
                    resolved.append(delimiter[i]);
                }
            } else {
                resolved.append(c);
            }
        }
        char[] ch = resolved.toString().toCharArray();
        int len = ch.length;

        // 2. Delimiter runs: a literal * _ ~ touching a delimiter of ours is escaped (else
        // "<s>~~A</s>" would be one run of four tildes); a run all literal is escaped only if it
        // could open emphasis with a run after it that could close, or close one opened before it
        // (CommonMark §6.2). "5 * 3", "file_" or a lone "*Price" therefore stay as written.
        boolean[] escape = new boolean[len];
        List<int[]> runs = new ArrayList<>(); // {start, end, can open, can close}
        for (int i = 0; i < len; i++) {
            char c = ch[i];
            if (c == '*' || c == '_' || c == '~') {
                int j = i;
                int literals = 0;
                while (j < len && ch[j] == c) {
                    literals += literal.get(j) ? 1 : 0;
                    j++;
                }
                if (literals > 0 && literals < j - i) {
                    // Our delimiters in the run still pair with literal runs elsewhere: each
                    // stretch of them is a run whose escaped neighbours read as punctuation.
                    for (int k = i; k < j; k++) {
                        escape[k] = literal.get(k);
                        if (!escape[k] && (k == i || escape[k - 1])) {
                            int end = k;
                            while (end < j && !literal.get(end)) {
                                end++;
                            }
                            char before = k > i ? '\\' : k > 0 ? ch[k - 1] : '\n';
                            char after = end < j ? '\\' : end < len ? ch[end] : '\n';
                            int flags = delimiting(c, end - k, before, after);
                            runs.add(new int[] {k, end, flags & OPENS, flags & CLOSES});
                        }
                    }
                } else {
                    int flags =
                            delimiting(c, j - i, i > 0 ? ch[i - 1] : '\n', j < len ? ch[j] : '\n');
                    runs.add(new int[] {i, j, flags & OPENS, flags & CLOSES});
                }
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
        if ((first == '*' || first == '_' || first == '~' || first == '`') && !literal.get(s)) {
            // Our own emphasis delimiter, or a code span: a span opening with ``` is no fence,
            // since its closing backticks put a backtick in the info string (CommonMark §4.5).
            return -1;
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
            Pattern.compile("\\|?[ \t]*+:?-++:?[ \t]*+(?:\\|[ \t]*+:?-++:?[ \t]*+)*+\\|?[ \t]*+");

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

    private static boolean isBlank(CharSequence s) {
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
