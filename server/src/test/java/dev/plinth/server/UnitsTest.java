package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.reader.Options;
import dev.plinth.reader.markdown.MarkdownOptions;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The server's small pure parts: target repair, option parsing, chunking, the token bucket. */
class UnitsTest {

    @Test
    void targetUrlRepairs() {
        assertEquals(
                URI.create("https://example.com/a?b=1"),
                TargetUrl.fromRequest("/https://example.com/a", "b=1"));
        assertEquals(
                URI.create("https://example.com/a"),
                TargetUrl.fromRequest("/https%3A%2F%2Fexample.com%2Fa", null));
        assertEquals(
                URI.create("https://example.com/"),
                TargetUrl.parse("view-source:https://example.com/"));
        assertEquals(
                URI.create("https://example.com/x"),
                TargetUrl.parse("https://https://example.com/x"));
        assertEquals(URI.create("http://example.com/x"), TargetUrl.parse("http:/example.com/x"));
        assertEquals(URI.create("https://example.com/x"), TargetUrl.parse("example.com/x"));
        assertEquals(URI.create("https://localhost:8080/x"), TargetUrl.parse("localhost:8080/x"));
        assertEquals(
                "https://example.com/a%20b", TargetUrl.parse("https://example.com/a b").toString());
        assertEquals(400, assertThrows(ApiException.class, () -> TargetUrl.parse("")).status());
        assertEquals(
                451,
                assertThrows(ApiException.class, () -> TargetUrl.parse("javascript:alert(1)"))
                        .status());
    }

    @Test
    void anEncodedTargetWithABrokenEscapeIs400() {
        // Found by fuzz-campaign: URLDecoder's IllegalArgumentException left the parser.
        for (String target : List.of("https%3A%F", "https%3A%2F%rFexample.com")) {
            ApiException e = assertThrows(ApiException.class, () -> TargetUrl.parse(target));
            assertEquals(400, e.status());
            assertTrue(e.getMessage().contains("percent-encoded"), e.getMessage());
        }
    }

    @Test
    void optionsFromHeadersAndBody() throws Exception {
        Map<String, List<String>> headers =
                Map.of(
                        "X-Respond-With",
                        List.of("markdown"),
                        "X-Timeout",
                        List.of("7"),
                        "X-Remove-Selector",
                        List.of("nav, .ad", "footer"),
                        "X-Set-Cookie",
                        List.of("a=1; Expires=Wed, 21 Oct 2030 07:28:00 GMT, b=2"),
                        "X-Md-Link-Style",
                        List.of("Referenced"));
        ReadParams p =
                ReaderOptions.parse(
                        n -> headers.getOrDefault(n, List.of()),
                        new ObjectMapper()
                                .readTree(
                                        "{\"respondWith\":\"html\",\"withImagesSummary\":true,\"maxTokens\":50,"
                                                + "\"targetSelector\":[\"main\",\"article\"],\"markdownChunking\":3}"),
                        ReaderOptions.ServerSide.NONE);
        Options o = p.options();
        assertEquals(Set.of(Options.Format.HTML), o.formats(), "a body field wins over its header");
        assertEquals(Duration.ofSeconds(7), o.fetch().timeout());
        assertEquals(List.of("nav, .ad", "footer"), o.removeSelector());
        assertEquals(List.of("main", "article"), o.targetSelector());
        assertEquals(
                List.of("a=1; Expires=Wed, 21 Oct 2030 07:28:00 GMT", "b=2"), o.fetch().cookies());
        assertEquals(MarkdownOptions.LinkStyle.REFERENCED, o.markdown().linkStyle());
        assertTrue(o.withImagesSummary());
        assertEquals(50, o.maxTokens());
        assertEquals(3, p.chunkDepth());
        assertEquals(Duration.ofHours(1), o.fetch().cacheTolerance());
        assertEquals("mdLinkReferenceStyle", ReaderOptions.camelCase("X-Md-Link-Reference-Style"));
    }

    @Test
    void chunksSplitOnHeadingsButNotInCode() {
        String md =
                "intro text\n\n# One\n\nbody one\n\n```\n# not a heading\n```\n\n## Two\n\nbody two\n\n### Three\n\nbody three";
        assertEquals(
                List.of(
                        "intro text",
                        "# One\n\nbody one\n\n```\n# not a heading\n```",
                        "## Two\n\nbody two\n\n### Three\n\nbody three"),
                MarkdownChunks.split(md, 2));
        assertEquals(4, MarkdownChunks.split(md, 3).size());
        assertEquals(
                List.of("Title\n=====\n\ntext", "Sub\n---\n\nmore"),
                MarkdownChunks.split("Title\n=====\n\ntext\n\nSub\n---\n\nmore", 2));
    }

    @Test
    void tokenBucketRefillsAtItsRate() {
        AtomicLong now = new AtomicLong();
        RateLimiter limiter = new LocalRateLimiter(60, now::get);
        for (int i = 0; i < 60; i++) {
            assertEquals(0, limiter.acquire("a"));
        }
        assertEquals(1, limiter.acquire("a"));
        assertEquals(0, limiter.acquire("b"));
        now.addAndGet(1_000_000_000L);
        assertEquals(0, limiter.acquire("a"));
        assertEquals(1, limiter.acquire("a"));
        assertEquals(0, new LocalRateLimiter(0).acquire("x"), "0 disables the limit");
    }
}
