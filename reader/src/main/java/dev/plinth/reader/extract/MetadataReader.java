package dev.plinth.reader.extract;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeFilter;
import org.jsoup.select.NodeTraversor;

/**
 * Reads what a page says about itself. Sources in order of trust: JSON-LD ({@code schema.org}
 * Article and its kin, including {@code @graph}s), OpenGraph, Twitter cards, Dublin Core and plain
 * {@code <meta>} tags, then the document itself ({@code <title>} without its " | Site" suffix,
 * {@code <h1>}, {@code <html lang>}, {@code <time datetime>}, {@code rel=author}, an element marked
 * byline or author by class). Broken JSON-LD is read leniently (also inside {@code <![CDATA[ ]]>})
 * and skipped when it cannot be read at all. A byline is reduced to the names: no "By", no date
 * after them. Measured against Readability's test pages by {@code ExtractionEval}.
 */
final class MetadataReader {

    /** The metadata, and the JSON-LD {@code articleBody} that the extractor may fall back on. */
    record Found(Metadata metadata, String articleBody) {}

    private static final JsonMapper JSON =
            JsonMapper.builder()
                    .enable(
                            JsonReadFeature.ALLOW_UNESCAPED_CONTROL_CHARS,
                                    JsonReadFeature.ALLOW_TRAILING_COMMA,
                            JsonReadFeature.ALLOW_SINGLE_QUOTES,
                                    JsonReadFeature.ALLOW_JAVA_COMMENTS,
                            JsonReadFeature.ALLOW_BACKSLASH_ESCAPING_ANY_CHARACTER,
                                    JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .build();

    /** schema.org types whose fields describe the page's main content, best first. */
    private static final List<String> ARTICLE_TYPES =
            List.of(
                    "newsarticle",
                    "article",
                    "blogposting",
                    "reportagenewsarticle",
                    "analysisnewsarticle",
                    "opinionnewsarticle",
                    "reviewnewsarticle",
                    "backgroundnewsarticle",
                    "techarticle",
                    "scholarlyarticle",
                    "socialmediaposting",
                    "liveblogposting",
                    "report",
                    "review",
                    "recipe",
                    "howto",
                    "qapage",
                    "discussionforumposting",
                    "webpage",
                    "itempage",
                    "product",
                    "event",
                    "videoobject");

    private MetadataReader() {}

    static Found read(Document doc) {
        Map<String, String> meta = metaTags(doc);
        JsonNode ld = articleObject(doc);

        String siteName =
                first(
                        meta.get("og:site_name"),
                        text(ld, "publisher", "name"),
                        meta.get("application-name"));
        String title =
                first(
                        ldTitle(ld, doc.title()),
                        meta.get("og:title"),
                        meta.get("twitter:title"),
                        meta.get("dc.title"),
                        meta.get("dcterms.title"),
                        meta.get("parsely-title"),
                        cleanTitle(doc.title(), siteName),
                        firstText(doc, "h1"));
        String description =
                first(
                        meta.get("og:description"),
                        text(ld, "description"),
                        meta.get("twitter:description"),
                        meta.get("description"),
                        meta.get("dc.description"),
                        meta.get("dcterms.description"));
        String byline =
                byline(
                        first(
                                authors(ld),
                                notUrl(meta.get("author")),
                                notUrl(meta.get("article:author")),
                                meta.get("dc.creator"),
                                meta.get("dcterms.creator"),
                                meta.get("byl"),
                                meta.get("parsely-author"),
                                meta.get("sailthru.author"),
                                firstText(
                                        doc,
                                        "[rel=author], [itemprop~=(?i)^author$] [itemprop=name], [itemprop~=(?i)^author$]"),
                                bylineElement(doc)));
        String published =
                first(
                        text(ld, "datePublished"),
                        meta.get("article:published_time"),
                        meta.get("og:published_time"),
                        meta.get("dc.date"),
                        meta.get("dcterms.created"),
                        meta.get("dc.date.issued"),
                        meta.get("date"),
                        meta.get("pubdate"),
                        meta.get("publish-date"),
                        meta.get("sailthru.date"),
                        meta.get("parsely-pub-date"),
                        meta.get("dcterms.issued"),
                        attr(doc, "[itemprop=datePublished]", "content"),
                        attr(doc, "[itemprop=datePublished]", "datetime"),
                        attr(doc, "time[datetime]", "datetime"));
        String lang =
                first(
                        attr(doc, "html[lang]", "lang"),
                        meta.get("content-language"),
                        text(ld, "inLanguage"),
                        meta.get("dc.language"),
                        locale(meta.get("og:locale")));
        String image =
                first(
                        meta.get("og:image"),
                        meta.get("og:image:url"),
                        meta.get("twitter:image"),
                        meta.get("twitter:image:src"),
                        image(ld));
        String articleBody = text(ld, "articleBody");
        return new Found(
                new Metadata(title, description, byline, published, lang, siteName, image, meta),
                articleBody);
    }

    /** Every {@code <meta name|property|itemprop content>}, keys lower-cased, first value wins. */
    private static Map<String, String> metaTags(Document doc) {
        Map<String, String> meta = new LinkedHashMap<>();
        for (Element m : doc.select("meta[content]")) {
            String key =
                    m.hasAttr("property")
                            ? m.attr("property")
                            : m.hasAttr("name")
                                    ? m.attr("name")
                                    : m.hasAttr("http-equiv")
                                            ? m.attr("http-equiv")
                                            : m.attr("itemprop");
            String value = m.attr("content").strip();
            if (!key.isBlank() && !value.isEmpty()) {
                meta.putIfAbsent(key.strip().toLowerCase(Locale.ROOT), value);
            }
        }
        return meta;
    }

    /** The JSON-LD object that best describes the main content, or null. */
    private static JsonNode articleObject(Document doc) {
        List<JsonNode> objects = new ArrayList<>();
        for (Element script : doc.select("script[type~=(?i)application/ld\\+json]")) {
            try {
                collect(JSON.readTree(unwrapCdata(script.data().strip())), objects, 0);
            } catch (Exception e) {
                // Invalid JSON-LD is common and harmless: the other sources still apply.
            }
        }
        JsonNode best = null;
        int bestRank = Integer.MAX_VALUE;
        for (JsonNode o : objects) {
            for (String type : types(o)) {
                int rank = ARTICLE_TYPES.indexOf(type);
                if (rank >= 0 && rank < bestRank) {
                    best = o;
                    bestRank = rank;
                }
            }
        }
        return best;
    }

    /**
     * A script's JSON without the {@code <![CDATA[ … ]]>} that XHTML-minded templates wrap it in
     * (sometimes behind {@code //} to hide it from JavaScript).
     */
    static String unwrapCdata(String data) {
        String s = data;
        if (s.startsWith("//")) {
            s = s.substring(2).stripLeading();
        }
        if (!s.startsWith("<![CDATA[")) {
            return data;
        }
        s = s.substring("<![CDATA[".length());
        int end = s.lastIndexOf("]]>");
        if (end >= 0) {
            s = s.substring(0, end);
            s = s.endsWith("//") ? s.substring(0, s.length() - 2) : s.stripTrailing();
            s = s.endsWith("//") ? s.substring(0, s.length() - 2) : s;
        }
        return s.strip();
    }

    private static void collect(JsonNode node, List<JsonNode> out, int depth) {
        if (node == null || depth > 4) {
            return;
        }
        if (node.isArray()) {
            node.forEach(n -> collect(n, out, depth + 1));
        } else if (node.isObject()) {
            out.add(node);
            collect(node.get("@graph"), out, depth + 1);
            collect(node.get("mainEntity"), out, depth + 1);
        }
    }

    private static Set<String> types(JsonNode o) {
        Set<String> types = new LinkedHashSet<>();
        JsonNode type = o.get("@type");
        if (type != null && type.isArray()) {
            type.forEach(t -> types.add(t.asText().toLowerCase(Locale.ROOT)));
        } else if (type != null) {
            types.add(type.asText().toLowerCase(Locale.ROOT));
        }
        return types;
    }

    /**
     * A string at {@code path} (objects followed by name, arrays by their first element), or null.
     */
    private static String text(JsonNode node, String... path) {
        for (String key : path) {
            if (node == null) {
                return null;
            }
            node = node.isArray() && !node.isEmpty() ? node.get(0) : node;
            node = node.get(key);
        }
        if (node != null && node.isArray() && !node.isEmpty()) {
            node = node.get(0);
        }
        if (node == null || !node.isValueNode()) {
            return null;
        }
        String s = node.asText().strip();
        return s.isEmpty() ? null : s;
    }

    private static String authors(JsonNode ld) {
        JsonNode author = ld == null ? null : ld.get("author");
        if (author == null) {
            return null;
        }
        List<String> names = new ArrayList<>();
        for (JsonNode a : author.isArray() ? author : List.of(author)) {
            String name = a.isTextual() ? a.asText() : a.path("name").asText("");
            if (!name.isBlank() && !name.startsWith("http")) {
                names.add(name.strip());
            }
        }
        return names.isEmpty() ? null : String.join(", ", names);
    }

    private static String image(JsonNode ld) {
        JsonNode image = ld == null ? null : ld.get("image");
        if (image == null) {
            return null;
        }
        if (image.isArray()) {
            image = image.isEmpty() ? null : image.get(0);
        }
        if (image == null) {
            return null;
        }
        return image.isTextual() ? image.asText() : text(image, "url");
    }

    /**
     * {@code <title>} without a trailing or leading " | Site Name" when the site's name is known.
     * The separator may come without spaces ({@code 标题_网站}), but it must be there: a title that
     * merely ends with the site's name keeps it.
     */
    static String cleanTitle(String title, String siteName) {
        if (title == null || title.isBlank()) {
            return null;
        }
        title = title.strip();
        if (siteName == null || siteName.isBlank()) {
            var m = SITE_SUFFIX.matcher(title);
            if (m.matches() && words(m.group(1)).size() >= 3) {
                return m.group(1);
            }
            return title;
        }
        String site = siteName.strip().toLowerCase(Locale.ROOT);
        String lower = title.toLowerCase(Locale.ROOT);
        if (lower.length() > site.length() && lower.endsWith(site)) {
            String rest = title.substring(0, title.length() - site.length()).stripTrailing();
            if (!rest.isEmpty() && SEPARATORS.indexOf(rest.charAt(rest.length() - 1)) >= 0) {
                String cleaned = rest.substring(0, rest.length() - 1).strip();
                if (!cleaned.isEmpty()) {
                    return cleaned;
                }
            }
        }
        if (lower.length() > site.length() && lower.startsWith(site)) {
            String rest = title.substring(site.length()).stripLeading();
            if (!rest.isEmpty() && SEPARATORS.indexOf(rest.charAt(0)) >= 0) {
                String cleaned = rest.substring(1).strip();
                if (!cleaned.isEmpty()) {
                    return cleaned;
                }
            }
        }
        return title;
    }

    /**
     * The JSON-LD title: its {@code headline}, or its {@code name}; when both are given and differ
     * (some sites put their own name in one, or a description in the headline), the one closer to
     * the page's {@code <title>}.
     */
    private static String ldTitle(JsonNode ld, String pageTitle) {
        String headline = text(ld, "headline"), name = text(ld, "name");
        if (headline == null || name == null || headline.equals(name)) {
            return headline != null ? headline : name;
        }
        return similarity(name, pageTitle) > similarity(headline, pageTitle) ? name : headline;
    }

    /** Words two texts share, over the word count of the longer: 0 to 1. */
    private static double similarity(String a, String b) {
        if (b == null) {
            return 0;
        }
        Set<String> x = new LinkedHashSet<>(words(a)), y = new LinkedHashSet<>(words(b));
        if (x.isEmpty() || y.isEmpty()) {
            return 0;
        }
        return x.stream().filter(y::contains).count() / (double) Math.max(x.size(), y.size());
    }

    private static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        for (String w : s.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /**
     * Ends of a title that are the site's name, cut when the site's name is not known: after the
     * last separator with spaces around it (" | ", " - ", " – ", " — ", " · ", " » ", " :: "), at
     * most three words, with at least three words before it.
     */
    private static final Pattern SITE_SUFFIX =
            Pattern.compile("^(.*\\S)\\s+(?:[|\\-–—·»]|::)\\s+(\\S+(?:\\s+\\S+){0,2})$");

    /** Characters that sit between a page's title and its site's name. */
    private static final String SEPARATORS = "|-–—:·»/_•";

    private static String firstText(Document doc, String selector) {
        Element e = doc.selectFirst(selector);
        if (e == null) {
            return null;
        }
        String text = e.text().strip();
        return text.isEmpty() ? null : text;
    }

    private static String attr(Document doc, String selector, String attr) {
        Element e = doc.selectFirst(selector);
        return e == null ? null : e.attr(attr).strip();
    }

    /** Leading words that introduce a name in a byline, in the languages that have one. */
    private static final Pattern BY =
            Pattern.compile(
                    "(?iu)^(?:by|von|par|por|door|di|av|af|de|written by|posted by|geschrieben von)\\s*:?\\s+");

    /**
     * Where a byline's name ends: a digit or a month or day name (the date), a handle, a separator,
     * "Updated".
     */
    private static final Pattern BYLINE_TAIL =
            Pattern.compile(
                    "\\d|@|\\s[•|·–—]\\s|\\s-\\s|(?i)\\b(?:january|february|march|april|may|june|july"
                            + "|august|september|october|november|december|monday|tuesday|wednesday"
                            + "|thursday|friday|saturday|sunday|updated|published)\\b");

    /** A byline's text as a name: without "By", and without the punctuation left around it. */
    static String byline(String text) {
        if (text == null) {
            return null;
        }
        String s = text.strip().replaceAll("\\s+", " ");
        s = BY.matcher(s).replaceFirst("");
        // A byline line goes on with the date, a handle or a separator: the name ends there.
        var tail = BYLINE_TAIL.matcher(s);
        if (tail.find() && tail.start() > 0) {
            s = s.substring(0, tail.start());
        }
        s = s.replaceAll("^[\\s,;:–—|·•-]+|[\\s,;:–—|·•-]+$", "");
        return s.isEmpty() ? null : s;
    }

    /**
     * An element the page marks as its byline or author by class or id ({@code class="byline"},
     * {@code id="author-name"}), read when no metadata names the author: short, as a name is.
     */
    private static String bylineElement(Document doc) {
        Element body = doc.body();
        if (body == null) {
            return null;
        }
        String[] found = {null};
        NodeTraversor.filter(
                new NodeFilter() {
                    @Override
                    public FilterResult head(Node node, int depth) {
                        if (!(node instanceof Element e) || e.attributesSize() == 0) {
                            return FilterResult.CONTINUE;
                        }
                        Extractor.Words words = Extractor.Words.of(e);
                        if (words.any(Set.of("byline", "author", "writtenby"))
                                && !words.any(Set.of("bio", "about", "box", "avatar", "image"))) {
                            String text = shortText(e, 100);
                            if (text != null && !text.isEmpty()) {
                                found[0] = byline(text);
                                return FilterResult.STOP;
                            }
                        }
                        return FilterResult.CONTINUE;
                    }
                },
                body);
        return found[0];
    }

    /**
     * The element's text if it is shorter than {@code limit}, else null; reads a bounded number of
     * nodes, so asking costs the same on any subtree.
     */
    private static String shortText(Element e, int limit) {
        StringBuilder sb = new StringBuilder();
        int[] nodes = {0};
        boolean[] tooLong = {false};
        NodeTraversor.filter(
                new NodeFilter() {
                    @Override
                    public FilterResult head(Node node, int depth) {
                        if (++nodes[0] > 4 * limit || sb.length() >= limit) {
                            tooLong[0] = true;
                            return FilterResult.STOP;
                        }
                        if (node instanceof TextNode t) {
                            sb.append(t.text()).append(' ');
                        }
                        return FilterResult.CONTINUE;
                    }
                },
                e);
        String text = sb.toString().strip().replaceAll("\\s+", " ");
        return tooLong[0] || text.length() >= limit ? null : text;
    }

    private static String notUrl(String s) {
        return s == null || s.startsWith("http://") || s.startsWith("https://") ? null : s;
    }

    /** {@code en_US} → {@code en-US}. */
    private static String locale(String s) {
        return s == null ? null : s.replace('_', '-');
    }

    private static String first(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v.strip();
            }
        }
        return null;
    }
}
