package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Options;
import dev.plinth.reader.Selectors;
import dev.plinth.reader.fetch.ProxyUrl;
import dev.plinth.reader.markdown.MarkdownOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Every reader option, declared once: its request header, its body field, its command-line flag,
 * the values it takes, and what it sets. The HTTP API ({@link #parse}), {@code plinth read} (its
 * flags are made from this table), the README check and the OpenAPI document all read this list, so
 * an option added here exists everywhere at once; a fetch option is then a {@code FetchOptions}
 * field plus one line below, and is in the cache key by construction.
 *
 * <p>Values follow Jina's reader: every value it accepts is accepted, with its meaning or the
 * nearest honest equivalent. Booleans beyond Jina's own values mean what they say: {@code
 * true/1/yes}, {@code false/0/no}, anything else is a 400 naming the option and what it takes (Jina
 * takes any value as true). Multi-valued options take repeated headers, JSON arrays, and — for
 * cookies — {@code Set-Cookie} lines separated by commas.
 */
final class ReaderOptions {

    /** What the options of one request set: the reader's builders and the server's own. */
    static final class Target {
        final Options.Builder options = Options.builder();
        final FetchOptions.Builder fetch = FetchOptions.builder();
        final MarkdownOptions.Builder markdown = MarkdownOptions.builder();
        final Set<Options.Format> formats = EnumSet.noneOf(Options.Format.class);
        final List<String> targetSelectors = new ArrayList<>();
        final ServerSide server;
        int tokenBudget;
        int chunkDepth;
        boolean noCache;
        Duration cacheTolerance;
        boolean generatedAlt;

        Target(ServerSide server) {
            this.server = server;
        }
    }

    /**
     * What the server contributes to reading options: the proxies an operator configured for {@code
     * X-Proxy} ({@code ""} for the default, else by two-letter country code).
     */
    record ServerSide(Map<String, String> proxies) {
        static final ServerSide NONE = new ServerSide(Map.of());
    }

    /**
     * One option.
     *
     * @param header the request header; the body field is its camelCase name without {@code X-}
     * @param aliases other headers (and so body fields) meaning the same
     * @param flag the {@code plinth read} flag, or null when the option is HTTP-only
     * @param values what it takes, for help texts and the API document
     * @param help what it does
     * @param set what it sets, given its value
     */
    record Option(
            String header,
            List<String> aliases,
            String flag,
            String values,
            String help,
            BiConsumer<Value, Target> set) {

        /** The JSON body field. */
        String field() {
            return camelCase(header);
        }
    }

    /** The table. Order is the help's order; no two options share a header or a flag. */
    static final List<Option> ALL =
            List.of(
                    option(
                            "X-Respond-With",
                            List.of("X-Return-Format"),
                            null,
                            "content | markdown | html | text | content-html | content-text |"
                                    + " screenshot | pageshot | readerlm-v2 | vlm, or several"
                                    + " comma-separated",
                            "What to return: the main content as Markdown (content, the default),"
                                    + " the whole page as Markdown, HTML or text, plinth's"
                                    + " main-content-only HTML or text, a picture, or a language"
                                    + " model's reading.",
                            (v, t) -> t.formats.addAll(formats(v))),
                    option(
                            "X-Engine",
                            "--engine",
                            "auto | browser | direct | curl | cf-browser-rendering | readerlm-v2 |"
                                    + " vlm",
                            "Who loads the page: auto (the default: direct, and the browser when"
                                    + " the page looks script-rendered), browser, direct (curl is"
                                    + " the same).",
                            ReaderOptions::engine),
                    option(
                            "X-Timeout",
                            "--timeout",
                            "seconds; above 180 counts as 180, 0 or less as the default (30)",
                            "Deadline for loading the page.",
                            (v, t) -> {
                                double seconds = v.number();
                                if (seconds > 0) {
                                    t.fetch.timeout(
                                            Duration.ofMillis(
                                                    Math.round(1000 * Math.min(seconds, 180))));
                                }
                            }),
                    option(
                            "X-Target-Selector",
                            "--selector",
                            "CSS selectors",
                            "Only what these selectors match is read (no main-content extraction).",
                            (v, t) -> t.targetSelectors.addAll(selectors(v))),
                    option(
                            "X-Remove-Selector",
                            "--remove",
                            "CSS selectors",
                            "What these selectors match is removed before anything else.",
                            (v, t) -> t.options.removeSelector(selectors(v))),
                    option(
                            "X-Wait-For-Selector",
                            "--wait-for-selector",
                            "CSS selectors",
                            "The browser waits until these selectors match.",
                            (v, t) -> t.fetch.waitForSelector(selectors(v))),
                    option(
                            "X-Respond-Timing",
                            "--respond-timing",
                            "html | visible-content | mutation-idle | resource-idle | media-idle |"
                                    + " network-idle",
                            "When the browser reads the page; html and visible-content need no"
                                    + " browser.",
                            (v, t) ->
                                    t.fetch.respondTiming(
                                            v.choice(FetchOptions.RespondTiming.class))),
                    option(
                            "X-Retain-Images",
                            "--retain-images",
                            "all | none | alt | all_p | alt_p",
                            "Images as ![Image N: alt](src) (all), none, or their alt text only"
                                    + " (alt); _p adds alt text written by a vision model.",
                            (v, t) -> t.markdown.images(v.choice(MarkdownOptions.Images.class))),
                    option(
                            "X-Retain-Links",
                            "--retain-links",
                            "all | text | none",
                            "Links as links (all), as their text, or not at all.",
                            (v, t) -> t.markdown.links(v.choice(MarkdownOptions.Links.class))),
                    option(
                            "X-With-Generated-Alt",
                            "--with-generated-alt",
                            "boolean",
                            "Images without alt text get one written by a vision model (needs"
                                    + " --vlm-url).",
                            (v, t) -> t.generatedAlt |= v.bool()),
                    option(
                            "X-With-Links-Summary",
                            "--with-links-summary",
                            "boolean, or all",
                            "Lists the page's links after the content: each address once, or every"
                                    + " link (all).",
                            (v, t) ->
                                    t.options.linksSummary(
                                            v.is("all")
                                                    ? Options.Links.ALL
                                                    : v.bool()
                                                            ? Options.Links.UNIQUE
                                                            : Options.Links.NONE)),
                    option(
                            "X-With-Images-Summary",
                            "--with-images-summary",
                            "boolean",
                            "Lists the content's images after it.",
                            (v, t) -> t.options.withImagesSummary(v.bool())),
                    option(
                            "X-With-Shadow-Dom",
                            "--with-shadow-dom",
                            "boolean",
                            "The browser reads open shadow roots as part of the page.",
                            (v, t) -> t.fetch.withShadowDom(v.bool())),
                    option(
                            "X-With-Iframe",
                            "--with-iframe",
                            "boolean, or quoted",
                            "Same-origin iframes become part of the page (true), or a quote of"
                                    + " their text (quoted).",
                            (v, t) ->
                                    t.fetch.iframes(
                                            v.is("quoted")
                                                    ? FetchOptions.Iframes.QUOTED
                                                    : v.bool()
                                                            ? FetchOptions.Iframes.INLINE
                                                            : FetchOptions.Iframes.NONE)),
                    option(
                            "X-No-Gfm",
                            "--no-gfm",
                            "boolean, or table",
                            "No GitHub extensions (tables, strikethrough, task lists), or only"
                                    + " tables written as HTML (table).",
                            (v, t) -> {
                                if (v.is("table")) {
                                    t.markdown.tablesAsHtml(true);
                                } else {
                                    t.markdown.gfm(!v.bool());
                                }
                            }),
                    option(
                            "X-Keep-Img-Data-Url",
                            "--keep-img-data-url",
                            "boolean",
                            "data: image URLs are kept as they are, not replaced by a short blob:"
                                    + " name.",
                            (v, t) -> t.markdown.keepDataUris(v.bool())),
                    option(
                            "X-No-Cache",
                            "--no-cache",
                            "boolean",
                            "The page is loaded afresh (and the fresh page cached).",
                            (v, t) -> t.noCache |= v.bool()),
                    option(
                            "X-Cache-Tolerance",
                            null,
                            "seconds",
                            "How old a cached page may be; 0 never uses the cache.",
                            (v, t) ->
                                    t.cacheTolerance =
                                            Duration.ofSeconds(v.integer(0, Integer.MAX_VALUE))),
                    option(
                            "DNT",
                            null,
                            "1",
                            "Do not track: the page is not kept in the cache.",
                            (v, t) -> t.fetch.noStore(v.bool())),
                    option(
                            "X-Set-Cookie",
                            List.of("X-Set-Cookies"),
                            "--cookie",
                            "Set-Cookie lines",
                            "Cookies sent with the request; such reads are never cached.",
                            (v, t) -> t.fetch.cookies(cookies(v))),
                    option(
                            "X-Locale",
                            "--locale",
                            "a locale such as de-DE",
                            "Accept-Language and the browser's locale.",
                            (v, t) -> t.fetch.locale(v.text())),
                    option(
                            "X-User-Agent",
                            "--user-agent",
                            "text",
                            "The User-Agent sent.",
                            (v, t) -> t.fetch.userAgent(v.text())),
                    option(
                            "X-Referer",
                            "--referer",
                            "URL",
                            "The Referer sent.",
                            (v, t) -> t.fetch.referer(v.text())),
                    option(
                            "X-Proxy-Url",
                            "--proxy-url",
                            "http://[user:pass@]host:port, https://…, socks5://[user:pass@]host:port",
                            "A proxy to fetch through; the proxy and the target are both judged by"
                                    + " the network guard.",
                            (v, t) -> t.fetch.proxyUrl(proxyUrl(v))),
                    option(
                            "X-Proxy",
                            null,
                            "auto, none, or a country code the server has a proxy for",
                            "Fetch through a proxy the server's operator configured (--proxy).",
                            ReaderOptions::serverProxy),
                    option(
                            "X-Robots-Txt",
                            "--robots-txt",
                            "a user agent, or true for plinth",
                            "Honour robots.txt as this user agent (409 when disallowed).",
                            (v, t) -> t.fetch.robotsTxt(robotsAgent(v))),
                    option(
                            "X-Base",
                            "--base-mode",
                            "initial | final",
                            "Relative links resolve against the URL asked for (initial) or the one"
                                    + " after redirects (final).",
                            (v, t) -> t.options.base(v.choice(Options.Base.class))),
                    option(
                            "X-Max-Output-Tokens",
                            List.of("X-Max-Tokens"),
                            "--max-tokens",
                            "tokens",
                            "Cut each output to this many cl100k tokens.",
                            (v, t) -> t.options.maxTokens(v.integer(1, Integer.MAX_VALUE))),
                    option(
                            "X-Token-Budget",
                            null,
                            "tokens",
                            "Refuse (409) a result longer than this.",
                            (v, t) -> t.tokenBudget = v.integer(1, Integer.MAX_VALUE)),
                    option(
                            "X-Markdown-Chunking",
                            null,
                            "1 to 6, or true (2)",
                            "Split the content on headings up to this depth (chunks in JSON).",
                            (v, t) -> t.chunkDepth = chunkDepth(v)),
                    option(
                            "X-Pages",
                            "--pages",
                            "3, 2-5, 7-, 1,4-6",
                            "PDF pages to read.",
                            (v, t) -> t.options.pages(pages(v))),
                    option(
                            "X-Md-Heading-Style",
                            "--md-heading-style",
                            "atx | setext",
                            "Markdown headings.",
                            (v, t) ->
                                    t.markdown.headingStyle(
                                            v.choice(MarkdownOptions.HeadingStyle.class))),
                    option(
                            "X-Md-Hr",
                            "--md-hr",
                            "---, ***, ___, - - -, * * *, _ _ _",
                            "Thematic breaks.",
                            (v, t) ->
                                    t.markdown.hr(
                                            v.oneOf(
                                                    "---", "***", "___", "- - -", "* * *",
                                                    "_ _ _"))),
                    option(
                            "X-Md-Bullet-List-Marker",
                            "--md-bullet-list-marker",
                            "- | * | +",
                            "Bullets.",
                            (v, t) -> t.markdown.bulletListMarker(v.oneOf("-", "*", "+"))),
                    option(
                            "X-Md-Code-Block-Style",
                            "--md-code-block-style",
                            "fenced | indented",
                            "Code blocks.",
                            (v, t) ->
                                    t.markdown.codeBlockStyle(
                                            v.choice(MarkdownOptions.CodeBlockStyle.class))),
                    option(
                            "X-Md-Fence",
                            "--md-fence",
                            "``` | ~~~",
                            "Code fences.",
                            (v, t) -> t.markdown.fence(v.oneOf("```", "~~~"))),
                    option(
                            "X-Md-Em-Delimiter",
                            "--md-em-delimiter",
                            "_ | *",
                            "Emphasis.",
                            (v, t) -> t.markdown.emDelimiter(v.oneOf("_", "*"))),
                    option(
                            "X-Md-Strong-Delimiter",
                            "--md-strong-delimiter",
                            "** | __",
                            "Strong emphasis.",
                            (v, t) -> t.markdown.strongDelimiter(v.oneOf("**", "__"))),
                    option(
                            "X-Md-Link-Style",
                            "--md-link-style",
                            "inlined | referenced | discarded",
                            "Links inline, as references at the end, or text only.",
                            (v, t) ->
                                    t.markdown.linkStyle(
                                            v.choice(MarkdownOptions.LinkStyle.class))),
                    option(
                            "X-Md-Link-Reference-Style",
                            "--md-link-reference-style",
                            "full | collapsed | shortcut | discarded",
                            "Reference links' form; discarded drops the definitions.",
                            ReaderOptions::linkReferenceStyle),
                    option(
                            "X-Inject-Page-Script",
                            List.of("X-Inject-Page-Scripts"),
                            null,
                            "JavaScript (body field injectPageScript: a string or an array)",
                            "Scripts the browser runs in the page before reading it, sandboxed"
                                    + " behind the same network guard.",
                            (v, t) -> t.fetch.pageScripts(pageScripts(v))),
                    option(
                            "X-Viewport",
                            null,
                            "WIDTHxHEIGHT, or the body object {width, height, deviceScaleFactor,"
                                    + " isMobile, isLandscape, hasTouch}",
                            "The browser's viewport.",
                            (v, t) -> t.fetch.viewport(viewport(v))),
                    option(
                            "X-Instruction",
                            "--instruction",
                            "text",
                            "What a language model extracts, with X-Json-Schema (needs --lm-url).",
                            (v, t) -> t.options.instruction(v.text())),
                    option(
                            "X-Json-Schema",
                            null,
                            "a JSON Schema (body field jsonSchema: an object or a string)",
                            "A language model answers in JSON that follows this schema (needs"
                                    + " --lm-url).",
                            (v, t) -> t.options.jsonSchema(v.json())));

    /** The table as the API document shows it. */
    static List<dev.plinth.server.openapi.OpenApi.ReaderOption> documented() {
        return ALL.stream()
                .map(o ->
                        new dev.plinth.server.openapi.OpenApi.ReaderOption(
                                o.header(), o.aliases(), o.field(), o.values(), o.help()))
                .toList();
    }

    private static final Pattern PAGES = Pattern.compile("\\d+(-\\d*)?(,\\d+(-\\d*)?)*");

    /** Cookies split on commas, except those inside an attribute such as {@code Expires=…}. */
    private static final Pattern COOKIE_SEPARATOR = Pattern.compile(",\\s*(?=[^;,=\\s]+=)");

    private ReaderOptions() {}

    private static Option option(
            String header, String flag, String values, String help, BiConsumer<Value, Target> set) {
        return new Option(header, List.of(), flag, values, help, set);
    }

    private static Option option(
            String header,
            List<String> aliases,
            String flag,
            String values,
            String help,
            BiConsumer<Value, Target> set) {
        return new Option(header, aliases, flag, values, help, set);
    }

    /**
     * The options of one request: headers and, for POST, body fields (a field wins over its
     * header). Jina's body shapes are read too: {@code markdown: {headingStyle…}}, {@code viewport:
     * {…}}, {@code injectPageScript}, {@code instruction}, {@code jsonSchema}.
     *
     * @param headers all values of a header by name (case-insensitive), empty when absent
     * @param body the POST body as a JSON object (form fields become strings), or null
     */
    static ReadParams parse(
            Function<String, List<String>> headers, JsonNode body, ServerSide server) {
        Target t = new Target(server);
        for (Option option : ALL) {
            Value value = Value.of(option, headers, body);
            if (value != null) {
                option.set().accept(value, t);
            }
        }
        return finish(t);
    }

    /** The options from values already split by option (the command line's flags). */
    static ReadParams parse(Map<Option, List<String>> given, ServerSide server) {
        Target t = new Target(server);
        for (Option option : ALL) {
            List<String> values = given.get(option);
            if (values != null && !values.isEmpty()) {
                option.set().accept(new Value(option.header(), values, null), t);
            }
        }
        return finish(t);
    }

    /** Rules that span options, then the built options. */
    private static ReadParams finish(Target t) {
        if (t.noCache) {
            t.fetch.cacheTolerance(Duration.ZERO);
        } else if (t.cacheTolerance != null) {
            t.fetch.cacheTolerance(t.cacheTolerance);
        }
        if (t.generatedAlt) {
            // As in Jina's reader: generated alt text is the all_p image mode.
            t.options.withGeneratedAlt(true);
            t.markdown.images(MarkdownOptions.Images.ALL_P);
        }
        if (t.formats.contains(Options.Format.READERLM_V2)
                || t.formats.contains(Options.Format.VLM)) {
            if (t.formats.contains(Options.Format.CONTENT)
                    || t.formats.contains(Options.Format.MARKDOWN)) {
                throw ApiException.badParameter(
                        "X-Respond-With: the language-model formats cannot be combined with"
                                + " content or markdown");
            }
        }
        t.options.targetSelector(t.targetSelectors);
        FetchOptions fetch = t.fetch.build();
        // As Jina's reader does, a browser waits for what it is asked to read.
        if (fetch.engine() == FetchOptions.Engine.BROWSER
                && fetch.waitForSelector().isEmpty()
                && !t.targetSelectors.isEmpty()) {
            fetch = fetch.toBuilder().waitForSelector(t.targetSelectors).build();
        }
        t.options.fetch(fetch);
        t.options.markdown(t.markdown.build());
        if (!t.formats.isEmpty()) {
            t.options.formats(t.formats);
        }
        return new ReadParams(t.options.build(), t.tokenBudget, t.chunkDepth);
    }

    // ---- values ---------------------------------------------------------------------------------

    /**
     * One option's value as a request gave it: header values, or a body field (a string, number,
     * boolean, array of those, or an object for the options that take one).
     */
    record Value(String name, List<String> strings, JsonNode node) {

        /** The option's value in this request, or null when the request does not set it. */
        static Value of(Option option, Function<String, List<String>> headers, JsonNode body) {
            List<String> names = new ArrayList<>();
            names.add(option.header());
            names.addAll(option.aliases());
            if (body != null) {
                for (String name : names) {
                    JsonNode field = bodyField(body, name);
                    if (field != null && !field.isNull()) {
                        return new Value(camelCase(name), strings(name, field), field);
                    }
                }
            }
            for (String name : names) {
                List<String> header = headers.apply(name);
                if (header != null && !header.isEmpty()) {
                    List<String> values =
                            header.stream().map(String::strip).filter(v -> !v.isEmpty()).toList();
                    return values.isEmpty() ? null : new Value(name, values, null);
                }
            }
            return null;
        }

        /** A header's body field: its camelCase name, or a key of Jina's nested objects. */
        private static JsonNode bodyField(JsonNode body, String header) {
            JsonNode direct = body.get(camelCase(header));
            if (direct != null) {
                return direct;
            }
            return switch (header) {
                case "X-Set-Cookie" -> body.get("setCookies");
                case "X-Inject-Page-Script" -> body.get("injectPageScript");
                case "X-Viewport" -> body.get("viewport");
                case "X-Instruction" -> body.get("instruction");
                case "X-Json-Schema" -> body.get("jsonSchema");
                case "DNT" -> body.get("doNotTrack");
                default -> {
                    // Jina's body puts Turndown's options in one object: markdown.headingStyle.
                    JsonNode markdown = body.get("markdown");
                    yield markdown != null && markdown.isObject() && header.startsWith("X-Md-")
                            ? markdown.get(camelCase("X-" + header.substring(5)))
                            : null;
                }
            };
        }

        private static List<String> strings(String name, JsonNode field) {
            List<String> out = new ArrayList<>();
            if (field.isArray()) {
                for (JsonNode item : field) {
                    if (!item.isValueNode()) {
                        throw ApiException.badParameter(
                                camelCase(name) + " must hold strings, numbers or booleans");
                    }
                    out.add(item.asText().strip());
                }
            } else if (field.isValueNode()) {
                out.add(field.asText().strip());
            }
            return out;
        }

        /** The single value (several header values joined by commas). */
        String text() {
            if (strings.isEmpty()) {
                throw ApiException.badParameter(name + " must be a string");
            }
            return String.join(",", strings);
        }

        /** Every value, as given. */
        List<String> list() {
            return strings;
        }

        /** The value as JSON text: an object field as it is, a string as given. */
        String json() {
            if (node != null && (node.isObject() || node.isArray())) {
                return node.toString();
            }
            return text();
        }

        boolean is(String word) {
            return strings.size() == 1 && strings.getFirst().equalsIgnoreCase(word);
        }

        boolean bool() {
            String v = text().toLowerCase(Locale.ROOT);
            return switch (v) {
                case "true", "1", "yes" -> true;
                case "false", "0", "no" -> false;
                default ->
                        throw ApiException.badParameter(
                                name + " must be true/1/yes or false/0/no, not \"" + v + "\"");
            };
        }

        <E extends Enum<E>> E choice(Class<E> type) {
            String v = text().strip().replace('-', '_');
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(v)) {
                    return e;
                }
            }
            throw ApiException.badParameter(
                    name
                            + " must be one of "
                            + Arrays.stream(type.getEnumConstants())
                                    .map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-'))
                                    .toList()
                            + ", not \""
                            + text()
                            + "\"");
        }

        String oneOf(String... allowed) {
            String v = text();
            for (String a : allowed) {
                if (a.equals(v)) {
                    return a;
                }
            }
            throw ApiException.badParameter(
                    name + " must be one of " + Arrays.toString(allowed) + ", not \"" + v + "\"");
        }

        int integer(int min, int max) {
            try {
                long n = Long.parseLong(text().strip());
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
                            + text()
                            + "\"");
        }

        double number() {
            try {
                double n = Double.parseDouble(text().strip());
                if (Double.isFinite(n)) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw ApiException.badParameter(
                    name + " must be a number of seconds, not \"" + text() + "\"");
        }
    }

    // ---- typed values -------------------------------------------------------------------------

    private static Set<Options.Format> formats(Value v) {
        Set<Options.Format> formats = EnumSet.noneOf(Options.Format.class);
        for (String raw : v.list()) {
            for (String name : raw.split(",")) {
                if (name.isBlank()) {
                    continue;
                }
                Options.Format format = Options.Format.of(name);
                if (format == null) {
                    throw ApiException.badParameter(
                            v.name()
                                    + " must be one or more of "
                                    + Arrays.stream(Options.Format.values())
                                            .map(Options.Format::wire)
                                            .toList()
                                    + ", not \""
                                    + name.strip()
                                    + "\"");
                }
                formats.add(format);
            }
        }
        return formats;
    }

    /** Jina's engines: {@code curl} is the direct fetch, the Cloudflare renderer the browser. */
    private static void engine(Value v, Target t) {
        switch (v.text().strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> t.fetch.engine(FetchOptions.Engine.AUTO);
            case "direct", "curl" -> t.fetch.engine(FetchOptions.Engine.DIRECT);
            case "browser", "cf-browser-rendering" -> t.fetch.engine(FetchOptions.Engine.BROWSER);
            case "readerlm-v2" -> t.formats.add(Options.Format.READERLM_V2);
            case "vlm" -> {
                t.fetch.engine(FetchOptions.Engine.BROWSER);
                t.formats.add(Options.Format.VLM);
            }
            default ->
                    throw ApiException.badParameter(
                            v.name()
                                    + " must be one of [auto, browser, direct, curl,"
                                    + " cf-browser-rendering, readerlm-v2, vlm], not \""
                                    + v.text()
                                    + "\"");
        }
    }

    /**
     * CSS selector lists (one per header line or array item; each may hold commas), checked now so
     * a typo or an over-costly selector is a 400 rather than a failed read.
     */
    private static List<String> selectors(Value v) {
        List<String> out = new ArrayList<>();
        int length = 0;
        for (String raw : v.list()) {
            String s = raw.strip();
            if (s.isEmpty()) {
                continue;
            }
            length += s.length();
            if (length > Selectors.MAX_LENGTH || out.size() == Selectors.MAX_SELECTORS) {
                throw ApiException.badParameter(
                        v.name()
                                + " is over the limit of "
                                + Selectors.MAX_LENGTH
                                + " characters and "
                                + Selectors.MAX_SELECTORS
                                + " selectors");
            }
            try {
                Selectors.compile(s);
            } catch (IllegalArgumentException e) {
                throw ApiException.badParameter(
                        v.name() + " has an invalid CSS selector \"" + s + "\": " + e.getMessage());
            }
            out.add(s);
        }
        return out;
    }

    /**
     * Page scripts, blank ones dropped, within the browser's bounds: a 400 here rather than a
     * failed read.
     */
    private static List<String> pageScripts(Value v) {
        List<String> out = new ArrayList<>();
        long chars = 0;
        for (String script : v.list()) {
            if (script.isBlank()) {
                continue;
            }
            out.add(script);
            chars += script.length();
        }
        if (out.size() > FetchOptions.MAX_PAGE_SCRIPTS
                || chars > FetchOptions.MAX_PAGE_SCRIPT_CHARS) {
            throw ApiException.badParameter(
                    v.name()
                            + " is over the limit of "
                            + FetchOptions.MAX_PAGE_SCRIPTS
                            + " scripts and "
                            + FetchOptions.MAX_PAGE_SCRIPT_CHARS
                            + " characters in all: "
                            + out.size()
                            + " scripts of "
                            + chars
                            + " characters");
        }
        return out;
    }

    private static List<String> cookies(Value v) {
        List<String> out = new ArrayList<>();
        for (String raw : v.list()) {
            for (String cookie : COOKIE_SEPARATOR.split(raw)) {
                String c = cookie.strip();
                if (c.isEmpty()) {
                    continue;
                }
                if (c.indexOf('=') <= 0) {
                    throw ApiException.badParameter(
                            v.name() + " must be name=value cookies, not \"" + c + "\"");
                }
                out.add(c);
            }
        }
        return out;
    }

    /** Exactly the proxy forms the fetcher can use (its own parser judges them). */
    private static String proxyUrl(Value v) {
        try {
            ProxyUrl.parse(v.text());
            return v.text().strip();
        } catch (IllegalArgumentException e) {
            throw ApiException.badParameter(v.name() + ": " + e.getMessage());
        }
    }

    /** {@code X-Proxy}: one of the proxies the operator configured, by country or the default. */
    private static void serverProxy(Value v, Target t) {
        String want = v.text().strip().toLowerCase(Locale.ROOT);
        if (want.equals("none") || want.equals("false") || want.equals("0") || want.equals("no")) {
            return;
        }
        Map<String, String> proxies = t.server.proxies();
        if (proxies.isEmpty()) {
            throw ApiException.badParameter(
                    v.name()
                            + " asks for a proxy of this server, and none is configured (the"
                            + " operator sets them with --proxy); send X-Proxy-Url to name your own");
        }
        String key =
                switch (want) {
                    case "auto", "any", "true", "1", "yes" -> "";
                    default -> want;
                };
        String url = proxies.get(key);
        if (url == null && key.isEmpty()) {
            url = proxies.values().iterator().next();
        }
        if (url == null) {
            throw ApiException.badParameter(
                    v.name()
                            + " has no proxy for \""
                            + want
                            + "\"; this server has "
                            + proxies.keySet().stream()
                                    .map(k -> k.isEmpty() ? "auto" : k)
                                    .sorted()
                                    .toList());
        }
        t.fetch.proxyUrl(url);
    }

    /** {@code X-Robots-Txt} names the user agent to check as; a plain yes checks as plinth. */
    private static String robotsAgent(Value v) {
        return switch (v.text().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> "plinth";
            case "false", "0", "no", "" -> null;
            default -> v.text();
        };
    }

    private static void linkReferenceStyle(Value v, Target t) {
        if (v.is("discarded")) {
            t.markdown.linkStyle(MarkdownOptions.LinkStyle.DISCARDED);
        } else {
            t.markdown.linkReferenceStyle(v.choice(MarkdownOptions.LinkReferenceStyle.class));
        }
    }

    private static int chunkDepth(Value v) {
        return switch (v.text().toLowerCase(Locale.ROOT)) {
            case "false", "0", "no" -> 0;
            case "true", "yes" -> 2;
            default -> v.integer(1, 6);
        };
    }

    private static String pages(Value v) {
        String pages = v.text();
        if (!PAGES.matcher(pages).matches()) {
            throw ApiException.badParameter(
                    v.name()
                            + " must be PDF pages such as 3, 2-5, 7- or 1,4-6, not \""
                            + pages
                            + "\"");
        }
        return pages;
    }

    /** {@code 800x600}, or Jina's body object. */
    private static FetchOptions.Viewport viewport(Value v) {
        JsonNode n = v.node();
        if (n != null && n.isObject()) {
            int width = n.path("width").asInt(FetchOptions.Viewport.DEFAULT.width());
            int height = n.path("height").asInt(FetchOptions.Viewport.DEFAULT.height());
            double scale = n.path("deviceScaleFactor").asDouble(0);
            checkViewport(v, width, height, scale);
            return new FetchOptions.Viewport(
                    width,
                    height,
                    scale,
                    n.path("isMobile").asBoolean(false),
                    n.path("isLandscape").asBoolean(false),
                    n.path("hasTouch").asBoolean(false));
        }
        String[] parts = v.text().toLowerCase(Locale.ROOT).split("x");
        try {
            if (parts.length == 2) {
                int width = Integer.parseInt(parts[0].strip());
                int height = Integer.parseInt(parts[1].strip());
                checkViewport(v, width, height, 0);
                return new FetchOptions.Viewport(width, height, 0, false, false, false);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw ApiException.badParameter(
                v.name() + " must be WIDTHxHEIGHT such as 1280x800, not \"" + v.text() + "\"");
    }

    private static void checkViewport(Value v, int width, int height, double scale) {
        if (width < 100
                || width > 4096
                || height < 100
                || height > 4096
                || scale < 0
                || scale > 4) {
            throw ApiException.badParameter(
                    v.name()
                            + " must be 100 to 4096 pixels each way with a scale factor up to 4, not "
                            + width
                            + "x"
                            + height
                            + (scale > 0 ? " at " + scale : ""));
        }
    }

    /** {@code X-Md-Heading-Style} → {@code mdHeadingStyle}: the body field of a header. */
    static String camelCase(String header) {
        String name = header.regionMatches(true, 0, "X-", 0, 2) ? header.substring(2) : header;
        String[] parts = name.split("-");
        StringBuilder out = new StringBuilder(parts[0].toLowerCase(Locale.ROOT));
        for (int i = 1; i < parts.length; i++) {
            out.append(parts[i].substring(0, 1).toUpperCase(Locale.ROOT))
                    .append(parts[i].substring(1).toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }
}
