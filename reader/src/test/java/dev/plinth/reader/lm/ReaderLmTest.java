package dev.plinth.reader.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReaderLmTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final URI PAGE = URI.create("https://example.com/news/story");

    private static final String SMALL_PAGE =
            "<!doctype html><html><head><title>T</title><meta charset=\"utf-8\">"
                    + "<script>track()</script><style>p{}</style><link rel=\"icon\" href=\"i.png\">"
                    + "</head><body><!-- nav --><h1>Hello</h1><p>World <a href=\"/x\">link</a></p>"
                    + "<svg width=\"8\"><path d=\"M0\"></path></svg>"
                    + "<img src=\"data:image/png;base64,AAAA\" alt=\"a\"></body></html>";

    private static final String SCHEMA =
            "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"},"
                    + "\"count\":{\"type\":\"integer\"}},\"required\":[\"title\",\"count\"]}";

    private FakeBackend backend;

    @BeforeEach
    void start() throws IOException {
        backend = new FakeBackend();
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    private ReaderLm engine(ReaderLm.Builder builder) {
        return new ReaderLm(builder.build());
    }

    private ReaderLm.Builder settings() {
        return ReaderLm.Settings.builder(new ReaderLm.Backend(backend.url(), "readerlm-v2", null));
    }

    @Test
    void sendsTheModelCardMarkdownPromptForACleanedPage() throws Exception {
        backend.script(FakeBackend.text("# Hello\n\nWorld [link](https://example.com/x)"));
        try (ReaderLm lm = engine(settings())) {
            ReaderLm.Output out = lm.read(ReaderLm.Input.markdown(SMALL_PAGE, PAGE), TIMEOUT);
            assertEquals("# Hello\n\nWorld [link](https://example.com/x)", out.markdown());
            assertEquals("readerlm-v2", out.engine());
            assertEquals("readerlm-v2", out.model());
            assertEquals(1, out.chunks());
            assertNull(out.json());
        }
        assertEquals(1, backend.calls().size());
        FakeBackend.Call call = backend.calls().get(0);
        assertEquals(1, call.messages().size(), "the chat template adds the system line itself");
        assertEquals("user", call.messages().get(0).path("role").asText());
        assertEquals(
                "Extract the main content from the given HTML and convert it to Markdown format.\n"
                        + "```html\n"
                        + "<!doctype html><html><head><title>T</title></head><body>"
                        + "<h1>Hello</h1><p>World <a href=\"https://example.com/x\">link</a></p>"
                        + "<svg width=\"8\">this is a placeholder</svg><img src=\"#\"></body></html>\n"
                        + "```",
                call.prompt());
    }

    @Test
    void sendsTheModelCardJsonPromptWithTheSchema() throws Exception {
        backend.script(FakeBackend.text("{\"title\":\"Hello\",\"count\":1}"));
        try (ReaderLm lm = engine(settings())) {
            lm.read(ReaderLm.Input.json("<p>Hello</p>", null, null, SCHEMA), TIMEOUT);
        }
        assertEquals(
                "Extract the specified information from a list of news threads and present it in a"
                        + " structured JSON format.\n"
                        + "```html\n"
                        + "<html><head></head><body><p>Hello</p></body></html>\n"
                        + "```\n"
                        + "The JSON schema is as follows:```json\n"
                        + SCHEMA
                        + "\n```",
                backend.calls().get(0).prompt());
    }

    @Test
    void usesTheCallersInstructionInEitherMode() throws Exception {
        backend.script(
                FakeBackend.text("Hello"), FakeBackend.text("{\"title\":\"Hello\",\"count\":1}"));
        try (ReaderLm lm = engine(settings())) {
            lm.read(
                    new ReaderLm.Input("<p>Hello</p>", null, "Summarize the page.", null, null),
                    TIMEOUT);
            lm.read(
                    ReaderLm.Input.json("<p>Hello</p>", null, "  Get the title.  ", SCHEMA),
                    TIMEOUT);
        }
        assertTrue(
                backend.calls().get(0).prompt().startsWith("Summarize the page.\n```html\n"),
                backend.calls().get(0).prompt());
        assertTrue(
                backend.calls().get(1).prompt().startsWith("Get the title.\n```html\n"),
                backend.calls().get(1).prompt());
    }

    @Test
    void sendsModelCardSamplingParameters() throws Exception {
        try (ReaderLm lm = engine(settings().context(4096, 1024))) {
            lm.read(ReaderLm.Input.markdown("<p>x</p>", null), TIMEOUT);
        }
        FakeBackend.Call call = backend.calls().get(0);
        assertEquals(0, call.body().path("temperature").asInt());
        assertEquals(1.08, call.body().path("repetition_penalty").asDouble());
        assertEquals(0.25, call.body().path("presence_penalty").asDouble());
        assertEquals(1024, call.body().path("max_tokens").asInt());
    }

    @Test
    void stripsTheCodeFenceTheModelWrapsItsAnswerIn() throws Exception {
        backend.script(
                FakeBackend.text("```markdown\n# Title\n\n```js\nx()\n```\n\nText\n```\n"),
                FakeBackend.text("  \n```json\n{\"title\":\"T\",\"count\":2}\n```  "));
        try (ReaderLm lm = engine(settings())) {
            assertEquals(
                    "# Title\n\n```js\nx()\n```\n\nText",
                    lm.read(ReaderLm.Input.markdown("<p>x</p>", null), TIMEOUT).markdown());
            ReaderLm.Output json =
                    lm.read(ReaderLm.Input.json("<p>x</p>", null, null, SCHEMA), TIMEOUT);
            assertEquals(2, json.json().path("count").asInt());
        }
    }

    @Test
    void fenceStrippingLeavesOtherLanguagesAndCutAnswersReadable() {
        Set<String> md = Set.of("", "markdown", "md");
        assertEquals("```python\nx = 1\n```", ReaderLm.stripFence("```python\nx = 1\n```", md));
        assertEquals("# Cut off", ReaderLm.stripFence("```markdown\n# Cut off", md));
        assertEquals("plain", ReaderLm.stripFence("  plain \n", md));
    }

    @Test
    void splitsALongPageIntoPiecesAndJoinsTheAnswersInOrder() throws Exception {
        StringBuilder html = new StringBuilder("<html><body><main>");
        for (int i = 0; i < 60; i++) {
            html.append("<section><h2>Part ")
                    .append(i)
                    .append("</h2><p>")
                    .append("Some words about the subject of this part. ".repeat(8))
                    .append("</p></section>");
        }
        html.append("</main></body></html>");
        backend.otherwise(call -> {
            String prompt = call.prompt();
            int first = prompt.indexOf("Part ");
            return FakeBackend.text("answer for " + prompt.substring(first, first + 7).strip());
        });
        ReaderLm.Output out;
        try (ReaderLm lm = engine(settings().context(3000, 500).maxChunks(20))) {
            out = lm.read(ReaderLm.Input.markdown(html.toString(), null), TIMEOUT);
        }
        int calls = backend.calls().size();
        assertTrue(calls >= 3, "expected several pieces, got " + calls);
        assertEquals(calls, out.chunks());
        String[] parts = out.markdown().split("\n\n");
        assertEquals(calls, parts.length);
        int previous = -1;
        for (int i = 0; i < calls; i++) {
            String prompt = backend.calls().get(i).prompt();
            // Every piece is a run of whole sections: the HTML between the fences parses back
            // into <section> elements with nothing cut.
            String piece =
                    prompt.substring(prompt.indexOf("```html\n") + 8, prompt.lastIndexOf("\n```"))
                            // the page's (empty) <head> travels with the first piece
                            .replaceFirst("^<head></head>", "");
            assertTrue(piece.startsWith("<section>") && piece.endsWith("</section>"), piece);
            assertTrue(dev.plinth.reader.Tokens.count(prompt) <= 3000 - 500, "piece " + i);
            int part = Integer.parseInt(parts[i].replaceAll("\\D+", ""));
            assertTrue(part > previous, out.markdown());
            previous = part;
        }
        assertEquals(List.of(), out.warnings());
        assertEquals(FakeBackend.PROMPT_TOKENS * calls, out.usage().promptTokens());
    }

    @Test
    void reportsWhatWasCutWhenAPageNeedsMorePiecesThanAllowed() throws Exception {
        String html =
                "<main>"
                        + "<p>A paragraph of ordinary words in a long page.</p>".repeat(600)
                        + "</main>";
        ReaderLm.Output out;
        try (ReaderLm lm = engine(settings().context(2000, 500).maxChunks(2))) {
            out = lm.read(ReaderLm.Input.markdown(html, null), TIMEOUT);
        }
        assertEquals(2, backend.calls().size());
        assertEquals(2, out.chunks());
        assertEquals(1, out.warnings().size(), out.warnings().toString());
        assertTrue(
                out.warnings()
                        .get(0)
                        .startsWith("The page was cut to fit the model's context: 2 of"),
                out.warnings().get(0));
    }

    @Test
    void jsonModeSendsOnePieceAndWarnsOfTheCut() throws Exception {
        String html =
                "<main>"
                        + "<p>A paragraph of ordinary words in a long page.</p>".repeat(600)
                        + "</main>";
        backend.script(FakeBackend.text("{\"title\":\"T\",\"count\":3}"));
        ReaderLm.Output out;
        try (ReaderLm lm = engine(settings().context(2000, 500))) {
            out = lm.read(ReaderLm.Input.json(html, null, null, SCHEMA), TIMEOUT);
        }
        assertEquals(1, backend.calls().size());
        assertEquals(3, out.json().path("count").asInt());
        assertTrue(out.warnings().get(0).contains("1 of"), out.warnings().toString());
    }

    @Test
    void preselectedMainContentIsAllThatIsSent() throws Exception {
        String html = "<nav>Menu items</nav><article><p>The story.</p></article><footer>F</footer>";
        try (ReaderLm lm = engine(settings())) {
            lm.read(
                    new ReaderLm.Input(html, null, null, null, doc -> doc.selectFirst("article")),
                    TIMEOUT);
        }
        assertEquals(
                "Extract the main content from the given HTML and convert it to Markdown format.\n"
                        + "```html\n<article><p>The story.</p></article>\n```",
                backend.calls().get(0).prompt());
    }

    @Test
    void aFailureAfterSomePartsReturnsThosePartsWithAWarning() throws Exception {
        String html =
                "<main>"
                        + "<p>A paragraph of ordinary words in a long page.</p>".repeat(600)
                        + "</main>";
        backend.script(FakeBackend.text("first part"), FakeBackend.status(500, Map.of()));
        ReaderLm.Output out;
        try (ReaderLm lm = engine(settings().context(2000, 500).maxChunks(3).retries(0))) {
            out = lm.read(ReaderLm.Input.markdown(html, null), TIMEOUT);
        }
        assertEquals("first part", out.markdown());
        assertEquals(1, out.chunks());
        assertEquals(2, backend.calls().size());
        String all = String.join("\n", out.warnings());
        assertTrue(
                all.contains("Only 1 of 3 parts of the page were read") && all.contains("HTTP 500"),
                all);
    }

    @Test
    void aFailingPreselectionFallsBackToTheWholePage() throws Exception {
        try (ReaderLm lm = engine(settings())) {
            ReaderLm.Output out =
                    lm.read(
                            new ReaderLm.Input(
                                    "<p>All of it</p>",
                                    null,
                                    null,
                                    null,
                                    doc -> {
                                        throw new IllegalStateException("extractor bug");
                                    }),
                            TIMEOUT);
            assertTrue(out.warnings().get(0).contains("extractor bug"), out.warnings().toString());
        }
        assertTrue(backend.calls().get(0).prompt().contains("<p>All of it</p>"));
    }

    @Test
    void retriesOnceWithTheSchemaErrorsAndAcceptsTheCorrection() throws Exception {
        backend.script(
                FakeBackend.text("{\"title\":\"Hello\",\"count\":\"three\"}"),
                FakeBackend.text("{\"title\":\"Hello\",\"count\":3}"));
        ReaderLm.Output out;
        try (ReaderLm lm = engine(settings())) {
            out = lm.read(ReaderLm.Input.json("<p>Hello</p>", null, null, SCHEMA), TIMEOUT);
        }
        assertEquals(3, out.json().path("count").asInt());
        assertEquals(2, backend.calls().size());
        List<com.fasterxml.jackson.databind.JsonNode> retry = backend.calls().get(1).messages();
        assertEquals(3, retry.size());
        assertEquals("assistant", retry.get(1).path("role").asText());
        assertEquals(
                "{\"title\":\"Hello\",\"count\":\"three\"}", retry.get(1).path("content").asText());
        String followUp = retry.get(2).path("content").asText();
        assertTrue(followUp.startsWith("The JSON above does not match the JSON schema."), followUp);
        assertTrue(followUp.contains("count") && followUp.contains("integer"), followUp);
        assertEquals(2 * FakeBackend.PROMPT_TOKENS, out.usage().promptTokens());
        assertTrue(out.warnings().get(0).contains("second one did"), out.warnings().toString());
    }

    @Test
    void answerThatIsNotJsonIsRetriedToo() throws Exception {
        backend.script(
                FakeBackend.text("I could not find a count."),
                FakeBackend.text("Here it is: {\"title\":\"T\",\"count\":0} hope that helps"));
        try (ReaderLm lm = engine(settings())) {
            ReaderLm.Output out =
                    lm.read(ReaderLm.Input.json("<p>x</p>", null, null, SCHEMA), TIMEOUT);
            assertEquals(0, out.json().path("count").asInt());
        }
        assertTrue(
                backend.calls().get(1).prompt().contains("the answer is not JSON"),
                backend.calls().get(1).prompt());
    }

    @Test
    void failsWithTheErrorsWhenTheRetryStillBreaksTheSchema() {
        backend.otherwise(call -> FakeBackend.text("{\"title\":7}"));
        try (ReaderLm lm = engine(settings())) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () ->
                                    lm.read(
                                            ReaderLm.Input.json("<p>x</p>", null, null, SCHEMA),
                                            TIMEOUT));
            assertEquals(LmException.Kind.SCHEMA_MISMATCH, e.kind());
            assertEquals(422, e.kind().status());
            assertEquals(2, e.errors().size(), e.errors().toString());
            assertTrue(String.join(" ", e.errors()).contains("count"), e.errors().toString());
            assertTrue(e.getMessage().contains("also after a retry"), e.getMessage());
        }
        assertEquals(2, backend.calls().size());
    }

    @Test
    void badSchemaIsRefusedBeforeAnyCall() {
        try (ReaderLm lm = engine(settings())) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () ->
                                    lm.read(
                                            ReaderLm.Input.json("<p>x</p>", null, null, "{nope"),
                                            TIMEOUT));
            assertEquals(LmException.Kind.BAD_REQUEST, e.kind());
        }
        assertEquals(0, backend.calls().size());
    }

    @Test
    void backendErrorsKeepTheirKindThroughTheEngine() {
        backend.otherwise(call -> FakeBackend.status(500, Map.of()));
        try (ReaderLm lm = engine(settings().retries(0))) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> lm.read(ReaderLm.Input.markdown("<p>x</p>", null), TIMEOUT));
            assertEquals(LmException.Kind.BACKEND_ERROR, e.kind());
        }
    }

    @Test
    void warnsWhenTheModelStopsAtTheOutputLimit() throws Exception {
        backend.script(FakeBackend.truncated("# Half"));
        try (ReaderLm lm = engine(settings())) {
            ReaderLm.Output out = lm.read(ReaderLm.Input.markdown("<p>x</p>", null), TIMEOUT);
            assertEquals("# Half", out.markdown());
            assertTrue(
                    out.warnings().get(0).contains("output limit of 8192"),
                    out.warnings().toString());
        }
    }

    @Test
    void refusesAPageOverTheSizeCap() {
        try (ReaderLm lm = engine(settings().caps(1 << 20, 1000))) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () ->
                                    lm.read(
                                            ReaderLm.Input.markdown("x".repeat(1001), null),
                                            TIMEOUT));
            assertEquals(LmException.Kind.TOO_LARGE, e.kind());
            assertEquals(413, e.kind().status());
        }
        assertEquals(0, backend.calls().size());
    }

    @Test
    void refusesAContextWithNoRoomForThePage() {
        try (ReaderLm lm = engine(settings().context(700, 600))) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> lm.read(ReaderLm.Input.markdown("<p>x</p>", null), TIMEOUT));
            assertEquals(LmException.Kind.BAD_REQUEST, e.kind());
            assertTrue(e.getMessage().contains("no room for the page"), e.getMessage());
        }
    }

    @Test
    void settingsValidateTheirValues() {
        ReaderLm.Backend lm = ReaderLm.Backend.of("http://127.0.0.1:1/v1", "m", " ");
        assertNull(lm.apiKey());
        assertThrows(
                IllegalArgumentException.class, () -> ReaderLm.Backend.of("ftp://h/v1", "m", null));
        assertThrows(
                IllegalArgumentException.class,
                () -> ReaderLm.Backend.of("http://h/v1", " ", null));
        assertThrows(
                IllegalArgumentException.class,
                () -> ReaderLm.Settings.builder(lm).context(1000, 1000).build());
        assertThrows(
                IllegalArgumentException.class,
                () -> ReaderLm.Settings.builder(lm).concurrency(0, 1).build());
        assertFalse(
                ReaderLm.Backend.of("http://h/v1", "m", "sk-secret")
                        .toString()
                        .contains("sk-secret"));
    }
}
