package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.reader.Options;
import dev.plinth.reader.fetch.ProxyUrl;
import dev.plinth.reader.markdown.MarkdownOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jsoup.select.QueryParser;
import org.jsoup.select.Selector;

/**
 * Reads the reader's options from request headers ({@code X-Target-Selector}) and, for POST, body
 * fields in camelCase ({@code targetSelector}; a body field wins over its header). Every value is
 * checked here, so a malformed one is a 400 naming the option and the values it accepts, never a
 * failure deep in the reader.
 *
 * <p>Booleans mean what they say: {@code true/1/yes} and {@code false/0/no}, anything else is an
 * error (the hosted reader treats any value as true). Multi-value options split on commas.
 */
final class OptionParser {

    /**
     * Cookies split on commas, except those inside an attribute such as {@code Expires=Wed, 21
     * Oct…}.
     */
    private static final Pattern COOKIE_SEPARATOR = Pattern.compile(",\\s*(?=[^;,=\\s]+=)");

    /** A PDF page selection: {@code 3}, {@code 2-5}, {@code 7-}, {@code 1,4-6}. */
    private static final Pattern PAGES = Pattern.compile("\\d+(-\\d*)?(,\\d+(-\\d*)?)*");

    private final Function<String, List<String>> headers;
    private final JsonNode body;

    private OptionParser(Function<String, List<String>> headers, JsonNode body) {
        this.headers = headers;
        this.body = body;
    }

    /**
     * Parses the options of one request.
     *
     * @param headers all values of a header by name (case-insensitive), empty when absent
     * @param body the POST body as a JSON object (form fields become strings), or null
     */
    static ReadParams parse(Function<String, List<String>> headers, JsonNode body) {
        return new OptionParser(headers, body).parse();
    }

    private ReadParams parse() {
        Options.Builder b = Options.builder();
        String format = value("X-Respond-With", "X-Return-Format");
        if (format != null) {
            b.respondWith(choice("X-Respond-With", format, Options.Format.class));
        }
        String engine = value("X-Engine");
        if (engine != null) {
            b.engine(choice("X-Engine", engine, Options.Engine.class));
        }
        b.targetSelector(selectors("X-Target-Selector"));
        b.removeSelector(selectors("X-Remove-Selector"));
        b.waitForSelector(selectors("X-Wait-For-Selector"));
        String timeout = value("X-Timeout");
        if (timeout != null) {
            b.timeout(
                    Duration.ofMillis(Math.round(1000 * number("X-Timeout", timeout, 0.001, 180))));
        }
        b.withLinksSummary(bool("X-With-Links-Summary"));
        b.withImagesSummary(bool("X-With-Images-Summary"));
        b.withShadowDom(bool("X-With-Shadow-Dom"));
        b.withIframe(bool("X-With-Iframe"));
        b.cookies(cookies());
        b.locale(value("X-Locale"));
        b.userAgent(value("X-User-Agent"));
        b.referer(value("X-Referer"));
        String proxy = value("X-Proxy-Url");
        if (proxy != null) {
            b.proxyUrl(proxyUrl(proxy));
        }
        String robots = value("X-Robots-Txt");
        if (robots != null) {
            b.robotsTxt(robotsAgent(robots));
        }
        String base = value("X-Base");
        if (base != null) {
            b.base(choice("X-Base", base, Options.Base.class));
        }
        String maxTokens = value("X-Max-Tokens");
        if (maxTokens != null) {
            b.maxTokens(integer("X-Max-Tokens", maxTokens, 1, Integer.MAX_VALUE));
        }
        String pages = value("X-Pages");
        if (pages != null) {
            if (!PAGES.matcher(pages).matches()) {
                throw ApiException.badParameter(
                        "X-Pages must be PDF pages such as 3, 2-5, 7- or 1,4-6, not \""
                                + pages
                                + "\"");
            }
            b.pages(pages);
        }
        b.markdown(markdown());

        String tolerance = value("X-Cache-Tolerance");
        String budget = value("X-Token-Budget");
        String chunking = value("X-Markdown-Chunking");
        return new ReadParams(
                b.build(),
                bool("X-No-Cache"),
                tolerance == null
                        ? ReadParams.DEFAULT_CACHE_TOLERANCE
                        : integer("X-Cache-Tolerance", tolerance, 0, Integer.MAX_VALUE),
                budget == null ? 0 : integer("X-Token-Budget", budget, 1, Integer.MAX_VALUE),
                chunking == null ? 0 : chunkDepth(chunking));
    }

    private MarkdownOptions markdown() {
        MarkdownOptions.Builder m = MarkdownOptions.builder();
        String images = value("X-Retain-Images");
        if (images != null) {
            m.images(choice("X-Retain-Images", images, MarkdownOptions.Images.class));
        }
        String links = value("X-Retain-Links");
        if (links != null) {
            m.links(choice("X-Retain-Links", links, MarkdownOptions.Links.class));
        }
        m.gfm(!bool("X-No-Gfm"));
        String heading = value("X-Md-Heading-Style");
        if (heading != null) {
            m.headingStyle(
                    choice("X-Md-Heading-Style", heading, MarkdownOptions.HeadingStyle.class));
        }
        String hr = value("X-Md-Hr");
        if (hr != null) {
            m.hr(oneOf("X-Md-Hr", hr, "---", "***", "___", "- - -", "* * *", "_ _ _"));
        }
        String bullet = value("X-Md-Bullet-List-Marker");
        if (bullet != null) {
            m.bulletListMarker(oneOf("X-Md-Bullet-List-Marker", bullet, "-", "*", "+"));
        }
        String codeBlock = value("X-Md-Code-Block-Style");
        if (codeBlock != null) {
            m.codeBlockStyle(
                    choice(
                            "X-Md-Code-Block-Style",
                            codeBlock,
                            MarkdownOptions.CodeBlockStyle.class));
        }
        String fence = value("X-Md-Fence");
        if (fence != null) {
            m.fence(oneOf("X-Md-Fence", fence, "```", "~~~"));
        }
        String em = value("X-Md-Em-Delimiter");
        if (em != null) {
            m.emDelimiter(oneOf("X-Md-Em-Delimiter", em, "_", "*"));
        }
        String strong = value("X-Md-Strong-Delimiter");
        if (strong != null) {
            m.strongDelimiter(oneOf("X-Md-Strong-Delimiter", strong, "**", "__"));
        }
        String linkStyle = value("X-Md-Link-Style");
        if (linkStyle != null) {
            m.linkStyle(choice("X-Md-Link-Style", linkStyle, MarkdownOptions.LinkStyle.class));
        }
        String refStyle = value("X-Md-Link-Reference-Style");
        if (refStyle != null) {
            m.linkReferenceStyle(
                    choice(
                            "X-Md-Link-Reference-Style",
                            refStyle,
                            MarkdownOptions.LinkReferenceStyle.class));
        }
        return m.build();
    }

    // ---- reading raw values ------------------------------------------------------------------

    /** The body field or header value of the first of {@code names} present; null when none is. */
    private String value(String... names) {
        List<String> all = values(names);
        return all.isEmpty() ? null : String.join(",", all);
    }

    /**
     * All values: a body field (a string, a number, a boolean or an array of them), else the
     * header's.
     */
    private List<String> values(String... names) {
        for (String name : names) {
            JsonNode field = body == null ? null : body.get(camelCase(name));
            if (field != null && !field.isNull()) {
                List<String> out = new ArrayList<>();
                if (field.isArray()) {
                    field.forEach(item -> out.add(scalar(name, item)));
                } else {
                    out.add(scalar(name, field));
                }
                return out;
            }
        }
        for (String name : names) {
            List<String> header = headers.apply(name);
            if (header != null && !header.isEmpty()) {
                return header.stream().map(String::strip).filter(v -> !v.isEmpty()).toList();
            }
        }
        return List.of();
    }

    private static String scalar(String name, JsonNode node) {
        if (!node.isValueNode()) {
            throw ApiException.badParameter(
                    camelCase(name) + " must be a string, a number or a boolean");
        }
        return node.asText().strip();
    }

    /** {@code X-Md-Heading-Style} → {@code mdHeadingStyle}: the body field of a header. */
    static String camelCase(String header) {
        String[] parts = header.substring(2).split("-");
        StringBuilder out = new StringBuilder(parts[0].toLowerCase(Locale.ROOT));
        for (int i = 1; i < parts.length; i++) {
            out.append(parts[i].substring(0, 1).toUpperCase(Locale.ROOT))
                    .append(parts[i].substring(1).toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }

    // ---- typed values --------------------------------------------------------------------------

    private boolean bool(String name) {
        String v = value(name);
        if (v == null) {
            return false;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default ->
                    throw ApiException.badParameter(
                            name + " must be true/1/yes or false/0/no, not \"" + v + "\"");
        };
    }

    private static <E extends Enum<E>> E choice(String name, String v, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v.strip())) {
                return e;
            }
        }
        throw ApiException.badParameter(
                name
                        + " must be one of "
                        + Arrays.stream(type.getEnumConstants())
                                .map(e -> e.name().toLowerCase(Locale.ROOT))
                                .toList()
                        + ", not \""
                        + v
                        + "\"");
    }

    private static String oneOf(String name, String v, String... allowed) {
        for (String a : allowed) {
            if (a.equals(v)) {
                return a;
            }
        }
        throw ApiException.badParameter(
                name + " must be one of " + Arrays.toString(allowed) + ", not \"" + v + "\"");
    }

    private static int integer(String name, String v, int min, int max) {
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) {
                return (int) n;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the range
        }
        throw ApiException.badParameter(
                name
                        + " must be a whole number from "
                        + min
                        + (max == Integer.MAX_VALUE ? " up" : " to " + max)
                        + ", not \""
                        + v
                        + "\"");
    }

    private static double number(String name, String v, double min, double max) {
        try {
            double n = Double.parseDouble(v.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the range
        }
        throw ApiException.badParameter(
                name + " must be a number of seconds up to " + (int) max + ", not \"" + v + "\"");
    }

    /**
     * Comma-separated CSS selectors, each checked now so a typo is a 400 rather than a failed read.
     */
    private List<String> selectors(String name) {
        List<String> out = new ArrayList<>();
        for (String raw : values(name)) {
            for (String selector : raw.split(",")) {
                String s = selector.strip();
                if (s.isEmpty()) {
                    continue;
                }
                try {
                    QueryParser.parse(s);
                } catch (Selector.SelectorParseException | IllegalArgumentException e) {
                    throw ApiException.badParameter(
                            name + " has an invalid CSS selector \"" + s + "\": " + e.getMessage());
                }
                out.add(s);
            }
        }
        return out;
    }

    private List<String> cookies() {
        List<String> out = new ArrayList<>();
        for (String raw : values("X-Set-Cookie", "X-Set-Cookies")) {
            for (String cookie : COOKIE_SEPARATOR.split(raw)) {
                String c = cookie.strip();
                if (c.isEmpty()) {
                    continue;
                }
                int eq = c.indexOf('=');
                if (eq <= 0) {
                    throw ApiException.badParameter(
                            "X-Set-Cookie must be name=value cookies, not \"" + c + "\"");
                }
                out.add(c);
            }
        }
        return out;
    }

    /**
     * Checked by the fetcher's own parser, so that the forms this accepts — and the help it gives —
     * are exactly the ones a fetch can use.
     */
    private static String proxyUrl(String v) {
        try {
            ProxyUrl.parse(v);
            return v.strip();
        } catch (IllegalArgumentException e) {
            throw ApiException.badParameter("X-Proxy-Url: " + e.getMessage());
        }
    }

    /**
     * {@code X-Robots-Txt} names the user agent to check as; a plain yes checks as plinth, no
     * skips.
     */
    private static String robotsAgent(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> "plinth";
            case "false", "0", "no", "" -> null;
            default -> v;
        };
    }

    private static int chunkDepth(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "false", "0", "no" -> 0;
            case "true", "yes" -> 2;
            default -> integer("X-Markdown-Chunking", v, 1, 6);
        };
    }
}
