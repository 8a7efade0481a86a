package dev.plinth.reader.document;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.plinth.reader.Page;
import dev.plinth.reader.ReaderException;
import java.io.IOException;
import java.io.StringWriter;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;

/**
 * Content that is neither HTML nor PDF: plain text as is, JSON and XML as fenced code, RSS, Atom
 * and RSS 1.0 (RDF) feeds as a list of linked items with dates, an image as an image line. Anything
 * else is refused with a 422 that names the content type.
 *
 * <p>XML is parsed with jsoup's XML parser, which never resolves DTDs or external entities, so a
 * hostile feed cannot read local files or reach other hosts (no XXE).
 */
public final class Documents {

    /** A converted document: its title (null when it has none) and Markdown. */
    public record Converted(String title, String markdown) {}

    /** Longest item summary kept in a feed listing, in characters. */
    static final int SUMMARY_CHARS = 300;

    private static final JsonFactory JSON = new JsonFactory();

    private Documents() {}

    /** Converts {@code page}, or fails with a 422 naming a content type plinth cannot read. */
    public static Converted convert(Page page) throws ReaderException {
        String type = page.contentType();
        if (type.isEmpty() || type.equals("application/octet-stream")) {
            type = sniff(page);
        }
        if (type.startsWith("image/")) {
            return new Converted(null, "![](" + page.url() + ")");
        }
        if (type.equals("text/plain")
                || type.equals("text/markdown")
                || type.equals("text/x-markdown")) {
            return new Converted(null, page.text());
        }
        if (type.equals("application/json") || type.endsWith("+json")) {
            return new Converted(null, fenced("json", prettyJson(page.text())));
        }
        if (isFeedType(type) || isXml(type)) {
            String text = page.text();
            Document xml =
                    Jsoup.parse(
                            text,
                            page.url() == null ? "" : page.url().toString(),
                            Parser.xmlParser());
            Element root = root(xml);
            String name = root == null ? "" : root.tagName().toLowerCase(Locale.ROOT);
            if (name.equals("rss") || name.equals("feed") || name.equals("rdf:rdf")) {
                return feed(root);
            }
            if (isFeedType(type)) {
                throw new ReaderException(
                        ReaderException.Kind.UNREADABLE,
                        "content of type " + type + " is not an RSS, Atom or RDF feed");
            }
            return new Converted(null, fenced("xml", text.strip()));
        }
        throw new ReaderException(
                ReaderException.Kind.UNREADABLE,
                "cannot read content of type "
                        + (page.contentType().isEmpty() ? "(none given)" : page.contentType()));
    }

    /** A type for a body served without one: XML, JSON or text by its first bytes, else unknown. */
    private static String sniff(Page page) {
        String head = page.text().substring(0, Math.min(page.text().length(), 512)).stripLeading();
        if (head.startsWith("<?xml") || head.startsWith("<rss") || head.startsWith("<feed")) {
            return "application/xml";
        }
        if (head.startsWith("{") || head.startsWith("[")) {
            return "application/json";
        }
        boolean text =
                !head.isEmpty()
                        && head.chars()
                                .allMatch(c -> c >= 0x20 || c == '\n' || c == '\r' || c == '\t')
                        && head.indexOf('\uFFFD') < 0;
        return text ? "text/plain" : page.contentType();
    }

    private static boolean isFeedType(String type) {
        return type.equals("application/rss+xml")
                || type.equals("application/atom+xml")
                || type.equals("application/rdf+xml");
    }

    private static boolean isXml(String type) {
        return type.equals("application/xml") || type.equals("text/xml") || type.endsWith("+xml");
    }

    private static Element root(Document xml) {
        for (Element child : xml.children()) {
            return child;
        }
        return null;
    }

    // ---- Feeds ----

    /**
     * An RSS 2.0, Atom or RSS 1.0 feed as a heading, its description and one list item per entry.
     */
    private static Converted feed(Element root) {
        boolean atom = root.tagName().equalsIgnoreCase("feed");
        Element channel = atom ? root : first(root, "channel");
        String title = channel == null ? null : text(channel, "title");
        String about =
                channel == null
                        ? null
                        : atom ? text(channel, "subtitle") : text(channel, "description");
        StringBuilder md = new StringBuilder();
        if (title != null) {
            md.append("# ").append(title).append("\n\n");
        }
        if (about != null) {
            md.append(plain(about)).append("\n\n");
        }
        for (Element item : root.getElementsByTag(atom ? "entry" : "item")) {
            String itemTitle = text(item, "title");
            String link = atom ? atomLink(item) : text(item, "link");
            String date = date(firstText(item, "pubDate", "published", "updated", "dc:date"));
            String summary =
                    firstText(item, "description", "summary", "content", "content:encoded");
            String label =
                    itemTitle != null ? plain(itemTitle) : link != null ? link : "(untitled)";
            md.append("- ")
                    .append(
                            link != null
                                    ? "[" + label.replace("]", "\\]") + "](" + link + ")"
                                    : label);
            if (date != null) {
                md.append(" — ").append(date);
            }
            if (summary != null) {
                String text = plain(summary);
                if (text.length() > SUMMARY_CHARS) {
                    text =
                            text.substring(
                                            0,
                                            text.lastIndexOf(' ', SUMMARY_CHARS) > 0
                                                    ? text.lastIndexOf(' ', SUMMARY_CHARS)
                                                    : SUMMARY_CHARS)
                                    + " …";
                }
                if (!text.isEmpty()) {
                    md.append("\n  ").append(text);
                }
            }
            md.append('\n');
        }
        return new Converted(title == null ? null : plain(title), md.toString().strip() + "\n");
    }

    private static String atomLink(Element entry) {
        String fallback = null;
        for (Element link : entry.getElementsByTag("link")) {
            String rel = link.attr("rel");
            if (rel.isEmpty() || rel.equals("alternate")) {
                return link.attr("href");
            }
            fallback = fallback == null ? link.attr("href") : fallback;
        }
        return fallback == null || fallback.isEmpty() ? null : fallback;
    }

    /** RSS dates (RFC 822) and Atom dates (RFC 3339) as ISO 8601; anything else as given. */
    private static String date(String raw) {
        if (raw == null) {
            return null;
        }
        for (DateTimeFormatter format :
                new DateTimeFormatter[] {
                    DateTimeFormatter.RFC_1123_DATE_TIME,
                    DateTimeFormatter.ISO_OFFSET_DATE_TIME,
                    DateTimeFormatter.ISO_ZONED_DATE_TIME
                }) {
            try {
                return ZonedDateTime.parse(raw.strip(), format).toOffsetDateTime().toString();
            } catch (DateTimeParseException e) {
                // try the next form
            }
        }
        return raw.strip();
    }

    /** Feed text may hold escaped HTML; readers want its words. */
    private static String plain(String html) {
        return Jsoup.parse(html).text().strip();
    }

    private static Element first(Element parent, String tag) {
        for (Element child : parent.children()) {
            if (child.tagName().equalsIgnoreCase(tag)) {
                return child;
            }
        }
        return null;
    }

    private static String text(Element parent, String tag) {
        Element child = first(parent, tag);
        if (child == null) {
            return null;
        }
        String text = child.wholeText().strip();
        return text.isEmpty() ? null : text;
    }

    private static String firstText(Element parent, String... tags) {
        for (String tag : tags) {
            String text = text(parent, tag);
            if (text != null) {
                return text;
            }
        }
        return null;
    }

    // ---- Code ----

    /**
     * JSON re-indented for reading, token by token so that key order, duplicate keys and the exact
     * digits of numbers stay as served; anything that does not parse is shown as served.
     */
    private static String prettyJson(String text) {
        StringWriter out = new StringWriter();
        try (JsonParser parser = JSON.createParser(text);
                JsonGenerator generator = JSON.createGenerator(out).useDefaultPrettyPrinter()) {
            for (JsonToken token; (token = parser.nextToken()) != null; ) {
                if (token.isNumeric()) {
                    // Written as served, never parsed: a number such as 1e999999… has no
                    // BigDecimal (Jackson throws an unchecked NumberFormatException), and parsing
                    // a thousand-digit one costs more than copying it.
                    generator.writeNumber(parser.getText());
                } else {
                    generator.copyCurrentEvent(parser);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Anything the parser or generator cannot take is shown as served, never an error.
            return text.strip();
        }
        return out.toString();
    }

    /** A fenced code block whose fence is longer than any backtick run in {@code code}. */
    private static String fenced(String language, String code) {
        int longest = 0;
        int run = 0;
        for (int i = 0; i < code.length(); i++) {
            run = code.charAt(i) == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(Math.max(3, longest + 1));
        return fence + language + "\n" + code + "\n" + fence + "\n";
    }
}
