package dev.plinth.reader.extract;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
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
 * article-body}) are trusted, and a cascade of fallbacks applies when the result is too short:
 * {@code <article>} or {@code <main>}, the JSON-LD {@code articleBody}, scoring again without class
 * hints, the densest text region, and the page's visible text, so that a page with text never comes
 * out empty. {@link Confidence} says which step produced the result, and how sure it is.
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
 *   <li>Hints describe blocks. A link or span inside a sentence stays whatever its class, a link to
 *       another site goes for its class only by a strong word, a section whose id is its heading's
 *       slug is not hinted by it, and formulas are never boilerplate.
 *   <li>Data beside the text joins it: a specification table or an ingredients list next to the
 *       winning block, introduced by a heading. Old layouts' long table cells are containers.
 *   <li>Asides no class marks are dropped by their words: "read also" lines that link to this site
 *       and advertisement labels, in the languages of the pages read most.
 * </ul>
 *
 * <p>Every stage is linear in the page's size (n log n where candidates are ranked). Two habits
 * keep it so. Whatever a rule asks of a subtree (its text length, link text, commas, how many
 * paragraphs, images or data tables it holds) is measured for all elements at once in one bottom-up
 * walk ({@link Stats}), never by a selector or {@code text()} per element, which costs the
 * subtree's size each time and so the square of the page's size on deeply nested markup. And
 * children are never removed one at a time: jsoup shifts a child list on each removal, so a parent
 * with 800,000 children would be shifted 800,000 times; instead a parent's child list is rebuilt
 * once with the children that stay ({@link #keepOnly}).
 *
 * <p>The flow, top to bottom in this file: {@link #extract} → {@link #removeBoilerplate} → {@link
 * #score} → {@link #pickCandidate} → {@link #joinSiblings} → {@link #cleanContent} → {@link
 * #fallback}. Helpers (word hints, subtree statistics) come last.
 *
 * @see <a href="https://github.com/mozilla/readability">Readability.js</a>
 * @see <a href="https://aclanthology.org/2021.acl-demo.15/">trafilatura (Barbaresi, 2021)</a>
 */
public final class Extractor {

    /**
     * The main content (a detached element tree), the page's metadata, and how sure the extractor
     * is that the content is the page's main content.
     */
    public record Extraction(Element content, Metadata metadata, Confidence confidence) {}

    /**
     * Which step of the cascade produced the content, from the most to the least specific. The
     * later the step, the less the page looked like an article.
     */
    public enum Stage {
        /** Paragraph scoring with class and id hints: the page reads as an article. */
        SCORED,
        /** The biggest {@code itemprop=articleBody}, {@code <article>} or {@code <main>}. */
        MARKUP,
        /** The {@code articleBody} of the page's JSON-LD. */
        STRUCTURED_DATA,
        /** Paragraph scoring again, ignoring class and id hints (Readability's relaxed retry). */
        RELAXED,
        /** The smallest block that holds most of the page's non-link text. */
        DENSEST,
        /** All of the page's visible text, with boilerplate tags removed. */
        BODY,
        /** The page's text as it was: extraction failed on pathological markup. */
        RAW
    }

    /**
     * How sure the extractor is that {@link Extraction#content} is the page's main content, for a
     * caller that may retry a doubtful page another way (with a browser, or a language model).
     *
     * @param score 0 (a guess) to 1 (sure): high for a scored article of some length with few
     *     links, lowered by each fallback step, by a short or link-heavy result, and by keeping
     *     almost none or almost all of a long page's text
     * @param stage the step of the cascade that produced the content
     * @param textLength characters of text in the content (runs of white space counted once)
     * @param pageTextLength characters of text in the page's whole body, counted alike
     * @param kept {@code textLength / pageTextLength}, 0 for a page without text
     * @param linkDensity share of the content's text that is link text, 0 to 1
     */
    public record Confidence(
            double score,
            Stage stage,
            int textLength,
            int pageTextLength,
            double kept,
            double linkDensity) {}

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

    /** Characters of text in the whole body, for the confidence. */
    private int pageText;

    /** The step of the cascade that produced the content. */
    private Stage stage = Stage.SCORED;

    /**
     * What every element of a measured subtree holds, from one walk, remembered until the tree
     * changes (see {@link #forget}).
     */
    private final Map<Element, Stats> measured = new IdentityHashMap<>();

    /** Bumped by {@link #forget}: a measure from an earlier generation is stale. */
    private int generation;

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
            run.stage = Stage.RAW;
        }
        return new Extraction(content, found.metadata(), run.confidence(content));
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
        pageText = textLength(body);

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
            if (!hasChildElements(e)) {
                continue;
            }
            List<Node> kept = new ArrayList<>(e.childNodeSize());
            boolean changed = false;
            for (Node node : e.childNodes()) {
                if (!(node instanceof Element child)) {
                    kept.add(node);
                    continue;
                }
                Element image = child.normalName().equals("noscript") ? loneImage(child) : null;
                if (image != null) {
                    // Lazy-loading pages put the real image in a <noscript> beside a placeholder:
                    // the real one takes the placeholder's place.
                    Element before = lastElement(kept);
                    if (before != null && before.normalName().equals("img")) {
                        String src = before.attr("src");
                        if (src.isEmpty() || src.startsWith("data:")) {
                            kept.remove(kept.lastIndexOf(before));
                        }
                    }
                    kept.add(image);
                    changed = true;
                } else if (isBoilerplate(child, pageText, useHints)) {
                    changed = true;
                } else {
                    if (child.normalName().equals("a") && isScriptLink(child.attr("href"))) {
                        // A javascript: link leads nowhere; what it says is text.
                        child.tagName("span");
                        child.removeAttr("href");
                    }
                    kept.add(child);
                    stack.push(child);
                }
            }
            if (changed) {
                keepOnly(e, kept);
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

    /** The image a {@code <noscript>} holds and nothing else, or null. */
    private static Element loneImage(Element noscript) {
        if (noscript.childrenSize() != 1
                || !noscript.child(0).normalName().equals("img")
                || !noscript.ownText().isBlank()) {
            return null;
        }
        return noscript.child(0);
    }

    private boolean isBoilerplate(Element e, int pageText, boolean useHints) {
        String tag = e.normalName();
        if (NEVER_CONTENT.contains(tag)) {
            return !isContentMarkup(e);
        }
        if (isHidden(e)) {
            // Pages that hide themselves until a script runs (against a flash of unstyled content,
            // or behind a modal) still have their article inside: a hidden block holding most of
            // the page's prose is not boilerplate.
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
        if (!hintedAway(e, words)) {
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

    /**
     * Whether class and id words mark {@code e} as boilerplate. Hints describe blocks: an inline
     * element inside a sentence is part of the sentence whatever its class (a company name linked
     * with {@code class="meta-org"}, a glossary note with {@code class="popup"}), and a link to
     * another site is the writer's reference unless a strong word ({@code ad}, {@code share}) says
     * otherwise ({@code <a class="more">Learn more about X</a>}).
     */
    private boolean hintedAway(Element e, Words words) {
        if (!words.boilerplate()) {
            return false;
        }
        if (!INLINE.contains(e.normalName())) {
            return !isMostlyMath(e);
        }
        if (inRunningText(e)) {
            return false;
        }
        return !e.normalName().equals("a")
                || isInternal(e.attr("href"))
                || words.any(Words.OVERRIDING);
    }

    /** Parents whose children include running text, remembered: each parent is read once. */
    private final Map<Element, Boolean> runningText = new IdentityHashMap<>();

    /** Whether {@code e} sits among text: its parent has words of its own beside it. */
    private boolean inRunningText(Element e) {
        Element parent = e.parent();
        if (parent == null) {
            return false;
        }
        return runningText.computeIfAbsent(
                parent,
                p -> {
                    for (Node child : p.childNodes()) {
                        if (child instanceof TextNode t && !t.isBlank()) {
                            return true;
                        }
                    }
                    return false;
                });
    }

    /**
     * A formula's container: most of its text is MathML. MathJax wraps each formula in elements
     * whose classes say "menu" (its context menu), which never makes a formula boilerplate.
     */
    private boolean isMostlyMath(Element e) {
        Stats s = stats(e);
        return s.mathText > 0 && s.mathText * 2 >= s.text;
    }

    private boolean isHidden(Element e) {
        if (e.attributesSize() == 0) {
            return false;
        }
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
        return stats(e).prose >= 500;
    }

    private static boolean isArticleBody(Element e) {
        if (e.attributesSize() == 0) {
            return false;
        }
        String itemprop = e.attr("itemprop");
        return !itemprop.isEmpty() && itemprop.toLowerCase(Locale.ROOT).contains("articlebody");
    }

    private boolean containsArticleMarker(Element e) {
        return stats(e).markers > 0;
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
        forEachElement(body, e -> vote(e, scores, useHints));
        for (Map.Entry<Element, Double> entry : scores.entrySet()) {
            entry.setValue(entry.getValue() * (1 - linkDensity(entry.getKey())));
        }
        return scores;
    }

    /** Casts {@code e}'s vote when it is a paragraph, or holds one of its own. */
    private void vote(Element e, Map<Element, Double> scores, boolean useHints) {
        {
            String tag = e.normalName();
            Element container;
            int length, commas;
            if (PARAGRAPHS.contains(tag) && !isLayoutCell(e) || isDivParagraph(e)) {
                container = e.parent();
                Stats s = stats(e);
                length = s.text;
                commas = s.commas;
            } else if (!INLINE.contains(tag)) {
                // The direct text and inline children: what a browser shows as an anonymous
                // paragraph.
                container = e;
                length = 0;
                commas = 0;
                for (Node child : e.childNodes()) {
                    if (child instanceof TextNode t) {
                        String text = t.getWholeText();
                        length += collapsedLength(text);
                        commas += commas(text);
                    } else if (child instanceof Element c && INLINE.contains(c.normalName())) {
                        Stats s = stats(c);
                        length += s.text;
                        commas += s.commas;
                    }
                }
            } else {
                return;
            }
            if (container == null || length < MIN_PARAGRAPH) {
                return;
            }
            double points = 1 + commas + Math.min(length / 100, 3);
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
    }

    /**
     * A table cell that holds a page's column rather than a value: long text or several blocks. Old
     * layouts put the whole article in one cell, as lines of {@code <font>} and {@code <br>}: that
     * cell is the article's container (it collects its own text's votes), where a data cell is a
     * paragraph voting for its row.
     */
    private boolean isLayoutCell(Element e) {
        if (!e.normalName().equals("td") && !e.normalName().equals("th")) {
            return false;
        }
        Stats s = stats(e);
        return s.text > 200 || s.blocks > 2;
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
        Stats s = stats(a);
        return s.blocks == 0 && s.images == 0;
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
            // Count, for each ancestor of the winner, how many close candidates lie under it: one
            // walk up from each, so the cost is a few times the depth.
            Map<Element, Integer> sharing = new IdentityHashMap<>();
            for (Element e : close) {
                for (Element p = e.parent(); p != null && p != body; p = p.parent()) {
                    sharing.merge(p, 1, Integer::sum);
                }
            }
            for (Element parent = top.parent();
                    parent != null && parent != body;
                    parent = parent.parent()) {
                if (sharing.getOrDefault(parent, 0) >= 3) {
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
        // The page declares its article body: a block inside it (a gallery's captions, a long
        // quote) is part of the article, never all of it.
        for (Element parent = top.parent();
                parent != null && parent != body;
                parent = parent.parent()) {
            if (isArticleBody(parent)) {
                return parent;
            }
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
            moveChildren(top, content);
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
            if (score != null && score + bonus >= threshold || isBesideData(s)) {
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
        List<Node> chosen = new ArrayList<>();
        for (int i = Math.max(first, 0); i <= last; i++) {
            Element s = siblings.get(i);
            if (joined[i] || linkDensity(s) < 0.3 && !Words.of(s).boilerplate()) {
                chosen.add(s);
            }
        }
        // The parent is left behind: detaching all of its children at once is linear, where taking
        // them one by one would shift its child list for each.
        parent.empty();
        content.appendChildren(chosen);
        joinDataBeside(parent, content);
        return content;
    }

    /**
     * Lists and tables one level further out join the content too: a product's specification table
     * and "in the box" list sit beside the block with its description, a recipe's ingredients
     * beside the method. Only data (see {@link #isBesideData}) and never more text than the content
     * has, so that a neighbouring story or listing stays out.
     */
    private void joinDataBeside(Element parent, Element content) {
        Element outer = parent.parent();
        if (outer == null || outer.normalName().equals("body") || outer.parent() == null) {
            return;
        }
        int length = textLength(content);
        List<Node> before = new ArrayList<>(), after = new ArrayList<>(), kept = new ArrayList<>();
        boolean seen = false;
        for (Node node : outer.childNodes()) {
            if (node == parent) {
                seen = true;
            } else if (node instanceof Element e && isBesideData(e) && textLength(e) <= length) {
                (seen ? after : before).add(e);
                continue;
            }
            kept.add(node);
        }
        if (before.isEmpty() && after.isEmpty()) {
            return;
        }
        keepOnly(outer, kept);
        content.insertChildren(0, before);
        content.appendChildren(after);
    }

    /**
     * Structured data that belongs with the text beside it: a data table, or a list of three items
     * or more, or a definition list, made of short entries (not prose, not teasers of other
     * stories), with few links and no boilerplate hints, and introduced by a heading or a table
     * header ("Ingredients", "Specifications"), which a player's option list or a teaser list
     * lacks.
     */
    private boolean isBesideData(Element e) {
        Stats s = stats(e);
        String tag = e.normalName();
        boolean table = s.dataTables > 0 || tag.equals("table") && s.dataTable;
        boolean list = s.items >= 3 && s.text <= 80 * s.items || tag.equals("dl");
        if (!table && !list
                || s.text < 20
                || s.prose * 2 >= s.text
                || linkDensity(e) >= 0.3
                || Words.of(e).boilerplate()) {
            return false;
        }
        Element before = e.previousElementSibling();
        return s.headings > 0
                || s.tableHeads > 0
                || before != null && isHeading(before.normalName());
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
        Set<Element> inFigure = identitySet();
        stack.push(content);
        while (!stack.isEmpty()) {
            Element e = stack.pop();
            if (!hasChildElements(e) || isAtomic(e)) {
                continue;
            }
            boolean figure = inFigure.contains(e) || e.normalName().equals("figure");
            List<Node> kept = new ArrayList<>(e.childNodeSize());
            boolean changed = false;
            for (Node node : e.childNodes()) {
                if (node instanceof Element child && isClutter(child, useHints, figure)) {
                    changed = true;
                    continue;
                }
                kept.add(node);
                if (node instanceof Element child) {
                    stack.push(child);
                    if (figure) {
                        inFigure.add(child);
                    }
                }
            }
            if (changed) {
                keepOnly(e, kept);
            }
        }
        markCaptions(content);
        removeTitleHeading(content, title);
        removeTeasers(content);
        removeRepeatedCaptions(content);
        removeEmpty(content);
        // Measured afresh for the edges; trimming keeps the measures true.
        forget();
        trimEdges(content);
    }

    /** Tags that are emptied of meaning when they hold no text and no element. */
    private static final Set<String> EMPTY_WHEN_BLANK =
            Set.of("p", "div", "section", "span", "li", "h1", "h2", "h3", "h4", "h5", "h6");

    /** Drops blocks left without text or elements once their clutter is gone. */
    private void removeEmpty(Element content) {
        Set<Node> empty = identitySet();
        forEachElement(
                content,
                e -> {
                    if (e != content
                            && EMPTY_WHEN_BLANK.contains(e.normalName())
                            && !hasChildElements(e)
                            && isBlank(e)) {
                        empty.add(e);
                    }
                });
        removeAll(empty);
    }

    /** Whether an element without child elements has no visible text. */
    private static boolean isBlank(Element e) {
        for (Node child : e.childNodes()) {
            if (child instanceof TextNode t && !t.isBlank()) {
                return false;
            }
        }
        return true;
    }

    /** Leaf blocks: the lines a reader sees, for trimming the content's edges. */
    private static final Set<String> LEAF_BLOCKS =
            Set.of(
                    "p",
                    "h1",
                    "h2",
                    "h3",
                    "h4",
                    "h5",
                    "h6",
                    "li",
                    "dt",
                    "dd",
                    "div",
                    "section",
                    "blockquote",
                    "pre",
                    "table");

    /** A list's entries: short by nature, never fragments to trim ("Quick guide"). */
    private static final Set<String> ITEMS = Set.of("li", "dt", "dd");

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
            removeMeasured(first);
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
                                    && !text.matches(".*\\d.*")
                                    && !ITEMS.contains(last.normalName());
            if (!orphan) {
                break;
            }
            removeMeasured(last);
        }
    }

    /** Removes {@code e}, taking its text out of its measured ancestors' figures. */
    private void removeMeasured(Element e) {
        Stats gone = stats(e);
        for (Element p = e.parent(); p != null; p = p.parent()) {
            Stats s = measured.get(p);
            if (s != null && s.generation == generation) {
                s.text -= gone.text;
                s.links -= gone.links;
            }
        }
        e.remove();
    }

    /**
     * The first or last leaf block with text (one with no block inside it), or null when there is
     * none or it is code or a data table, which are never trimmed. Walks from that edge and stops
     * at the first one found.
     */
    private Element edgeBlock(Element content, boolean first) {
        Deque<Element> stack = new ArrayDeque<>();
        stack.push(content);
        Element found = null;
        while (!stack.isEmpty() && found == null) {
            Element e = stack.pop();
            Stats s = stats(e);
            if (s.text == 0) {
                continue;
            }
            if (e != content && LEAF_BLOCKS.contains(e.normalName()) && s.leafBlocks == 0) {
                found = e;
                break;
            }
            // Children go on the stack so that the edge's side comes off first.
            List<Element> children = e.children();
            if (first) {
                for (int i = children.size() - 1; i >= 0; i--) {
                    stack.push(children.get(i));
                }
            } else {
                for (Element child : children) {
                    stack.push(child);
                }
            }
        }
        return found == null || found.normalName().equals("pre") || isProtected(found)
                ? null
                : found;
    }

    private boolean isClutter(Element e, boolean useHints, boolean inFigure) {
        String tag = e.normalName();
        Words words = Words.of(e);
        Stats stats = stats(e);
        int length = stats.text;
        boolean marked =
                useHints
                                && (hintedAway(e, words) && length < 500 + 5 * MIN_PARAGRAPH
                                        || words.byline() && length < 200)
                        || isByline(e) && length < 200;
        if (marked) {
            return !isProtected(e);
        }
        if (isAside(stats)) {
            return true;
        }
        if (useHints
                && words.any(Words.SLIDESHOW)
                && !words.any(Words.POSITIVE)
                && !isProtected(e)) {
            // A slideshow's slides ("1/50" and a caption each) are never the article's text,
            // however long their captions.
            return true;
        }
        if ((tag.equals("td") || tag.equals("th")) && !isProtected(e)) {
            // A layout table's cell of links to this site is its navigation column.
            return linkDensity(e) > 0.5 && length < 2000 && linksMostlyInternal(e);
        }
        if (tag.equals("p") || tag.startsWith("h") && tag.length() == 2) {
            // A paragraph that is only links to this site ("Read more: …") is navigation; links
            // elsewhere ("Get it on Amazon", a source) are the writer's.
            // Inside a list item or a table cell, the link is the item's value.
            return length > 0
                    && linkDensity(e) > 0.8
                    && length < 200
                    && linksMostlyInternal(e)
                    && !(e.parent() != null && VALUE_HOLDERS.contains(e.parent().normalName()));
        }
        if (!JUDGED.contains(tag) || isWrapper(e) || isProtected(e)) {
            return false;
        }
        if (stats.commas >= 10) {
            return false;
        }
        int weight = useHints ? words.weight() : 0;
        if (weight < 0) {
            return true;
        }
        int paragraphs = stats.paragraphs;
        int images = stats.images;
        int items = stats.items - 100;
        // Task-list checkboxes are content (isContentMarkup), not a form.
        int inputs = stats.inputs - stats.checkboxes;
        double links = linkDensity(e);
        boolean list = tag.equals("ul") || tag.equals("ol") || tag.equals("dl");
        if (list && links > 0.5 && length < 1000 && linksMostlyInternal(e)) {
            return true;
        }
        return images > 1 && paragraphs < images / 2.0 && length < 200 && !inFigure
                || !list && items > paragraphs
                || inputs > paragraphs / 3
                || !list
                        && length < MIN_PARAGRAPH
                        && (images == 0 || images > 2)
                        && !inFigure
                        && stats.headings == 0
                || !list && weight < 25 && links > 0.3 && length < 2000
                || weight >= 25 && links > 0.5;
    }

    /**
     * Asides the site puts inside the article, which no class marks: a "read also" line or box (a
     * short block that opens with a cue and links to this site: "Read more: …", "Also on
     * example.com", "Lesen Sie auch", "Lire aussi") and an advertisement's label standing alone
     * ("Advertisement", "Anzeige", "Publicidad"). The cues are each language's usual words. A cue
     * before a link to another site ("Read the rest of the review on example.org") cites a source.
     */
    private static boolean isAside(Stats s) {
        if (s.first == null || s.text > 300) {
            return false;
        }
        String start = leadingWords(s.first);
        if (s.links > 0 && s.internalLinks > s.externalLinks) {
            for (String cue : READ_ALSO) {
                if (start.startsWith(cue)
                        && (start.length() == cue.length()
                                || !Character.isLetterOrDigit(start.charAt(cue.length())))) {
                    return true;
                }
            }
        }
        return s.images == 0
                && s.text <= s.first.strip().length() + 2
                && AD_LABELS.contains(start.replaceAll("[^\\p{L}\\p{N} ]+$", ""));
    }

    /** Openings of "read also" lines, lower case. */
    private static final List<String> READ_ALSO =
            List.of(
                    "read more",
                    "read also",
                    "also read",
                    "read next",
                    "see also",
                    "also on",
                    "also see",
                    "more on this",
                    "more from",
                    "related:",
                    "related stories",
                    "related articles",
                    "related coverage",
                    "recommended:",
                    "you may also like",
                    "you might also like",
                    "don't miss",
                    "don’t miss",
                    "lesen sie auch",
                    "lesen sie mehr",
                    "lesen sie hier",
                    "mehr zum thema",
                    "mehr dazu",
                    "auch interessant",
                    "das könnte sie auch interessieren",
                    "siehe auch",
                    "weiterlesen",
                    "lire aussi",
                    "à lire aussi",
                    "a lire aussi",
                    "voir aussi",
                    "à voir aussi",
                    "lire la suite",
                    "lee también",
                    "lea también",
                    "leer más",
                    "ver también",
                    "te puede interesar",
                    "leia também",
                    "leia mais",
                    "veja também",
                    "saiba mais",
                    "leggi anche",
                    "vedi anche",
                    "lees ook",
                    "lees meer",
                    "czytaj też",
                    "czytaj także",
                    "zobacz też",
                    "zobacz także",
                    "читайте также",
                    "смотрите также");

    /** An advertisement's label, standing alone. */
    private static final Set<String> AD_LABELS =
            Set.of(
                    "advertisement",
                    "advertisements",
                    "advertising",
                    "sponsored",
                    "sponsored content",
                    "paid content",
                    "story continues below advertisement",
                    "article continues below advertisement",
                    "article continues below",
                    "continue reading below",
                    "anzeige",
                    "werbung",
                    "publicité",
                    "publicidad",
                    "publicidade",
                    "pubblicità",
                    "advertentie",
                    "reklama",
                    "реклама");

    /** The start of a text, lower case, from its first letter or digit. */
    private static String leadingWords(String text) {
        int start = 0;
        while (start < text.length() && !Character.isLetterOrDigit(text.charAt(start))) {
            start++;
        }
        int end = Math.min(text.length(), start + 60);
        return text.substring(start, end)
                .toLowerCase(Locale.ROOT)
                .replace('\u00a0', ' ')
                .replaceAll("\\s+", " ")
                .strip();
    }

    /** Elements whose content is a value: a link alone in one is the value, not navigation. */
    private static final Set<String> VALUE_HOLDERS = Set.of("li", "td", "th", "dd", "dt");

    /** Whether most of the link text inside {@code e} points at the page's own site. */
    private boolean linksMostlyInternal(Element e) {
        Stats s = stats(e);
        return s.internalLinks >= s.externalLinks;
    }

    private boolean isInternal(String href) {
        String host = host(href);
        return host.isEmpty()
                || host.equals(site)
                || host.endsWith("." + site)
                || site.endsWith("." + host);
    }

    /** A {@code javascript:} URL, which leads nowhere. */
    static boolean isScriptLink(String href) {
        return href.regionMatches(true, 0, "javascript:", 0, 11)
                || href.strip().regionMatches(true, 0, "javascript:", 0, 11);
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

    /**
     * Kept whole, never cleaned inside: code, formulas and data tables. A table cell whose only
     * content is a link ({@code <td><p><a>27W USB-C</a></p></td>}) is the cell's value, not a
     * link-only paragraph, and a shell transcript's lines are all one block.
     */
    private boolean isAtomic(Element e) {
        return switch (e.normalName()) {
            case "pre", "code", "math" -> true;
            case "table" -> stats(e).dataTable;
            default -> false;
        };
    }

    /** Code, preformatted text, maths and data tables are content however short they are. */
    private boolean isProtected(Element e) {
        String tag = e.normalName();
        Stats s = stats(e);
        if (tag.equals("pre")
                || tag.equals("code")
                || tag.equals("math")
                || tag.equals("figure") && s.pres + s.codes + s.images + s.tables > 0) {
            return true;
        }
        if (tag.equals("table")) {
            return s.dataTable;
        }
        if (!tag.equals("div") && !tag.equals("section") || Words.of(e).boilerplate()) {
            return false;
        }
        return s.pres > 0 || s.dataTables > 0;
    }

    /**
     * Whether a table holds data rather than layout: one with headers or a caption, or a grid of at
     * least two rows and two columns whose cells hold short inline text (a layout table holds
     * blocks and long text). Judged from the table's own statistics, {@code s}.
     */
    private static boolean isDataTable(Element table, Stats s) {
        if ("presentation".equals(table.attr("role"))
                || "none".equals(table.attr("role"))
                || "0".equals(table.attr("datatable"))) {
            return false;
        }
        if (s.tableHeads > 0 || table.hasAttr("summary")) {
            return true;
        }
        if (s.tables > 0) {
            return false; // tables inside tables are layout
        }
        if (s.links > 0.5 * s.text && s.internalLinks > s.externalLinks) {
            return false; // a grid of links to this site is navigation
        }
        return s.rows >= 2 && s.columns >= 2 && s.layoutCells == 0;
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
        forEachElement(
                content,
                e -> {
                    String tag = e.normalName();
                    if (e == content
                            || !tag.equals("div")
                                    && !tag.equals("span")
                                    && !tag.equals("p")
                                    && !tag.equals("small")) {
                        return;
                    }
                    Stats s = stats(e);
                    if (Words.of(e).any(Words.CAPTION)
                            && s.text < 400
                            && s.headings + s.lists + s.tables + s.pres == 0) {
                        e.tagName("figcaption");
                    }
                });
    }

    /**
     * An {@code <article>} inside the article is a card: a related post, a teaser, a promoted
     * story. Kept only when it holds most of the text (themes that nest the real post in a wrapper
     * article).
     */
    private void removeTeasers(Element content) {
        if (content.getElementsByTag("article").size() < 2) {
            return;
        }
        int total = textLength(content);
        Set<Node> teasers = identitySet();
        int[] open = {0};
        NodeTraversor.filter(
                new NodeFilter() {
                    @Override
                    public FilterResult head(Node node, int depth) {
                        if (!(node instanceof Element e) || !e.normalName().equals("article")) {
                            return FilterResult.CONTINUE;
                        }
                        if (open[0] > 0 && textLength(e) < total / 3) {
                            teasers.add(e);
                            return FilterResult.SKIP_ENTIRELY;
                        }
                        open[0]++;
                        return FilterResult.CONTINUE;
                    }

                    @Override
                    public FilterResult tail(Node node, int depth) {
                        if (node instanceof Element e
                                && e.normalName().equals("article")
                                && !teasers.contains(e)) {
                            open[0]--;
                        }
                        return FilterResult.CONTINUE;
                    }
                },
                content);
        removeAll(teasers);
    }

    /**
     * A caption repeated inside the content (a gallery showing each slide twice, thumbnails and
     * all) is kept once. Repeated paragraphs stay: recipes and menus legitimately say the same
     * thing twice.
     */
    private void removeRepeatedCaptions(Element content) {
        Set<String> seen = new HashSet<>();
        Set<Node> repeated = identitySet();
        for (Element caption : content.getElementsByTag("figcaption")) {
            String text = caption.text().strip();
            if (text.length() >= 30 && !seen.add(text)) {
                repeated.add(caption);
            }
        }
        removeAll(repeated);
    }

    /** The title as the first heading of the content is already the result's title. */
    private void removeTitleHeading(Element content, String title) {
        boolean[] first = {true};
        Set<Node> repeats = identitySet();
        forEachElement(
                content,
                h -> {
                    String tag = h.normalName();
                    if (!tag.equals("h1") && !tag.equals("h2")) {
                        return;
                    }
                    boolean leading = first[0] && tag.equals("h1") && textBefore(content, h) == 0;
                    if (leading || title != null && similar(h.text(), title)) {
                        repeats.add(h);
                    }
                    first[0] = false;
                });
        removeAll(repeats);
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
     * When the scored extraction is too short, the cascade tries, in order: the page's biggest
     * {@code itemprop=articleBody}, {@code <article>}, {@code <main>} or {@code role=main} (cleaned
     * like any content), the JSON-LD {@code articleBody}, a second scoring pass that ignores class
     * hints (Readability's relaxed retry), the densest text region, and the page's visible text
     * (trafilatura's baseline). A later step replaces an earlier result only when it finds clearly
     * more text, and the cascade stops once the result is long enough or holds most of the page's
     * non-link text. A page with visible text never comes out empty: the earlier steps prune
     * generously, which is right for an article and wrong for a page of fragments (a 2000s layout
     * of table cells, {@code <font>} and {@code <br>}, a product page of short lines).
     */
    private Element fallback(Element scored, MetadataReader.Found found) {
        String title = found.metadata().title();
        Element best = scored;
        int bestLength = textLength(scored);

        // The page without what is never content, hints ignored: what a reader sees, and the
        // source of every later step.
        Element visible = original.clone();
        removeBoilerplate(visible, false);
        forget();
        Stats page = stats(visible);
        int readable = (int) Math.max(0, page.text - page.links);

        for (String selector :
                List.of("[itemprop~=(?i)articleBody]", "article", "main", "[role=main]")) {
            if (enough(bestLength, readable)) {
                break;
            }
            Element biggest =
                    visible.select(selector).stream()
                            .max(Comparator.comparingInt(this::textLength))
                            .orElse(null);
            if (biggest != null) {
                Element content = new Element("div");
                content.appendChild(biggest.clone());
                cleanContent(content, title, true);
                int length = textLength(content);
                if (length > bestLength * 1.2 && length >= MIN_TEXT / 2) {
                    best = content;
                    bestLength = length;
                    stage = Stage.MARKUP;
                }
            }
        }

        String articleBody = found.articleBody();
        if (articleBody != null
                && articleBody.length() > bestLength * 1.2
                && articleBody.length() >= MIN_TEXT / 2) {
            best = paragraphs(articleBody);
            bestLength = articleBody.length();
            stage = Stage.STRUCTURED_DATA;
        }
        if (enough(bestLength, readable)) {
            return best;
        }

        Element relaxed = extractFrom(visible.clone(), title, false);
        int length = textLength(relaxed);
        if (length > bestLength) {
            best = relaxed;
            bestLength = length;
            stage = Stage.RELAXED;
        }
        if (enough(bestLength, readable)) {
            return best;
        }

        forget();
        Element densest = densest(visible);
        if (densest != visible) {
            Element content = new Element("div");
            content.appendChild(densest.clone());
            pruneNavigation(content);
            length = textLength(content);
            if (length > bestLength * 1.2) {
                best = content;
                bestLength = length;
                stage = Stage.DENSEST;
            }
            if (enough(bestLength, readable)) {
                return best;
            }
        }

        // Nothing looks like an article (a page of fragments): all of its visible text beats a
        // trivial line.
        forget();
        length = textLength(visible);
        if (bestLength == 0 && length > 0 || length > bestLength * 1.2 && bestLength < MIN_TEXT) {
            best = new Element("div");
            moveChildren(visible, best);
            pruneNavigation(best);
            stage = Stage.BODY;
        }
        return best;
    }

    /**
     * The light cleaning of the last steps, which keep a page of fragments whole but for its
     * navigation: blocks that are mostly links to this site, and links standing alone outside any
     * sentence ("Skip to content", a menu's entries). The article passes' cleaning would drop the
     * fragments themselves (short lines, short blocks). Nothing is pruned when that would take most
     * of the text: a page that is a list of links is that list.
     */
    private void pruneNavigation(Element root) {
        int before = textLength(root);
        Set<Node> navigation = identitySet();
        int[] removed = {0};
        NodeTraversor.filter(
                new NodeFilter() {
                    @Override
                    public FilterResult head(Node node, int depth) {
                        if (!(node instanceof Element e) || e == root) {
                            return FilterResult.CONTINUE;
                        }
                        if (isAtomic(e)) {
                            return FilterResult.SKIP_CHILDREN;
                        }
                        Stats s = stats(e);
                        boolean menu =
                                e.normalName().equals("a")
                                                && !inRunningText(e)
                                                && isInternal(e.attr("href"))
                                        || s.text > 0
                                                && s.text < 1000
                                                && linkDensity(e) > 0.5
                                                && s.internalLinks >= s.externalLinks;
                        if (menu) {
                            navigation.add(e);
                            removed[0] += s.text;
                            return FilterResult.SKIP_ENTIRELY;
                        }
                        return FilterResult.CONTINUE;
                    }
                },
                root);
        if (removed[0] * 2 < before) {
            removeAll(navigation);
            forget();
        }
    }

    /**
     * Long enough to stop looking: an article's worth of text, or most of what the page has ({@code
     * readable}: its non-link text).
     */
    private static boolean enough(int length, int readable) {
        return length >= MIN_TEXT || length > 0 && length >= readable * 0.6;
    }

    /**
     * The densest text region: from {@code root} down, the child that holds at least two thirds of
     * its parent's non-link text, as deep as that goes.
     */
    private Element densest(Element root) {
        Element region = root;
        while (true) {
            Stats here = stats(region);
            double text = here.text - here.links;
            Element next = null;
            for (Element child : region.children()) {
                Stats s = stats(child);
                if (s.text - s.links >= text * 2 / 3) {
                    next = child;
                    break;
                }
            }
            if (next == null || text <= 0) {
                return region;
            }
            region = next;
        }
    }

    /** How sure the content is the page's main content; see {@link Confidence}. */
    private Confidence confidence(Element content) {
        forget();
        Stats s = stats(content);
        int length = s.text;
        double links = length == 0 ? 0 : Math.min(1, s.links / length);
        double kept = pageText == 0 ? 0 : Math.min(1, length / (double) pageText);
        double score =
                switch (stage) {
                    case SCORED -> 1.0;
                    case MARKUP -> 0.85;
                    case STRUCTURED_DATA -> 0.8;
                    case RELAXED -> 0.6;
                    case DENSEST -> 0.45;
                    case BODY -> 0.3;
                    case RAW -> 0.1;
                };
        // A short result may be a teaser or a fragment; a link-heavy one a list of links.
        score *= Math.sqrt(Math.min(1, length / 1000.0));
        score *= (1 - links) * (1 - links);
        // On a long page, keeping almost all of it means the site came along; almost none, that
        // the article was missed.
        if (pageText > 5000 && kept > 0.9) {
            score *= 0.7;
        }
        if (pageText > 5000 && kept < 0.03) {
            score *= 0.6;
        }
        return new Confidence(
                Math.round(score * 1000) / 1000.0, stage, length, pageText, kept, links);
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
        Element content = new Element("div");
        if (HTML_TAG.matcher(text).find()) {
            moveChildren(Jsoup.parseBodyFragment(text).body(), content);
            return content;
        }
        String[] parts = text.contains("\n\n") ? text.split("\\n\\s*\\n") : text.split("\\n");
        for (String part : parts) {
            if (!part.isBlank()) {
                content.appendElement("p").text(part.strip());
            }
        }
        return content;
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers: moving and removing children in linear time
    // ------------------------------------------------------------------------------------------------

    /** Moves every child node of {@code from} to the end of {@code to}, in one pass. */
    private static void moveChildren(Element from, Element to) {
        List<Node> children = new ArrayList<>(from.childNodes());
        from.empty();
        to.appendChildren(children);
    }

    /** Replaces {@code parent}'s children with {@code kept} (a subsequence of them, in order). */
    private static void keepOnly(Element parent, List<Node> kept) {
        parent.empty();
        parent.appendChildren(kept);
    }

    /** Removes every node of {@code doomed}, rebuilding each affected parent's child list once. */
    private static void removeAll(Collection<Node> doomed) {
        if (doomed.isEmpty()) {
            return;
        }
        Set<Element> parents = identitySet();
        for (Node n : doomed) {
            if (n.parent() instanceof Element p) {
                parents.add(p);
            }
        }
        for (Element parent : parents) {
            List<Node> kept = new ArrayList<>(parent.childNodeSize());
            for (Node child : parent.childNodes()) {
                if (!doomed.contains(child)) {
                    kept.add(child);
                }
            }
            keepOnly(parent, kept);
        }
    }

    /** Visits every element of {@code root}'s subtree in document order, collecting nothing. */
    private static void forEachElement(Element root, Consumer<Element> action) {
        NodeTraversor.traverse(
                (node, depth) -> {
                    if (node instanceof Element e) {
                        action.accept(e);
                    }
                },
                root);
    }

    /** Whether {@code e} has an element child; unlike {@code children()}, builds no list. */
    private static boolean hasChildElements(Element e) {
        for (int i = 0, n = e.childNodeSize(); i < n; i++) {
            if (e.childNode(i) instanceof Element) {
                return true;
            }
        }
        return false;
    }

    /** A set by identity: nodes are told apart by what they are, never by what they hold. */
    private static <T> Set<T> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }

    /** The last element of a node list, or null. */
    private static Element lastElement(List<Node> nodes) {
        for (int i = nodes.size() - 1; i >= 0; i--) {
            if (nodes.get(i) instanceof Element e) {
                return e;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers: class/id words, subtree statistics
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
                        "gallery",
                        "lightbox",
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

        /** Galleries and slideshows: images with a caption each, one shown at a time. */
        static final Set<String> SLIDESHOW =
                Set.of("gallery", "slideshow", "carousel", "slider", "lightbox");

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
            if (!isHeadingSlug(id, e)) {
                split(id, words);
            }
            return new Words(words);
        }

        /**
         * Whether {@code id} is the slug of the element's heading, as documentation generators and
         * CMSs make anchors: {@code <div id="sharing-with-a-single-developer"><h2>Sharing with a
         * single developer</h2>} names a section, and its "sharing" is no share bar.
         */
        private static boolean isHeadingSlug(String id, Element e) {
            if (id.indexOf('-') < 0 && id.indexOf('_') < 0) {
                return false;
            }
            Element heading = e;
            if (!isHeading(e.normalName())) {
                heading = e.firstElementChild();
                if (heading == null || !isHeading(heading.normalName())) {
                    return false;
                }
            }
            String text = heading.text();
            if (text.length() > 200) {
                return false;
            }
            StringBuilder slug = new StringBuilder();
            for (int i = 0; i < text.length(); i++) {
                char c = Character.toLowerCase(text.charAt(i));
                if (Character.isLetterOrDigit(c)) {
                    slug.append(c);
                } else if (!slug.isEmpty() && slug.charAt(slug.length() - 1) != '-') {
                    slug.append('-');
                }
            }
            String made = slug.toString().replaceAll("-+$", "");
            String normalised = id.toLowerCase(Locale.ROOT).replace('_', '-');
            return !made.isEmpty() && (normalised.equals(made) || normalised.startsWith(made));
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
            Arrays.fill(from, -1);
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

    /**
     * What a subtree holds, for the rules that judge it: text and link text (white-space runs
     * counted once), commas, and how many of each kind of element lie <em>below</em> the element
     * (never counting the element itself). Filled for every element of a subtree in one bottom-up
     * walk ({@link #measure}), so asking about any element costs nothing more.
     */
    static final class Stats {
        /** Characters of text, each run of white space counted as one. */
        int text;

        /** Characters of text inside links; in-page {@code #} links count 0.3. */
        double links;

        /** Link text pointing at this site, and elsewhere. */
        int internalLinks, externalLinks;

        int commas;
        int paragraphs, images, items, inputs, checkboxes, headings, lists, pres, codes;

        /** Tables below, and those of them that hold data rather than layout. */
        int tables, dataTables;

        /**
         * Article markers below: {@code <article>}, {@code <main>}, {@code itemprop=articleBody}.
         */
        int markers;

        /** Characters in paragraphs of 80 or more with few links: real prose. */
        int prose;

        /** Block elements below that make a table cell layout, or a link more than inline. */
        int blocks;

        /** Blocks below that are lines of their own (see {@link #LEAF_BLOCKS}). */
        int leafBlocks;

        /** Characters of text inside {@code <math>}. */
        int mathText;

        /** The first text node with words in it, to read how the element opens. */
        String first;

        // For tables: header parts, rows, the widest row's cells, cells that hold layout.
        int tableHeads, rows, columns, layoutCells;

        /** For a table: whether it holds data (see {@link #isDataTable}). */
        boolean dataTable;

        /** The {@link #forget} generation this measure belongs to. */
        int generation;

        void clear() {
            text = internalLinks = externalLinks = commas = 0;
            links = 0;
            paragraphs = images = items = inputs = checkboxes = headings = lists = pres = codes = 0;
            tables = dataTables = markers = prose = blocks = leafBlocks = mathText = 0;
            tableHeads = rows = columns = layoutCells = 0;
            dataTable = false;
            first = null;
        }
    }

    private static final Set<String> TABLE_HEADS =
            Set.of("caption", "thead", "th", "col", "colgroup");

    private static final Set<String> CELL_BLOCKS =
            Set.of("div", "p", "ul", "ol", "blockquote", "h1", "h2", "h3", "h4");

    private Stats stats(Element e) {
        Stats known = measured.get(e);
        return known != null && known.generation == generation ? known : measure(e);
    }

    /** Measures every element of {@code root}'s subtree in one walk; returns the root's. */
    private Stats measure(Element root) {
        Deque<Stats> open = new ArrayDeque<>();
        int[] inItem = {0};
        NodeTraversor.traverse(
                new NodeVisitor() {
                    @Override
                    public void head(Node node, int depth) {
                        if (node instanceof Element e) {
                            // A stale measure is reset and filled again rather than replaced:
                            // one allocation per element per extraction, however many passes.
                            Stats s = measured.get(e);
                            if (s == null) {
                                s = new Stats();
                                measured.put(e, s);
                            } else {
                                s.clear();
                            }
                            s.generation = generation;
                            open.push(s);
                            if (e.normalName().equals("li")) {
                                inItem[0]++;
                            }
                        } else if (node instanceof TextNode t && !open.isEmpty()) {
                            String text = t.getWholeText();
                            Stats s = open.peek();
                            s.text += collapsedLength(text);
                            s.commas += commas(text);
                            if (s.first == null && !t.isBlank()) {
                                s.first = text;
                            }
                        }
                    }

                    @Override
                    public void tail(Node node, int depth) {
                        if (node instanceof Element e) {
                            Stats s = open.pop();
                            finish(e, s, inItem[0] > 0);
                            if (e.normalName().equals("li")) {
                                inItem[0]--;
                            }
                            if (!open.isEmpty()) {
                                add(open.peek(), e, s);
                            }
                        }
                    }
                },
                root);
        return measured.get(root);
    }

    /** Completes an element's own figures once its subtree is summed. */
    private void finish(Element e, Stats s, boolean inItem) {
        switch (e.normalName()) {
            case "a" -> {
                String href = e.attr("href");
                if (isScriptLink(href)) {
                    // Not a link: a script runs on click (a note, a toggle); its text is text.
                    return;
                }
                s.links = s.text * (href.startsWith("#") && href.length() > 1 ? 0.3 : 1);
                if (!href.isEmpty()) {
                    if (isInternal(href)) {
                        s.internalLinks = s.text;
                        s.externalLinks = 0;
                    } else {
                        s.externalLinks = s.text;
                        s.internalLinks = 0;
                    }
                }
            }
            case "table" -> s.dataTable = isDataTable(e, s);
            case "tr" -> {
                int cells = 0;
                for (Element cell : e.children()) {
                    String tag = cell.normalName();
                    cells += tag.equals("td") || tag.equals("th") ? 1 : 0;
                }
                s.columns = Math.max(s.columns, cells);
            }
            default -> {}
        }
        // A checkbox counts as content only inside a list item (a task list).
        if (inItem
                && e.normalName().equals("input")
                && e.attr("type").equalsIgnoreCase("checkbox")) {
            s.checkboxes = 1;
        }
    }

    /** Adds a finished child's figures, and the child itself, to its parent's. */
    private static void add(Stats parent, Element child, Stats s) {
        String tag = child.normalName();
        parent.text += s.text;
        if (parent.first == null) {
            parent.first = s.first;
        }
        parent.links += s.links;
        parent.internalLinks += s.internalLinks;
        parent.externalLinks += s.externalLinks;
        parent.commas += s.commas;
        parent.paragraphs += s.paragraphs + (tag.equals("p") ? 1 : 0);
        parent.images += s.images + (tag.equals("img") ? 1 : 0);
        parent.items += s.items + (tag.equals("li") ? 1 : 0);
        parent.inputs +=
                s.inputs
                        + (switch (tag) {
                            case "input", "select", "textarea", "button" -> 1;
                            default -> 0;
                        });
        parent.checkboxes += s.checkboxes;
        parent.headings += s.headings + (isHeading(tag) ? 1 : 0);
        parent.lists += s.lists + (tag.equals("ul") || tag.equals("ol") ? 1 : 0);
        parent.pres += s.pres + (tag.equals("pre") ? 1 : 0);
        parent.codes += s.codes + (tag.equals("code") ? 1 : 0);
        parent.tables += s.tables + (tag.equals("table") ? 1 : 0);
        parent.dataTables += s.dataTables + (s.dataTable ? 1 : 0);
        parent.markers +=
                s.markers
                        + (tag.equals("article") || tag.equals("main") || isArticleBody(child)
                                ? 1
                                : 0);
        parent.prose +=
                s.prose + (tag.equals("p") && s.text >= 80 && s.links < 0.3 * s.text ? s.text : 0);
        parent.blocks += s.blocks + (CELL_BLOCKS.contains(tag) ? 1 : 0);
        parent.leafBlocks += s.leafBlocks + (LEAF_BLOCKS.contains(tag) ? 1 : 0);
        parent.mathText += tag.equals("math") ? s.text : s.mathText;
        parent.tableHeads += s.tableHeads + (TABLE_HEADS.contains(tag) ? 1 : 0);
        parent.rows += s.rows + (tag.equals("tr") ? 1 : 0);
        parent.columns = Math.max(parent.columns, s.columns);
        parent.layoutCells +=
                s.layoutCells + (tag.equals("td") && (s.text > 200 || s.blocks > 2) ? 1 : 0);
    }

    private static boolean isHeading(String tag) {
        return tag.length() == 2
                && tag.charAt(0) == 'h'
                && tag.charAt(1) >= '1'
                && tag.charAt(1) <= '6';
    }

    /** Drops remembered measures: called after the tree was pruned. */
    private void forget() {
        generation++;
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
        return stats(e).text;
    }

    /**
     * Share of the element's text that sits inside links; in-page {@code #} links count a third.
     */
    double linkDensity(Element e) {
        Stats s = stats(e);
        return s.text == 0 ? 0 : Math.min(1, s.links / s.text);
    }

    static int commas(String text) {
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            switch (text.charAt(i)) {
                case ',', '，', '、', '،' -> n++;
                default -> {}
            }
        }
        return n;
    }
}
