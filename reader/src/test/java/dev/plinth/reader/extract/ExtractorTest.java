package dev.plinth.reader.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.markdown.MarkdownOptions;
import dev.plinth.reader.markdown.MarkdownWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

class ExtractorTest {

    private static final String PROSE =
            "The committee met on Thursday to discuss the budget, the schedule and the "
                    + "staffing plan, and it agreed that the work would continue through the spring as planned. ";

    private static Document page(String name) throws IOException {
        try (InputStream in = ExtractorTest.class.getResourceAsStream("/extract/" + name)) {
            assertNotNull(in, name);
            return Jsoup.parse(
                    new String(in.readAllBytes(), StandardCharsets.UTF_8),
                    "https://news.example.org/tides");
        }
    }

    private static String text(String html) {
        return PlainText.of(Extractor.extract(Jsoup.parse(html, "https://example.org/")).content());
    }

    @Test
    void extractsTheArticleAndDropsThePageAroundIt() throws IOException {
        String text = PlainText.of(Extractor.extract(page("news-article.html")).content());

        assertTrue(text.startsWith("The port authority will publish"), text);
        assertTrue(text.endsWith("find new uses for them."), text);
        for (String boilerplate :
                new String[] {
                    "cookies",
                    "Accept all",
                    "Sport",
                    "Share on Facebook",
                    "Related stories",
                    "Lifeboat crew",
                    "3 comments",
                    "about time",
                    "Most read",
                    "All rights reserved",
                    "Tracking pixel",
                    "Advertisement",
                    "Ana Ferreira"
                }) {
            assertFalse(text.contains(boilerplate), boilerplate + " leaked into:\n" + text);
        }
    }

    @Test
    void keepsHeadingsListsTablesCodeQuotesAndFigures() throws IOException {
        Element content = Extractor.extract(page("news-article.html")).content();

        assertEquals("How to read the data", content.selectFirst("h2").text());
        assertEquals(2, content.select("li").size());
        assertEquals(3, content.select("tr").size());
        assertEquals(
                "curl -O https://data.example.org/tides/2024.csv",
                content.selectFirst("pre").text());
        assertNotNull(content.selectFirst("blockquote"));
        assertEquals("The north quay at low water", content.selectFirst("img").attr("alt"));
        assertNotNull(content.selectFirst("figcaption"));
        assertTrue(
                content.select("h1").isEmpty(),
                "the title heading is the result's title, not content");
    }

    @Test
    void keepsMathJaxSourcesAndTaskListCheckboxesButNoOtherScriptsOrInputs() {
        String html =
                "<html><body><article><p>"
                        + PROSE
                        + "</p>"
                        + "<p>Energy is <script type='math/tex'>E = mc^2</script> in the rest frame.</p>"
                        + "<script>track('view')</script><form><input type='text' name='q'></form>"
                        + "<ul><li><input type='checkbox' checked disabled> ship it</li><li><input type='checkbox'> test it</li></ul>"
                        + "<p>"
                        + PROSE
                        + "</p></article></body></html>";

        Element content = Extractor.extract(Jsoup.parse(html, "https://example.org/")).content();

        assertEquals("E = mc^2", content.selectFirst("script").data());
        assertEquals(1, content.select("script").size());
        assertEquals(2, content.select("li > input[type=checkbox]").size());
        assertTrue(content.select("input[type=text]").isEmpty());
        String markdown = MarkdownWriter.write(content, MarkdownOptions.DEFAULTS);
        assertTrue(markdown.contains("Energy is $E = mc^2$ in the rest frame."), markdown);
        assertTrue(markdown.contains("- [x] ship it\n- [ ] test it"), markdown);
    }

    @Test
    void keepsShortCodeBlocksAndSmallDataTablesInsideProse() {
        String html =
                "<html><body><nav><a href='/'>Home</a></nav><div class='post'>"
                        + "<p>"
                        + PROSE
                        + "</p><div class='snippet'><pre>ls -la</pre></div>"
                        + "<div><table><tr><th>Key</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table></div>"
                        + "<p>"
                        + PROSE
                        + "</p></div></body></html>";

        String text = text(html);

        assertTrue(text.contains("ls -la"), text);
        assertTrue(text.contains("Key\tValue\na\t1"), text);
    }

    @Test
    void keepsASmallKeyValueTableWithoutHeaders() {
        String html =
                "<html><body><article><p>"
                        + PROSE
                        + "</p><table><tr><td><code>port</code></td><td>8080</td></tr>"
                        + "<tr><td><code>host</code></td><td>127.0.0.1</td></tr></table><p>"
                        + PROSE
                        + "</p></article></body></html>";

        assertTrue(text(html).contains("port\t8080\nhost\t127.0.0.1"), text(html));
    }

    @Test
    void matchesClassHintsAsWholeWordsOnly() {
        assertTrue(Extractor.Words.of(element("div", "header-ad", "")).boilerplate());
        assertTrue(Extractor.Words.of(element("div", "", "sidebarAds")).boilerplate());
        assertFalse(Extractor.Words.of(element("div", "reader", "")).boilerplate());
        assertFalse(Extractor.Words.of(element("div", "thread", "")).boilerplate());
        assertFalse(Extractor.Words.of(element("div", "shadow-box", "")).boilerplate());
        assertFalse(Extractor.Words.of(element("div", "download", "")).boilerplate());
        assertFalse(Extractor.Words.of(element("div", "address", "")).boilerplate());
    }

    @Test
    void splitsRunTogetherClassNamesOnlyWhenTheWholeNameSplits() {
        assertTrue(
                Extractor.Words.of(element("h3", "relatedpoststitle", ""))
                        .words()
                        .contains("related"));
        assertTrue(Extractor.Words.of(element("div", "sharebox", "")).boilerplate());
        assertFalse(Extractor.Words.of(element("div", "threadreader", "")).boilerplate());
    }

    @Test
    void keepsContentWhoseClassOnlyContainsABoilerplateWordAsASubstring() {
        String html =
                "<html><body><div class='thread'><p>"
                        + PROSE
                        + "</p><p>"
                        + PROSE
                        + "</p></div>"
                        + "<div class='header-ad'><p>Buy our product today, the best one you can get anywhere.</p></div></body></html>";

        String text = text(html);

        assertTrue(text.contains("committee met"), text);
        assertFalse(text.contains("Buy our product"), text);
    }

    @Test
    void takesLazyImagesFromNoscriptInsteadOfTheirPlaceholders() {
        String html =
                "<html><body><article><p>"
                        + PROSE
                        + "</p><img src='data:image/gif;base64,R0lGOD' class='lazy'>"
                        + "<noscript><img src='/photo.jpg' alt='Photo'></noscript><p>"
                        + PROSE
                        + "</p></article></body></html>";

        Element content = Extractor.extract(Jsoup.parse(html, "https://example.org/")).content();

        assertEquals(1, content.select("img").size(), content.html());
        assertEquals("/photo.jpg", content.selectFirst("img").attr("src"));
    }

    @Test
    void removesHiddenElements() {
        String html =
                "<html><body><article><p>"
                        + PROSE
                        + "</p>"
                        + "<p style='display: none'>Hidden by style, never shown to a reader of this page.</p>"
                        + "<p hidden>Hidden by attribute, never shown to a reader of this page.</p>"
                        + "<p class='sr-only'>Only for screen readers, and not part of the article text.</p>"
                        + "<p>"
                        + PROSE
                        + "</p></article></body></html>";

        String text = text(html);

        assertFalse(text.contains("Hidden"), text);
        assertFalse(text.contains("screen readers"), text);
    }

    @Test
    void keepsAnArticleThatThePageHidesUntilAScriptRuns() {
        String html =
                "<html><body><div id='page' style='visibility: hidden'><nav><a href='/'>Home</a></nav>"
                        + "<div class='post'><p>"
                        + PROSE
                        + "</p><p>"
                        + PROSE
                        + "</p><p>"
                        + PROSE
                        + "</p><p>"
                        + PROSE
                        + "</p>"
                        + "</div></div><div style='display:none'><p>A hidden notice, not for readers of the article.</p></div>"
                        + "</body></html>";

        String text = text(html);

        assertTrue(text.startsWith("The committee met"), text);
        assertFalse(text.contains("hidden notice"), text);
    }

    @Test
    void trimsDateLinesBeforeAndDanglingHeadingsAfterTheText() {
        String html =
                "<html><body><article><div>Nov. 20, 2019, 9:28 AM UTC</div><p>"
                        + PROSE
                        + "</p><p>"
                        + PROSE
                        + "</p><h3>Related</h3><p>Read these next:</p></article></body></html>";

        String text = text(html);

        assertTrue(text.startsWith("The committee met"), text);
        assertTrue(text.endsWith("as planned."), text);
    }

    @Test
    void removesLinkListsInsideTheArticle() {
        String html =
                "<html><body><article><p>"
                        + PROSE
                        + "</p>"
                        + "<ul><li><a href='/1'>First other story on this site</a></li><li><a href='/2'>Second other story</a></li>"
                        + "<li><a href='/3'>Third other story on this site</a></li></ul>"
                        + "<p>"
                        + PROSE
                        + "</p></article></body></html>";

        assertFalse(text(html).contains("other story"));
    }

    @Test
    void keepsLinkOnlyParagraphsThatPointElsewhere() {
        String html =
                "<html><body><article><p>"
                        + PROSE
                        + "</p>"
                        + "<p><a href='https://shop.example.com/item'>Get it from the shop for $20</a></p>"
                        + "<p><a href='/more'>Read more stories like this one</a></p>"
                        + "<p>"
                        + PROSE
                        + "</p></article></body></html>";

        String text =
                PlainText.of(
                        Extractor.extract(Jsoup.parse(html, "https://news.example.org/story"))
                                .content());

        assertTrue(text.contains("Get it from the shop"), text);
        assertFalse(text.contains("Read more stories"), text);
    }

    @Test
    void fallsBackToJsonLdArticleBodyWhenThePageHasNoText() {
        String body =
                "First paragraph of the story, which the page renders with script. "
                        + PROSE
                        + "\n\nSecond paragraph, also rendered by script. "
                        + PROSE;
        String html =
                "<html><head><script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"H\","
                        + "\"articleBody\":"
                        + quote(body)
                        + "}</script></head><body><div id='app'>Loading…</div></body></html>";

        Element content = Extractor.extract(Jsoup.parse(html)).content();

        assertEquals(2, content.select("p").size());
        assertTrue(PlainText.of(content).startsWith("First paragraph of the story"));
    }

    @Test
    void readsAJsonLdArticleBodyWrittenInHtml() {
        String body =
                "<p>First paragraph, in HTML. "
                        + PROSE
                        + "</p><p>Second paragraph. "
                        + PROSE
                        + "</p>";
        String html =
                "<html><head><script type='application/ld+json'>{\"@type\":\"Article\",\"articleBody\":"
                        + quote(body)
                        + "}</script></head><body><div id='app'></div></body></html>";

        String text = PlainText.of(Extractor.extract(Jsoup.parse(html)).content());

        assertTrue(text.startsWith("First paragraph, in HTML."), text);
        assertFalse(text.contains("<p>"), text);
    }

    @Test
    void fallsBackToTheArticleElementWhenScoringFindsTooLittle() {
        String html =
                "<html><body><div class='comments'><p>short</p></div><article>"
                        + "<div>One line about the release.</div><div>Another line, with the details.</div>"
                        + "<div>And a third line, with the date of the next one.</div></article></body></html>";

        String text = text(html);

        assertTrue(text.contains("One line about the release."), text);
        assertTrue(text.contains("third line"), text);
    }

    @Test
    void isSureOfAnArticleAndUnsureOfAPageOfFragments() throws IOException {
        Extractor.Confidence article = Extractor.extract(page("news-article.html")).confidence();
        Extractor.Confidence fragments =
                Extractor.extract(
                                Jsoup.parse(
                                        "<html><body><a href='#main'>Skip to content</a>"
                                                + "<div><span>Open Monday to Friday</span></div>"
                                                + "<div><span>8:00 to 12:00</span></div></body></html>",
                                        "https://example.org/"))
                        .confidence();

        assertEquals(Extractor.Stage.SCORED, article.stage());
        assertTrue(article.score() > 0.7, article.toString());
        assertTrue(article.kept() > 0.2 && article.kept() < 0.9, article.toString());
        assertTrue(article.textLength() > 500, article.toString());
        assertTrue(article.pageTextLength() > article.textLength(), article.toString());
        assertTrue(article.linkDensity() < 0.1, article.toString());

        assertTrue(fragments.stage().compareTo(Extractor.Stage.RELAXED) >= 0, fragments.toString());
        assertTrue(fragments.score() < 0.3, fragments.toString());
        assertTrue(fragments.textLength() > 0, fragments.toString());
    }

    @Test
    void neverThrowsAndNeverReturnsNullContent() {
        StringBuilder deep = new StringBuilder("<html><body>");
        deep.append("<div>".repeat(5_000))
                .append("deep text")
                .append("</div>".repeat(5_000))
                .append("</body></html>");
        for (String html :
                new String[] {
                    "",
                    "<html></html>",
                    "<p>unclosed <b>tags <i>everywhere",
                    "<<<>>>&&&;",
                    "<table><tr><td><table><td>x</table>",
                    deep.toString(),
                    "<frameset><frame src=x></frameset>"
                }) {
            Extractor.Extraction extraction = Extractor.extract(Jsoup.parse(html));
            assertNotNull(extraction.content(), html);
            assertNotNull(extraction.metadata(), html);
            assertNotNull(extraction.confidence(), html);
            assertTrue(
                    extraction.confidence().score() >= 0 && extraction.confidence().score() <= 1,
                    html);
        }
        assertTrue(
                PlainText.of(Extractor.extract(Jsoup.parse(deep.toString())).content())
                        .contains("deep text"));
    }

    private static Element element(String tag, String classes, String id) {
        Element e = new Element(tag);
        if (!classes.isEmpty()) {
            e.attr("class", classes);
        }
        if (!id.isEmpty()) {
            e.attr("id", id);
        }
        return e;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
