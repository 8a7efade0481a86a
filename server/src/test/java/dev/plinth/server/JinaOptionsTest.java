package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every option value of Jina's reader (from its {@code crawler-options.ts}), sent as a header, with
 * the status and the effect plinth answers with. Values that need Chromium are checked here for
 * their answer on a server without one (a 400 that names what is missing); their effect is checked
 * against a real browser in the browser tests. Values that need a language model answer a 4xx
 * naming the flag that configures one.
 */
class JinaOptionsTest {

    @TempDir static Path cacheDir;
    static TestSite site;
    static Plinth plinth;

    static final String PAGE =
            """
            <html><head><title>Options page</title></head><body>
            <nav><a href="/home">Home</a> <a href="/about">About</a></nav>
            <article><h1>Harbour tides</h1>
            <p>The harbour floods twice a day, and the <a href="/tides">tide tables</a> say when;
            fishermen read them before every trip, as their fathers did, and the quay is busy at
            the turn of the tide when the boats go out and come back with the catch.</p>
            <p>A second paragraph explains that the <a href="/tides">tables</a> are printed each
            winter for the year ahead, and that the harbour master keeps a copy on the wall.</p>
            <img src="data:image/png;base64,iVBORw0KGgo=" alt="Harbour chart">
            <img src="/img/boat.png">
            <table><tr><th>Day</th><th>High water</th></tr><tr><td>Monday</td><td>06:12</td></tr>
            <tr><td>Tuesday</td><td>06:58</td></tr></table>
            <p>Strike through <del>old</del> times when the tables change.</p>
            </article></body></html>
            """;

    @BeforeAll
    static void start() throws IOException {
        site = new TestSite();
        site.page("/options", PAGE);
        site.start();
        plinth = Plinth.start(Plinth.config(cacheDir));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.close();
    }

    private static Arguments row(
            String header, String value, int status, Predicate<JsonNode> effect) {
        return Arguments.of(header, value, status, effect);
    }

    private static Predicate<JsonNode> content(String... fragments) {
        return data ->
                Stream.of(fragments).allMatch(f -> data.path("content").asText().contains(f));
    }

    private static Predicate<JsonNode> message(String fragment) {
        return error -> error.path("message").asText().contains(fragment);
    }

    static Stream<Arguments> values() {
        return Stream.of(
                // X-Respond-With and X-Return-Format
                row(
                        "X-Respond-With",
                        "content",
                        200,
                        content("twice a day").and(d -> !d.has("html"))),
                row("X-Respond-With", "markdown", 200, content("Harbour tides", "[Home]")),
                row(
                        "X-Respond-With",
                        "html",
                        200,
                        d -> d.path("html").asText().contains("<nav>") && !d.has("content")),
                row(
                        "X-Respond-With",
                        "text",
                        200,
                        d ->
                                d.path("text").asText().contains("Home")
                                        && !d.path("text").asText().contains("<")),
                row(
                        "X-Respond-With",
                        "content-html",
                        200,
                        d -> d.path("content").asText().startsWith("<")),
                row(
                        "X-Respond-With",
                        "content-text",
                        200,
                        content("twice a day")
                                .and(d -> !d.path("content").asText().contains("[tide"))),
                row("X-Respond-With", "markdown,html", 200, d -> d.has("content") && d.has("html")),
                row("X-Respond-With", "content,text", 200, d -> d.has("content") && d.has("text")),
                row("X-Return-Format", "text", 200, d -> d.has("text")),
                row("X-Respond-With", "screenshot", 400, message("browser")),
                row("X-Respond-With", "pageshot", 400, message("browser")),
                row("X-Respond-With", "readerlm-v2", 400, message("--lm-url")),
                row("X-Respond-With", "vlm", 400, message("--vlm-url")),
                row("X-Respond-With", "readerlm-v2,markdown", 400, message("cannot be combined")),
                // X-Engine
                row("X-Engine", "auto", 200, content("twice a day")),
                row("X-Engine", "direct", 200, content("twice a day")),
                row("X-Engine", "curl", 200, content("twice a day")),
                row("X-Engine", "browser", 400, message("browser")),
                row("X-Engine", "cf-browser-rendering", 400, message("browser")),
                row("X-Engine", "readerlm-v2", 400, message("--lm-url")),
                row("X-Engine", "vlm", 400, message("--vlm-url")),
                // X-Timeout: clamped as Jina clamps
                row("X-Timeout", "0", 200, content("twice a day")),
                row("X-Timeout", "999", 200, content("twice a day")),
                row("X-Timeout", "5", 200, content("twice a day")),
                // X-Retain-Images
                row(
                        "X-Retain-Images",
                        "all",
                        200,
                        content("![Image 1: Harbour chart](blob:http://localhost/", "![Image 2](")),
                row(
                        "X-Retain-Images",
                        "none",
                        200,
                        d -> !d.path("content").asText().contains("Image")),
                row("X-Retain-Images", "alt", 200, content("(Image 1: Harbour chart)")),
                row(
                        "X-Retain-Images",
                        "all_p",
                        200,
                        content("![Image 1: Harbour chart]")
                                .and(d -> d.path("warning").asText().contains("--vlm-url"))),
                row(
                        "X-Retain-Images",
                        "alt_p",
                        200,
                        content("(Image 1: Harbour chart)")
                                .and(d -> d.path("warning").asText().contains("--vlm-url"))),
                row("X-Keep-Img-Data-Url", "true", 200, content("](data:image/png;base64,")),
                row("X-With-Generated-Alt", "true", 400, message("--vlm-url")),
                // Retain links
                row("X-Retain-Links", "all", 200, content("[tide tables](")),
                row(
                        "X-Retain-Links",
                        "text",
                        200,
                        content("the tide tables say")
                                .and(d -> !d.path("content").asText().contains("[tide"))),
                row(
                        "X-Retain-Links",
                        "none",
                        200,
                        d -> !d.path("content").asText().contains("tide tables")),
                // Summaries
                row(
                        "X-With-Links-Summary",
                        "true",
                        200,
                        d -> d.path("links").isObject() && d.path("links").size() == 3),
                row(
                        "X-With-Links-Summary",
                        "all",
                        200,
                        d -> d.path("links").isArray() && d.path("links").size() == 4),
                row(
                        "X-With-Images-Summary",
                        "true",
                        200,
                        d -> d.path("images").has("Image 1: Harbour chart")),
                // GFM
                row(
                        "X-No-Gfm",
                        "true",
                        200,
                        d ->
                                !d.path("content").asText().contains("| Day")
                                        && !d.path("content").asText().contains("~~")),
                row("X-No-Gfm", "table", 200, content("<table", "~~old~~")),
                row("X-No-Gfm", "false", 200, content("| Day", "~~old~~")),
                // Browser-only options, without a browser
                row("X-With-Iframe", "true", 400, message("browser")),
                row("X-With-Iframe", "quoted", 400, message("browser")),
                row("X-With-Shadow-Dom", "true", 400, message("browser")),
                row("X-Wait-For-Selector", "#late", 400, message("browser")),
                row("X-Respond-Timing", "html", 200, content("twice a day")),
                row("X-Respond-Timing", "visible-content", 200, content("twice a day")),
                row("X-Respond-Timing", "mutation-idle", 400, message("browser")),
                row("X-Respond-Timing", "resource-idle", 400, message("browser")),
                row("X-Respond-Timing", "media-idle", 400, message("browser")),
                row("X-Respond-Timing", "network-idle", 400, message("browser")),
                row("X-Viewport", "800x600", 400, message("browser")),
                row("X-Inject-Page-Script", "document.title='x'", 400, message("browser")),
                // Selectors, cache, tokens, proxies
                row(
                        "X-Target-Selector",
                        "table",
                        200,
                        content("| Day")
                                .and(d -> !d.path("content").asText().contains("twice a day"))),
                row(
                        "X-Remove-Selector",
                        "table",
                        200,
                        d -> !d.path("content").asText().contains("| Day")),
                row("X-No-Cache", "true", 200, content("twice a day")),
                row("X-Cache-Tolerance", "60", 200, content("twice a day")),
                row("DNT", "1", 200, content("twice a day")),
                row(
                        "X-Max-Output-Tokens",
                        "5",
                        200,
                        d -> d.path("usage").path("tokens").asInt() <= 5),
                row("X-Max-Tokens", "5", 200, d -> d.path("usage").path("tokens").asInt() <= 5),
                row("X-Token-Budget", "3", 409, message("X-Token-Budget")),
                row("X-Proxy", "de", 400, message("--proxy")),
                row("X-Proxy", "none", 200, content("twice a day")),
                row("X-Base", "final", 200, content("twice a day")),
                row("X-Locale", "de-DE", 200, content("twice a day")),
                row("X-Referer", "https://referer.example/", 200, content("twice a day")),
                row("X-User-Agent", "OptionsTest/1.0", 200, content("twice a day")),
                row("X-Set-Cookie", "session=1; Path=/", 200, content("twice a day")),
                row("X-Robots-Txt", "true", 200, content("twice a day")),
                row(
                        "X-Md-Link-Reference-Style",
                        "discarded",
                        200,
                        content("tide tables")
                                .and(d -> !d.path("content").asText().contains("[tide"))));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("values")
    void everyJinaOptionValueIsAcceptedWithItsEffect(
            String header, String value, int status, Predicate<JsonNode> effect) throws Exception {
        HttpResponse<String> r =
                plinth.get("/" + site.url("/options"), header, value, "Accept", "application/json");
        assertEquals(status, r.statusCode(), r.body());
        JsonNode body = Plinth.json(r);
        JsonNode checked = status == 200 ? body.path("data") : body;
        assertTrue(effect.test(checked), header + ": " + value + " → " + checked);
    }

    @ParameterizedTest(name = "body field {0}")
    @MethodSource("bodies")
    void jinaBodyShapesAreRead(String field, String json, int status, String expect)
            throws Exception {
        HttpResponse<String> r =
                plinth.postJson(
                        "/",
                        "{\"url\":\"" + site.url("/options") + "\"," + json + "}",
                        "Accept",
                        "application/json");
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.body().contains(expect), r.body());
    }

    static Stream<Arguments> bodies() {
        return Stream.of(
                Arguments.of(
                        "viewport", "\"viewport\":{\"width\":800,\"height\":600}", 400, "browser"),
                Arguments.of("injectPageScript", "\"injectPageScript\":[\"1\"]", 400, "browser"),
                Arguments.of("instruction", "\"instruction\":\"the tide times\"", 400, "--lm-url"),
                Arguments.of("jsonSchema", "\"jsonSchema\":{\"type\":\"object\"}", 400, "--lm-url"),
                Arguments.of(
                        "markdown",
                        "\"respondWith\":\"markdown\",\"markdown\":{\"headingStyle\":\"setext\"}",
                        200,
                        "Harbour tides\\n============="),
                Arguments.of("respondWith", "\"respondWith\":\"markdown,text\"", 200, "\"text\""),
                Arguments.of(
                        "withLinksSummary", "\"withLinksSummary\":\"all\"", 200, "\"links\":[["));
    }

    @ParameterizedTest(name = "compound {0} in text")
    @MethodSource("compound")
    void severalFormatsNeedJsonOrEventStream(String formats) throws Exception {
        HttpResponse<String> r = plinth.get("/" + site.url("/options"), "X-Respond-With", formats);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("application/json"), r.body());
    }

    static Stream<String> compound() {
        return Stream.of("markdown,html", "content,text");
    }

    @ParameterizedTest(name = "DNT keeps {0} out of the cache")
    @MethodSource("dnt")
    void doNotTrackKeepsThePageOutOfTheCache(String path) throws Exception {
        site.page(path, PAGE);
        assertEquals(
                "MISS",
                plinth.get("/" + site.url(path), "DNT", "1")
                        .headers()
                        .firstValue("X-Cache")
                        .orElseThrow());
        assertEquals(
                "MISS",
                plinth.get("/" + site.url(path)).headers().firstValue("X-Cache").orElseThrow());
        assertEquals(
                "HIT",
                plinth.get("/" + site.url(path)).headers().firstValue("X-Cache").orElseThrow());
        assertFalse(site.hits(path) > 2);
    }

    static Stream<String> dnt() {
        return Stream.of("/dnt-page");
    }

    /** Every header the table knows is documented where users look. */
    @ParameterizedTest(name = "README lists {0}")
    @MethodSource("headers")
    void theReadmeDocumentsEveryOption(String header) throws Exception {
        String readme = java.nio.file.Files.readString(Path.of("../README.md"));
        assertTrue(readme.contains("`" + header + "`"), header + " is missing from the README");
    }

    static Stream<String> headers() {
        return ReaderOptions.ALL.stream().map(ReaderOptions.Option::header);
    }
}
