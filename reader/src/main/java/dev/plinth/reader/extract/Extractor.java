package dev.plinth.reader.extract;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeFilter;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;

/**
 * Finds a page's main content: the article, post or documentation body without the site around it.
 *
 * <h2>Notes</h2>
 *
 * The shape follows Mozilla's <em>Readability.js</em> (the "arc90" algorithm): paragraphs vote for
 * the containers around them, with a weight that grows with their length and comma count, decaying
 * with distance; a container's score is then discounted by its link density, the best one wins and
 * its siblings that look like more of the same are joined to it. From <em>trafilatura</em>
 * (Barbaresi, ACL 2021) come the things that make the difference on real pages: boilerplate is
 * removed <em>before</em> scoring (navigation, headers and footers, share bars, cookie banners,
 * related-article lists, comments, hidden elements, forms, ads), link-heavy blocks are pruned
 * <em>inside</em> the winner, known article-body containers ({@code itemprop=articleBody}, {@code
 * article-body}) are trusted, and a cascade of fallbacks applies when the result is too short: the
 * JSON-LD {@code articleBody}, {@code <article>}, {@code <main>}, and finally the densest block of
 * text.
 *
 * <p>Where it differs from both:
 *
 * <ul>
 *   <li>Class and id hints are matched as <b>whole words</b>: a class is split into words on {@code
 *       -}, {@code _}, spaces, digits and camelCase, so {@code header-ad} says "ad" while {@code
 *       reader}, {@code thread} and {@code shadow} say nothing about ads or headers. A run-together
 *       name ({@code relatedposts}, {@code sharebox}) is split into known words only when the whole
 *       name splits.
 *   <li>Structure is protected: code blocks and data tables are never dropped for being short or
 *       for lacking commas, since a two-line shell command is often the point of a page.
 *   <li>Siblings sandwiched between joined siblings (a list or a subheading between two paragraphs
 *       of the article) are joined too, so split article bodies come out whole.
 *   <li>A block made only of links is navigation when the links stay on the page's own site ("Read
 *       more", related stories) and the writer's references when they leave it (sources, shop
 *       links), so only the former is dropped.
 *   <li>Cards nested in the article ({@code <article>} inside {@code <article>}: related posts,
 *       teasers) are dropped; captions marked only by a class become {@code <figcaption>}, which
 *       the Markdown writer keeps and {@link PlainText} leaves out with the image it describes.
 * </ul>
 *
 * <p>The flow, top to bottom in this file: {@link #extract} → {@link #removeBoilerplate} → {@link
 * #score} → {@link #pickCandidate} → {@link #joinSiblings} → {@link #cleanContent} → {@link
 * #fallback}. Helpers (word hints, text statistics) come last.
 *
 * @see <a href="https://github.com/mozilla/readability">Readability.js</a>
 * @see <a href="https://aclanthology.org/2021.acl-demo.15/">trafilatura (Barbaresi, 2021)</a>
 */
public final class Extractor {

    /** The main content (a detached element tree) and the page's metadata. */
    public record Extraction(Element content, Metadata metadata) {}

    /**
     * Below this many characters of text an extraction is "too short" and the fallbacks are tried.
     */
    private static final int MIN_TEXT = 250;

    /** A paragraph shorter than this casts no vote. */
    private static final int MIN_PARAGRAPH = 25;

    // One extraction's state: an Extractor is made per call and never shared.

    /** The page's own host, to tell navigation (links here) from references (links elsewhere). */
    private String site = "";

    /** The body as it was before anything was removed, for the fallbacks. */
    private Element original;

    /**
     * Text length (white-space runs counted once) and link-text length of every element of a
     * subtree, measured in one walk and remembered until the tree changes (see {@link #forget}).
     */
    private final Map<Element, double[]> measured = new IdentityHashMap<>();

    private Extractor() {}

    /**
     * Extracts the main content of {@code doc}; never throws on messy HTML and never returns null
     * content.
     */
    public static Extraction extract(Document doc) {
        MetadataReader.Found found = MetadataReader.read(doc);
        Extractor run = new Extractor();
        Element content;
        try {
            content = run.mainContent(doc, found);
        } catch (RuntimeException | StackOverflowError e) {
            // A bug or pathological markup must still yield something: the page's text as it was.
            Element source = run.original != null ? run.original : doc.body();
            content = new Element("div");
            content.appendElement("p").text(source == null ? "" : source.text());
        }
        return new Extraction(content, found.metadata());
    }

    /** The page's metadata alone. */
    public static Metadata metadata(Document doc) {
        return MetadataReader.read(doc).metadata();
    }

    // ------------------------------------------------------------------------------------------------
    // 1. The main flow
    // ------------------------------------------------------------------------------------------------

    private Element mainContent(Document doc, MetadataReader.Found found) {
        Element body = doc.body();
        if (body == null) {
            return new Element("div");
        }
        site = host(doc.location());
        original = body.clone();

        removeBoilerplate(body, true);
        Element content = extractFrom(body, found.metadata().title(), true);
        int length = textLength(content);
        if (length >= MIN_TEXT && !muchShorterThan(length, found.articleBody())) {
            return content;
        }
        return fallback(content, found);
    }

    /** Scores what is left of {@code body} and gathers the winner with its siblings, cleaned. */
    private Element extractFrom(Element body, String title, boolean useHints) {
        forget();
        Map<Element, Double> scores = score(body, useHints);
        Element top = pickCandidate(body, scores);
        Element content = joinSiblings(top, scores);
        cleanContent(content, title, useHints);
        return content;
    }

    // ------------------------------------------------------------------------------------------------
    // 2. Boilerplate removal, before anything is scored
    // ------------------------------------------------------------------------------------------------

    /** Elements that never carry readable content. */
    private static final Set<String> NEVER_CONTENT =
            Set.of(
                    "script",
                    "style",
                    "noscript",
                    "template",
                    "link",
                    "meta",
                    "iframe",
                    "object",
                    "embed",
                    "applet",
                    "svg",
                    "canvas",
                    "map",
                    "input",
                    "button",
                    "select",
                    "textarea",
                    "option",
                    "optgroup",
                    "datalist",
                    "dialog",
                    "menu",
                    "menuitem",
                    "frame",
                    "frameset",
                    "head",
                    "title",
                    "audio",
                    "video",
                    "source",
                    "track",
                    "label",
                    "output",
                    "progress",
                    "meter");

    /** Page furniture by tag: removed unless it holds a substantial amount of non-link text. */
    private static final Set<String> FURNITURE =
            Set.of("nav", "header", "footer", "aside", "form", "fieldset");

    /** ARIA landmarks that are never the main content. */
    private static final Set<String> FURNITURE_ROLES =
            Set.of(
                    "navigation",
                    "banner",
                    "contentinfo",
                    "complementary",
                    "dialog",
                    "alertdialog",
                    "menu",
                    "menubar",
                    "search",
                    "toolbar",
                    "tablist",
                    "alert",
                    "status",
                    "marquee",
                    "timer",
                    "tooltip");

    /** Whole class names that mean "not shown". */
    private static final Set<String> HIDDEN_CLASSES =
            Set.of(
                    "hidden",
                    "hide",
                    "invisible",
                    "sr-only",
                    "screen-reader-text",
                    "screen-reader-only",
                    "visually-hidden",
                    "visuallyhidden",
                    "element-invisible",
                    "offscreen",
                    "d-none",
                    "is-hidden",
                    "u-hidden",
                    "a11y-hidden");

    private static final Pattern HIDDEN_STYLE =
            Pattern.compile("(?i)(?:^|;)\\s*(?:display\\s*:\\s*none|visibility\\s*:\\s*hidden)");

    /**
     * Removes what is never main content: non-content tags, hidden elements, page furniture, and
     * elements whose class or id words mark them as boilerplate. Walks top-down so a removed
     * subtree is never looked at again.
     */
    private void removeBoilerplate(Element root, boolean useHints) {
        int pageText = textLength(root);
        Deque<Element> stack = new ArrayDeque<>();
        stack.push(root);
        while (!stack.isEmpty()) {
            Element e = stack.pop();
            for (Element child : new ArrayList<>(e.children())) {
                if (child.normalName().equals("noscript") && unwrapImage(child)) {
                    continue;
                }
                if (isBoilerplate(child, pageText, useHints)) {
                    child.remove();
                } else {
                    stack.push(child);
                }
            }
        }
    }

    /**
     * Markup that is content despite its tag: MathJax 2 keeps each formula's TeX in a {@code
     * <script type="math/tex">}, and a task list's state is its items' checkboxes.
     */
    private static boolean isContentMarkup(Element e) {
        return switch (e.normalName()) {
            case "script" -> e.attr("type").toLowerCase(Locale.ROOT).startsWith("math/tex");
            case "input" -> e.attr("type").equalsIgnoreCase("checkbox") && e.closest("li") != null;
            default -> false;
        };
    }

    /**
     * Lazy-loading pages put the real image in a {@code <noscript>} beside a placeholder: the real
     * one replaces the placeholder. Returns whether {@code noscript} held just an image.
     */
    private static boolean unwrapImage(Element noscript) {
        if (noscript.childrenSize() != 1
                || !noscript.child(0).normalName().equals("img")
                || !noscript.ownText().isBlank()) {
            return false;
        }
        Element image = noscript.child(0);
        Element before = noscript.previousElementSibling();
        if (before != null && before.normalName().equals("img")) {
            String src = before.attr("src");
            if (src.isEmpty() || src.startsWith("data:")) {
                before.remove();
            }
        }
        noscript.replaceWith(image);
        return true;
    }

    private boolean isBoilerplate(Element e, int pageText, boolean useHints) {
        String tag = e.normalName();
        if (NEVER_CONTENT.contains(tag)) {
            return !isContentMarkup(e);
        }
        if (isHidden(e)) {
            // Pages that hide themselves until a script runs (against a flash of unstyled content,
            // or
            // behind a modal) still have their article inside: a hidden block holding most of the
            // page's prose is not boilerplate.
            return textLength(e) < pageText / 2 || !hasProse(e);
        }
        if (tag.equals("body") || tag.equals("main") || tag.equals("article") || isArticleBody(e)) {
            return false;
        }
        if (FURNITURE.contains(tag)
                || FURNITURE_ROLES.contains(e.attr("role").toLowerCase(Locale.ROOT))) {
            return !isSubstantial(e);
        }
        if (!useHints) {
            return false;
        }
        Words words = Words.of(e);
        if (!words.boilerplate()) {
            return false;
        }
        // Hints can be wrong about a wrapper (`<div class="page has-sidebar">`); never drop the
        // article itself.
        if (containsArticleMarker(e)) {
            return false;
        }
        int text = textLength(e);
        return text < pageText / 2 || linkDensity(e) > 0.5;
    }

    private boolean isHidden(Element e) {
        if (e.hasAttr("hidden")
                || "true".equalsIgnoreCase(e.attr("aria-hidden"))
                        && !e.normalName().equals("body")) {
            return true;
        }
        if (e.hasAttr("style") && HIDDEN_STYLE.matcher(e.attr("style")).find()) {
            return true;
        }
        for (String name : e.classNames()) {
            if (HIDDEN_CLASSES.contains(name.toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return Words.of(e).any(Words.POPUP);
    }

    /**
     * Furniture tags sometimes wrap the article itself (ASP.NET wraps whole pages in a {@code
     * <form>}); those hold an article marker or several paragraphs of prose.
     */
    private boolean isSubstantial(Element e) {
        return containsArticleMarker(e) || hasProse(e);
    }

    /**
     * Several paragraphs of real prose: at least 500 characters in paragraphs of 80 or more, few
     * links.
     */
    private boolean hasProse(Element e) {
        int prose = 0;
        for (Element p : e.select("p")) {
            int length = textLength(p);
            if (length >= 80 && linkDensity(p) < 0.3) {
                prose += length;
            }
        }
        return prose >= 500;
    }

    private boolean isArticleBody(Element e) {
        return e.attr("itemprop").toLowerCase(Locale.ROOT).contains("articlebody");
    }

    private boolean containsArticleMarker(Element e) {
        return !e.select("article, main, [itemprop~=(?i)articleBody]").isEmpty();
    }

    // ------------------------------------------------------------------------------------------------
    // 3. Scoring: paragraphs vote for their ancestors
    // ------------------------------------------------------------------------------------------------

    /** Tags whose own text is a paragraph. */
    private static final Set<String> PARAGRAPHS =
            Set.of("p", "pre", "td", "blockquote", "h2", "h3", "h4", "h5", "h6");

    /**
     * Tags that make a {@code <div>} a container rather than a paragraph (Readability's DIV_TO_P
     * rule).
     */
    private static final Set<String> BLOCK_CHILDREN =
            Set.of(
                    "a",
                    "blockquote",
                    "dl",
                    "div",
                    "img",
                    "ol",
                    "p",
                    "pre",
                    "table",
                    "ul",
                    "section",
                    "article",
                    "figure",
                    "h1",
                    "h2",
                    "h3",
                    "h4",
                    "h5",
                    "h6",
                    "header",
                    "footer",
                    "aside",
                    "nav",
                    "main",
                    "form",
                    "li");

    private static final Set<String> INLINE =
            Set.of(
                    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font",
                    "i", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong",
                    "sub", "sup", "time", "tt", "u", "var", "wbr", "br", "del", "ins");

    /**
     * Every text block of at least {@link #MIN_PARAGRAPH} characters gives {@code 1 + commas +
     * min(length / 100, 3)} points to its container, half to the container's parent and a third
     * divided by the level to the ancestors above (five levels in all). A container's starting
     * score comes from its tag and its class/id words; its final score is discounted by its link
     * density.
     */
    private Map<Element, Double> score(Element body, boolean useHints) {
        Map<Element, Double> scores = new IdentityHashMap<>();
        measure(body);
        for (Element e : body.getAllElements()) {
            String tag = e.normalName();
            Element container;
            String text;
            if (PARAGRAPHS.contains(tag) || isDivParagraph(e)) {
                container = e.parent();
                text = e.text();
            } else if (!INLINE.contains(tag)) {
                container = e;
                text = ownInlineText(e);
            } else {
                continue;
            }
            if (container == null || text.length() < MIN_PARAGRAPH) {
                continue;
            }
            double points = 1 + commas(text) + Math.min(text.length() / 100, 3);
            Element ancestor = container;
            for (int level = 0;
                    level < 5 && ancestor != null && ancestor.parent() != null;
                    level++) {
                double share = level == 0 ? points : level == 1 ? points / 2 : points / (level * 3);
                double base = scores.containsKey(ancestor) ? 0 : initialScore(ancestor, useHints);
                scores.merge(ancestor, base + share, Double::sum);
                ancestor = ancestor.parent();
            }
        }
        for (Map.Entry<Element, Double> entry : scores.entrySet()) {
            entry.setValue(entry.getValue() * (1 - linkDensity(entry.getKey())));
        }
        return scores;
    }

    /** A {@code <div>} (or section) with no block children reads as a paragraph. */
    private boolean isDivParagraph(Element e) {
        String tag = e.normalName();
        if (!tag.equals("div") && !tag.equals("section")) {
            return false;
        }
        for (Element child : e.children()) {
            if (BLOCK_CHILDREN.contains(child.normalName())
                    && !(child.normalName().equals("a") && isInlineLink(child))) {
                return false;
            }
        }
        return true;
    }

    private boolean isInlineLink(Element a) {
        return a.childrenSize() == 0 || a.select("div, p, img, ul, h1, h2, h3, h4").isEmpty();
    }

    /**
     * Text of the direct text nodes and inline children: what a browser would show as an anonymous
     * paragraph.
     */
    private String ownInlineText(Element e) {
        StringBuilder sb = new StringBuilder();
        for (Node child : e.childNodes()) {
            if (child instanceof TextNode t) {
                sb.append(t.text());
            } else if (child instanceof Element c && INLINE.contains(c.normalName())) {
                sb.append(c.text());
            }
        }
        return sb.toString().strip();
    }

    private double initialScore(Element e, boolean useHints) {
        double score =
                switch (e.normalName()) {
                    case "div", "article", "main" -> 5;
                    case "pre", "td", "blockquote" -> 3;
                    case "address", "ol", "ul", "dl", "dd", "dt", "li", "form" -> -3;
                    case "h1", "h2", "h3", "h4", "h5", "h6", "th" -> -5;
                    default -> 0;
                };
        if (isArticleBody(e)) {
            score += 50;
        }
        return useHints ? score + Words.of(e).weight() : score;
    }

    // ------------------------------------------------------------------------------------------------
    // 4. The winner, and its siblings
    // ------------------------------------------------------------------------------------------------

    /**
     * The best-scoring container, moved up when several near-best candidates share an ancestor (the
     * article is split over sibling blocks) or when its parent scores at least as well.
     */
    private Element pickCandidate(Element body, Map<Element, Double> scores) {
        if (scores.isEmpty()) {
            return body;
        }
        List<Element> ranked = new ArrayList<>(scores.keySet());
        ranked.sort(Comparator.comparingDouble((Element e) -> scores.get(e)).reversed());
        Element top = ranked.getFirst();
        double topScore = scores.get(top);

        // Readability: if three of the next four candidates within 75% of the best share an
        // ancestor, use it.
        List<Element> close = new ArrayList<>();
        for (Element e : ranked.subList(1, Math.min(5, ranked.size()))) {
            if (scores.get(e) / topScore >= 0.75) {
                close.add(e);
            }
        }
        if (close.size() >= 3) {
            for (Element parent = top.parent();
                    parent != null && parent != body;
                    parent = parent.parent()) {
                int sharing = 0;
                for (Element e : close) {
                    if (isAncestor(parent, e)) {
                        sharing++;
                    }
                }
                if (sharing >= 3) {
                    top = parent;
                    break;
                }
            }
        }

        // Climb while the parent is scored about as well: the article's real container holds more
        // of it.
        double last = scores.getOrDefault(top, 0.0);
        double threshold = last / 3;
        for (Element parent = top.parent();
                parent != null && parent != body;
                parent = parent.parent()) {
            Double parentScore = scores.get(parent);
            if (parentScore == null) {
                continue;
            }
            if (parentScore < threshold) {
                break;
            }
            if (parentScore > last) {
                top = parent;
                break;
            }
            last = parentScore;
        }
        while (top.parent() != null && top.parent() != body && top.parent().childrenSize() == 1) {
            top = top.parent();
        }
        return top;
    }

    /**
     * A new container holding the winner and those siblings that look like more of the article: a
     * good score of their own, a long paragraph with few links, a short one that ends a sentence,
     * or anything textual sandwiched between two joined siblings.
     */
    private Element joinSiblings(Element top, Map<Element, Double> scores) {
        Element content = new Element("div");
        Element parent = top.parent();
        if (parent == null || top.normalName().equals("body")) {
            for (Node child : new ArrayList<>(top.childNodes())) {
                content.appendChild(child);
            }
            return content;
        }
        double topScore = scores.getOrDefault(top, 0.0);
        double threshold = Math.max(10, topScore * 0.2);
        List<Element> siblings = new ArrayList<>(parent.children());
        boolean[] joined = new boolean[siblings.size()];
        for (int i = 0; i < siblings.size(); i++) {
            Element s = siblings.get(i);
            if (s == top) {
                joined[i] = true;
                continue;
            }
            double bonus =
                    !top.className().isEmpty() && s.className().equals(top.className())
                            ? topScore * 0.2
                            : 0;
            Double score = scores.get(s);
            if (score != null && score + bonus >= threshold) {
                joined[i] = true;
            } else if (s.normalName().equals("p")) {
                int length = textLength(s);
                double links = linkDensity(s);
                joined[i] =
                        length > 80 && links < 0.25
                                || length > 0
                                        && length <= 80
                                        && links == 0
                                        && SENTENCE_END.matcher(s.text()).find();
            }
        }
        int first = -1, last = -1;
        for (int i = 0; i < joined.length; i++) {
            if (joined[i]) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        for (int i = Math.max(first, 0); i <= last; i++) {
            Element s = siblings.get(i);
            if (joined[i] || linkDensity(s) < 0.3 && !Words.of(s).boilerplate()) {
                content.appendChild(s);
            }
        }
        return content;
    }

    private static final Pattern SENTENCE_END = Pattern.compile("[.!?。！？]\\s*[\"”’»)]?\\s*$");

    // ------------------------------------------------------------------------------------------------
    // 5. Cleaning inside the winner
    // ------------------------------------------------------------------------------------------------

    /** Blocks judged on their own inside the content: Readability's "clean conditionally" set. */
    private static final Set<String> JUDGED =
            Set.of("div", "section", "ul", "ol", "table", "form", "fieldset", "aside", "dl");

    /**
     * Prunes what slipped through: link lists, share bars and "related" boxes, blocks that are
     * mostly images or inputs, bylines and date lines, the title repeated as a heading, and empty
     * blocks. Code blocks and data tables are never judged.
     */
    private void cleanContent(Element content, String title, boolean useHints) {
        Deque<Element> stack = new ArrayDeque<>();
        stack.push(content);
        while (!stack.isEmpty()) {
            Element e = stack.pop();
            for (Element child : new ArrayList<>(e.children())) {
                if (isClutter(child, useHints)) {
                    child.remove();
                } else {
                    stack.push(child);
                }
            }
        }
        markCaptions(content);
        removeTitleHeading(content, title);
        removeTeasers(content);
        removeRepeatedCaptions(content);
        for (Element e : content.select("p, div, section, span, li, h1, h2, h3, h4, h5, h6")) {
            if (e.childrenSize() == 0 && e.text().isBlank() && e.parent() != null) {
                e.remove();
            }
        }
        trimEdges(content);
    }

    /** Leaf blocks: the lines a reader sees, for trimming the content's edges. */
    private static final String LEAF_BLOCKS =
            "p, h1, h2, h3, h4, h5, h6, li, dt, dd, div, section, blockquote, pre, table";

    private static final Pattern YEAR = Pattern.compile("(?<!\\d)(?:19|20)\\d\\d(?!\\d)");

    /**
     * Trims what is left dangling at the edges once boilerplate is gone: date and byline lines
     * before the first paragraph (short, no sentence, a year or a {@code <time>} in them), and at
     * the end a heading with nothing under it, a lead-in ending in a colon whose list was removed,
     * or a short fragment that is not a sentence ("Related", "3 comments").
     */
    private void trimEdges(Element content) {
        for (int i = 0; i < 3; i++) {
            Element first = edgeBlock(content, true);
            if (first == null) {
                break;
            }
            String text = first.text().strip();
            boolean dateLine =
                    text.length() < 100
                            && !SENTENCE_END.matcher(text).find()
                            && (YEAR.matcher(text).find() || first.selectFirst("time") != null);
            if (!dateLine) {
                break;
            }
            first.remove();
        }
        for (int i = 0; i < 3; i++) {
            Element last = edgeBlock(content, false);
            if (last == null) {
                break;
            }
            String text = last.text().strip();
            boolean orphan =
                    last.normalName().matches("h[1-6]")
                            || text.length() < 80 && text.endsWith(":")
                            || text.length() < 40
                                    && !SENTENCE_END.matcher(text).find()
                                    && !text.matches(".*\\d.*");
            if (!orphan) {
                break;
            }
            last.remove();
        }
    }

    /**
     * The first or last leaf block with text (one with no block inside it), or null when there is
     * none or it is code or a data table, which are never trimmed.
     */
    private Element edgeBlock(Element content, boolean first) {
        List<Element> blocks = content.select(LEAF_BLOCKS);
        blocks.remove(content);
        Element found = null;
        for (int i = 0; i < blocks.size(); i++) {
            int at = first ? i : blocks.size() - 1 - i;
            Element e = blocks.get(at);
            // In document order a block's inner blocks follow it: a leaf is not followed by its own
            // child.
            boolean leaf = at + 1 >= blocks.size() || !isAncestor(e, blocks.get(at + 1));
            if (leaf && !e.text().isBlank()) {
                found = e;
                break;
            }
        }
        return found == null || found.normalName().equals("pre") || isProtected(found)
                ? null
                : found;
    }

    private boolean isClutter(Element e, boolean useHints) {
        String tag = e.normalName();
        Words words = Words.of(e);
        int length = textLength(e);
        boolean marked =
                useHints
                                && (words.boilerplate() && length < 500 + 5 * MIN_PARAGRAPH
                                        || words.byline() && length < 200)
                        || isByline(e) && length < 200;
        if (marked) {
            return !isProtected(e);
        }
        if (tag.equals("p") || tag.startsWith("h") && tag.length() == 2) {
            // A paragraph that is only links to this site ("Read more: …") is navigation; links
            // elsewhere
            // ("Get it on Amazon", a source) are the writer's.
            return length > 0 && linkDensity(e) > 0.8 && length < 200 && linksMostlyInternal(e);
        }
        if (!JUDGED.contains(tag) || isWrapper(e) || isProtected(e)) {
            return false;
        }
        String text = e.text();
        if (commas(text) >= 10) {
            return false;
        }
        int weight = useHints ? words.weight() : 0;
        if (weight < 0) {
            return true;
        }
        int paragraphs = e.select("p").size();
        int images = e.select("img").size();
        int items = e.select("li").size() - 100;
        // Task-list checkboxes are content (isContentMarkup), not a form.
        int inputs =
                e.select("input, select, textarea, button").size()
                        - e.select("li input[type=checkbox]").size();
        double links = linkDensity(e);
        boolean list = tag.equals("ul") || tag.equals("ol") || tag.equals("dl");
        if (list && links > 0.5 && length < 1000 && linksMostlyInternal(e)) {
            return true;
        }
        return images > 1 && paragraphs < images / 2.0 && length < 200 && !hasAncestor(e, "figure")
                || !list && items > paragraphs
                || inputs > paragraphs / 3
                || !list
                        && length < MIN_PARAGRAPH
                        && (images == 0 || images > 2)
                        && !hasAncestor(e, "figure")
                        && e.select("h1, h2, h3, h4, h5, h6").isEmpty()
                || !list && weight < 25 && links > 0.3 && length < 2000
                || weight >= 25 && links > 0.5;
    }

    /** Whether most of the link text inside {@code e} points at the page's own site. */
    private boolean linksMostlyInternal(Element e) {
        int internal = 0, external = 0;
        for (Element a : e.select("a[href]")) {
            String host = host(a.attr("href"));
            int length = a.text().length();
            if (host.isEmpty()
                    || host.equals(site)
                    || host.endsWith("." + site)
                    || site.endsWith("." + host)) {
                internal += length;
            } else {
                external += length;
            }
        }
        return internal >= external;
    }

    /** The host of an absolute URL without a leading {@code www.}, or "" for a relative one. */
    private static String host(String url) {
        int start = url.indexOf("://");
        if (start < 0) {
            return "";
        }
        start += 3;
        int end = start;
        while (end < url.length() && "/?#:".indexOf(url.charAt(end)) < 0) {
            end++;
        }
        String host = url.substring(start, end).toLowerCase(Locale.ROOT);
        return host.startsWith("www.") ? host.substring(4) : host;
    }

    /**
     * A lone wrapper around one judged block is judged through that block (and deep nesting stays
     * linear).
     */
    private static boolean isWrapper(Element e) {
        if (e.childrenSize() != 1 || !JUDGED.contains(e.child(0).normalName())) {
            return false;
        }
        for (Node child : e.childNodes()) {
            if (child instanceof TextNode t && !t.isBlank()) {
                return false;
            }
        }
        return true;
    }

    /** Code, preformatted text, maths and data tables are content however short they are. */
    private boolean isProtected(Element e) {
        String tag = e.normalName();
        if (tag.equals("pre")
                || tag.equals("code")
                || tag.equals("math")
                || tag.equals("figure") && !e.select("pre, code, img, table").isEmpty()) {
            return true;
        }
        if (tag.equals("table")) {
            return isDataTable(e);
        }
        if (!tag.equals("div") && !tag.equals("section") || Words.of(e).boilerplate()) {
            return false;
        }
        if (!e.select("pre").isEmpty()) {
            return true;
        }
        for (Element table : e.select("table")) {
            if (isDataTable(table)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A table of data rather than layout: one with headers or a caption, or a grid of at least two
     * rows and two columns whose cells hold short inline text (a layout table holds blocks and long
     * text).
     */
    private boolean isDataTable(Element table) {
        if ("presentation".equals(table.attr("role"))
                || "none".equals(table.attr("role"))
                || "0".equals(table.attr("datatable"))) {
            return false;
        }
        if (!table.select("> caption, > thead, th, col, colgroup").isEmpty()
                || table.hasAttr("summary")) {
            return true;
        }
        if (table.getElementsByTag("table").size() > 1) {
            return false; // tables inside tables are layout
        }
        List<Element> rows = table.select("tr");
        int columns = 0;
        for (Element row : rows) {
            columns = Math.max(columns, row.select("> td, > th").size());
        }
        if (rows.size() < 2 || columns < 2) {
            return false;
        }
        for (Element cell : table.select("td")) {
            if (textLength(cell) > 200
                    || !cell.select("div, p, ul, ol, blockquote, h1, h2, h3, h4").isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** Microdata and link relations that mark who wrote the page and when, in any language. */
    private static boolean isByline(Element e) {
        String itemprop = e.attr("itemprop").toLowerCase(Locale.ROOT);
        return "author".equalsIgnoreCase(e.attr("rel"))
                || itemprop.contains("author")
                || itemprop.startsWith("date")
                || itemprop.equals("publisher");
    }

    /**
     * Captions marked only by a class ({@code <div class="caption">}, {@code <span
     * class="photo-credit">}) become {@code <figcaption>}, so every writer treats them alike.
     */
    private void markCaptions(Element content) {
        for (Element e : content.select("div, span, p, small")) {
            if (Words.of(e).any(Words.CAPTION)
                    && textLength(e) < 400
                    && e.select("h1, h2, h3, h4, h5, h6, ul, ol, table, pre").isEmpty()) {
                e.tagName("figcaption");
            }
        }
    }

    /**
     * An {@code <article>} inside the article is a card: a related post, a teaser, a promoted
     * story. Kept only when it holds most of the text (themes that nest the real post in a wrapper
     * article).
     */
    private void removeTeasers(Element content) {
        int total = textLength(content);
        for (Element inner : content.select("article")) {
            if (inner.parent() != null
                    && hasAncestor(inner, "article")
                    && textLength(inner) < total / 3) {
                inner.remove();
            }
        }
    }

    /**
     * A caption repeated inside the content (a gallery showing each slide twice, thumbnails and
     * all) is kept once. Repeated paragraphs stay: recipes and menus legitimately say the same
     * thing twice.
     */
    private void removeRepeatedCaptions(Element content) {
        Set<String> seen = new HashSet<>();
        for (Element caption : content.select("figcaption")) {
            String text = caption.text().strip();
            if (text.length() >= 30 && !seen.add(text)) {
                caption.remove();
            }
        }
    }

    /** The title as the first heading of the content is already the result's title. */
    private void removeTitleHeading(Element content, String title) {
        boolean first = true;
        for (Element h : content.select("h1, h2")) {
            boolean leading = first && h.normalName().equals("h1") && textBefore(content, h) == 0;
            if (leading || title != null && similar(h.text(), title)) {
                h.remove();
            }
            first = false;
        }
    }

    /** Length of the text that comes before {@code target} inside {@code root}. */
    private static int textBefore(Element root, Element target) {
        int[] length = {0};
        NodeTraversor.filter(
                new NodeFilter() {
                    @Override
                    public FilterResult head(Node node, int depth) {
                        if (node == target) {
                            return FilterResult.STOP;
                        }
                        if (node instanceof TextNode t) {
                            length[0] += t.text().strip().length();
                        }
                        return FilterResult.CONTINUE;
                    }
                },
                root);
        return length[0];
    }

    private boolean similar(String a, String b) {
        String x = a.strip().toLowerCase(Locale.ROOT), y = b.strip().toLowerCase(Locale.ROOT);
        return !x.isEmpty() && (x.equals(y) || y.startsWith(x) && x.length() > y.length() * 0.6);
    }

    // ------------------------------------------------------------------------------------------------
    // 6. The fallback cascade
    // ------------------------------------------------------------------------------------------------

    /**
     * When the scored extraction is too short, in order: the page's {@code itemprop=articleBody},
     * {@code <article>}, {@code <main>} or {@code role=main} (cleaned like any content), the
     * JSON-LD {@code articleBody} when it is longer still, then a second scoring pass that ignores
     * class hints (Readability's relaxed retry), and finally all of the page's visible text. A
     * later step replaces an earlier result only when it finds clearly more text.
     */
    private Element fallback(Element scored, MetadataReader.Found found) {
        Element best = scored;
        int bestLength = textLength(scored);
        String title = found.metadata().title();

        for (String selector :
                List.of("[itemprop~=(?i)articleBody]", "article", "main", "[role=main]")) {
            if (original.selectFirst(selector) == null) {
                continue;
            }
            Element copy = original.clone();
            removeBoilerplate(copy, false);
            forget();
            Element biggest =
                    copy.select(selector).stream()
                            .max(Comparator.comparingInt(this::textLength))
                            .orElse(null);
            if (biggest != null) {
                Element content = new Element("div");
                content.appendChild(biggest);
                cleanContent(content, title, true);
                int length = textLength(content);
                if (length > bestLength * 1.2 && length >= MIN_TEXT / 2) {
                    best = content;
                    bestLength = length;
                }
            }
            if (bestLength >= MIN_TEXT) {
                break;
            }
        }

        String articleBody = found.articleBody();
        if (articleBody != null
                && articleBody.length() > bestLength * 1.2
                && articleBody.length() >= MIN_TEXT / 2) {
            best = paragraphs(articleBody);
            bestLength = articleBody.length();
        }
        if (bestLength >= MIN_TEXT) {
            return best;
        }

        Element relaxed = original.clone();
        removeBoilerplate(relaxed, false);
        Element densest = extractFrom(relaxed, title, false);
        if (textLength(densest) > bestLength) {
            return densest;
        }
        if (bestLength > 0) {
            return best;
        }
        // Nothing looks like an article (a page of fragments): all of its visible text beats
        // nothing.
        Element everything = original.clone();
        removeBoilerplate(everything, false);
        Element content = new Element("div");
        for (Node child : new ArrayList<>(everything.childNodes())) {
            content.appendChild(child);
        }
        return content;
    }

    private static final Pattern HTML_TAG =
            Pattern.compile("<(?:p|br|div|a|em|strong|h[1-6]|ul|li)\\b[^>]*>");

    private boolean muchShorterThan(int length, String articleBody) {
        return articleBody != null && articleBody.length() > 2 * length;
    }

    /**
     * The JSON-LD article body as content: its HTML when it is HTML, else its text split into
     * paragraphs on blank lines (or on single newlines when there are none).
     */
    private static Element paragraphs(String text) {
        if (HTML_TAG.matcher(text).find()) {
            Element content = new Element("div");
            for (Node child : new ArrayList<>(Jsoup.parseBodyFragment(text).body().childNodes())) {
                content.appendChild(child);
            }
            return content;
        }
        Element content = new Element("div");
        String[] parts = text.contains("\n\n") ? text.split("\\n\\s*\\n") : text.split("\\n");
        for (String part : parts) {
            if (!part.isBlank()) {
                content.appendElement("p").text(part.strip());
            }
        }
        return content;
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers: class/id words, text statistics
    // ------------------------------------------------------------------------------------------------

    /**
     * The words of an element's class and id, split as whole words: on anything not a letter, on
     * letter/digit boundaries and on camelCase humps, lower-cased.
     */
    record Words(Set<String> words) {

        /** Words that mark page furniture and clutter; whole words only. */
        static final Set<String> NEGATIVE =
                Set.of(
                        "ad",
                        "ads",
                        "adv",
                        "advert",
                        "adverts",
                        "advertisement",
                        "advertising",
                        "advertorial",
                        "sponsor",
                        "sponsored",
                        "promo",
                        "promos",
                        "promotion",
                        "promoted",
                        "banner",
                        "outbrain",
                        "taboola",
                        "dfp",
                        "comment",
                        "comments",
                        "commentlist",
                        "disqus",
                        "discussion",
                        "respond",
                        "replies",
                        "share",
                        "shares",
                        "sharing",
                        "sharebar",
                        "social",
                        "socials",
                        "sociable",
                        "likes",
                        "related",
                        "recommended",
                        "recommendation",
                        "recommendations",
                        "trending",
                        "popular",
                        "more",
                        "newsletter",
                        "newsletters",
                        "subscribe",
                        "subscription",
                        "signup",
                        "cookie",
                        "cookies",
                        "consent",
                        "gdpr",
                        "breadcrumb",
                        "breadcrumbs",
                        "nav",
                        "navbar",
                        "navigation",
                        "menu",
                        "sidebar",
                        "widget",
                        "widgets",
                        "footer",
                        "masthead",
                        "header",
                        "popup",
                        "modal",
                        "overlay",
                        "toolbar",
                        "pagination",
                        "pager",
                        "tags",
                        "tag",
                        "tagcloud",
                        "skip",
                        "login",
                        "signin",
                        "rss",
                        "print",
                        "jump",
                        "shoutbox",
                        "sitemap",
                        "links",
                        "blogroll",
                        "community",
                        "extra",
                        "meta",
                        "byline",
                        "author",
                        "dateline",
                        "copyright",
                        "carousel",
                        "slideshow",
                        "slider");

        /** Words that mark the article itself. */
        static final Set<String> POSITIVE =
                Set.of(
                        "article",
                        "body",
                        "content",
                        "entry",
                        "hentry",
                        "main",
                        "page",
                        "post",
                        "text",
                        "blog",
                        "story",
                        "articlebody",
                        "prose",
                        "column");

        /**
         * Negative words strong enough to outvote a positive word ({@code post-comments}, {@code
         * article-share}).
         */
        static final Set<String> OVERRIDING =
                Set.of(
                        "comment",
                        "comments",
                        "commentlist",
                        "disqus",
                        "share",
                        "sharing",
                        "sharebar",
                        "social",
                        "related",
                        "recommended",
                        "recommendations",
                        "newsletter",
                        "subscribe",
                        "ad",
                        "ads",
                        "advert",
                        "advertisement",
                        "sponsored",
                        "promo",
                        "outbrain",
                        "taboola",
                        "breadcrumb",
                        "breadcrumbs",
                        "tags",
                        "byline",
                        "meta",
                        "nav",
                        "navbar",
                        "navigation",
                        "menu",
                        "sidebar",
                        "footer",
                        "cookie",
                        "cookies",
                        "consent",
                        "popup",
                        "modal");

        static final Set<String> BYLINE =
                Set.of(
                        "byline",
                        "author",
                        "dateline",
                        "date",
                        "timestamp",
                        "published",
                        "time",
                        "posted",
                        "credit",
                        "credits");

        /** Embedded posts and media: content even inside a "social" wrapper. */
        static final Set<String> EMBED = Set.of("embed", "embedded", "tweet", "oembed");

        /** Image captions and credits. */
        static final Set<String> CAPTION =
                Set.of("caption", "figcaption", "credit", "credits", "photocredit");

        /** Hover cards and tooltips: never visible in the flow of the text. */
        static final Set<String> POPUP = Set.of("tooltip", "popover", "hovercard");

        /**
         * Words a run-together class name may be split into: the hint words and common layout
         * words.
         */
        static final Set<String> VOCABULARY = vocabulary();

        private static Set<String> vocabulary() {
            Set<String> words = new HashSet<>();
            for (Set<String> hints : List.of(NEGATIVE, POSITIVE, BYLINE, POPUP, CAPTION, EMBED)) {
                words.addAll(hints);
            }
            words.addAll(
                    Set.of(
                            "title",
                            "box",
                            "wrap",
                            "wrapper",
                            "container",
                            "list",
                            "item",
                            "items",
                            "block",
                            "area",
                            "section",
                            "posts",
                            "articles",
                            "stories",
                            "news",
                            "inner",
                            "outer",
                            "holder",
                            "bar",
                            "buttons",
                            "button",
                            "icons",
                            "icon",
                            "module",
                            "panel",
                            "zone",
                            "slot",
                            "by",
                            "google",
                            "top",
                            "bottom",
                            "side",
                            "left",
                            "right",
                            "read",
                            "also",
                            "you",
                            "may",
                            "might",
                            "like",
                            "likes",
                            "links",
                            "widget",
                            "single",
                            "full",
                            "wide"));
            return Set.copyOf(words);
        }

        static Words of(Element e) {
            String classes = e.className();
            String id = e.id();
            if (classes.isEmpty() && id.isEmpty()) {
                return new Words(Set.of());
            }
            Set<String> words = new HashSet<>();
            split(classes, words);
            split(id, words);
            return new Words(words);
        }

        /**
         * Splits on anything not a letter or digit, on letter/digit boundaries and before camelCase
         * humps.
         */
        private static void split(String s, Set<String> out) {
            int start = -1;
            for (int i = 0; i <= s.length(); i++) {
                char c = i < s.length() ? s.charAt(i) : ' ';
                boolean part = Character.isLetterOrDigit(c);
                boolean boundary =
                        !part
                                || start >= 0
                                        && i > start
                                        && (Character.isUpperCase(c)
                                                        && Character.isLowerCase(s.charAt(i - 1))
                                                || Character.isDigit(c)
                                                        != Character.isDigit(s.charAt(i - 1)));
                if (boundary && start >= 0) {
                    add(s.substring(start, i).toLowerCase(Locale.ROOT), out);
                    start = -1;
                }
                if (part && start < 0) {
                    start = i;
                }
            }
        }

        private static void add(String word, Set<String> out) {
            if (out.add(word) && word.length() >= 5 && !VOCABULARY.contains(word)) {
                segment(word, out);
            }
        }

        /**
         * Splits a run-together class name ({@code relatedposts}, {@code sharebox}) into vocabulary
         * words, but only when the <em>whole</em> name splits, so {@code thread}, {@code reader},
         * {@code shadow} and {@code address} stay single words that mean nothing here.
         */
        private static void segment(String word, Set<String> out) {
            int n = word.length();
            int[] from = new int[n + 1];
            java.util.Arrays.fill(from, -1);
            from[0] = 0;
            for (int end = 2; end <= n; end++) {
                for (int start = Math.max(0, end - 20); start <= end - 2; start++) {
                    if (from[start] >= 0 && VOCABULARY.contains(word.substring(start, end))) {
                        from[end] = start;
                        break;
                    }
                }
            }
            if (from[n] < 0) {
                return;
            }
            for (int end = n; end > 0; end = from[end]) {
                out.add(word.substring(from[end], end));
            }
        }

        boolean any(Set<String> set) {
            for (String w : words) {
                if (set.contains(w)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Marked as boilerplate: a negative word and no positive one, or an overriding negative
         * word.
         */
        boolean boilerplate() {
            return !any(EMBED) && (any(OVERRIDING) || any(NEGATIVE) && !any(POSITIVE));
        }

        boolean byline() {
            return any(BYLINE) && !any(POSITIVE);
        }

        /** Readability's class weight: +25 for a positive word, -25 for a negative one. */
        int weight() {
            int w = 0;
            if (any(POSITIVE)) {
                w += 25;
            }
            if (any(NEGATIVE) && !any(EMBED)) {
                w -= 25;
            }
            return w;
        }
    }

    private double[] measure(Element root) {
        double[] known = measured.get(root);
        if (known != null) {
            return known;
        }
        Deque<double[]> open = new ArrayDeque<>();
        NodeTraversor.traverse(
                new NodeVisitor() {
                    @Override
                    public void head(Node node, int depth) {
                        if (node instanceof Element) {
                            open.push(new double[2]);
                        } else if (node instanceof TextNode t && !open.isEmpty()) {
                            open.peek()[0] += collapsedLength(t.getWholeText());
                        }
                    }

                    @Override
                    public void tail(Node node, int depth) {
                        if (node instanceof Element e) {
                            double[] m = open.pop();
                            if (e.normalName().equals("a")) {
                                String href = e.attr("href");
                                m[1] = m[0] * (href.startsWith("#") && href.length() > 1 ? 0.3 : 1);
                            }
                            measured.put(e, m);
                            if (!open.isEmpty()) {
                                open.peek()[0] += m[0];
                                open.peek()[1] += m[1];
                            }
                        }
                    }
                },
                root);
        return measured.get(root);
    }

    /** Drops remembered measures: called after the tree was pruned. */
    private void forget() {
        measured.clear();
    }

    /** Non-space characters plus one for each run of white space that precedes one. */
    private static int collapsedLength(String s) {
        int length = 0;
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
                space = true;
            } else {
                length += space ? 2 : 1;
                space = false;
            }
        }
        return length;
    }

    /** Length of the element's text with runs of white space counted once. */
    int textLength(Element e) {
        return (int) measure(e)[0];
    }

    /**
     * Share of the element's text that sits inside links; in-page {@code #} links count a third.
     */
    double linkDensity(Element e) {
        double[] m = measure(e);
        return m[0] == 0 ? 0 : Math.min(1, m[1] / m[0]);
    }

    private static final Pattern COMMA = Pattern.compile("[,，、،]");

    static int commas(String text) {
        int n = 0;
        var m = COMMA.matcher(text);
        while (m.find()) {
            n++;
        }
        return n;
    }

    private boolean isAncestor(Element ancestor, Element e) {
        for (Element p = e.parent(); p != null; p = p.parent()) {
            if (p == ancestor) {
                return true;
            }
        }
        return false;
    }

    private boolean hasAncestor(Element e, String tag) {
        for (Element p = e.parent(); p != null; p = p.parent()) {
            if (p.normalName().equals(tag)) {
                return true;
            }
        }
        return false;
    }
}
