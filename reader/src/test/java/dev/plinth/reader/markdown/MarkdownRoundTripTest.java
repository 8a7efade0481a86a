package dev.plinth.reader.markdown;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.strikethrough.StrikethroughExtension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Entities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The writer's Markdown read back by an independent CommonMark + GFM parser (commonmark-java) must
 * give the document it was written from: the same text (so escaping is sufficient) and the same
 * structure (emphasis, links, lists, quotes, code, tables).
 */
class MarkdownRoundTripTest {

    private static final List<Extension> GFM =
            List.of(TablesExtension.create(), StrikethroughExtension.create());
    private static final Parser PARSER = Parser.builder().extensions(GFM).build();
    private static final HtmlRenderer RENDERER = HtmlRenderer.builder().extensions(GFM).build();

    private static Element roundTrip(Element html) {
        return roundTrip(html, MarkdownOptions.DEFAULTS);
    }

    private static Element roundTrip(Element html, MarkdownOptions options) {
        String markdown = MarkdownWriter.write(html, options);
        return Jsoup.parseBodyFragment(
                        RENDERER.render(PARSER.parse(markdown)), "https://example.com/")
                .body();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "*not emphasis* and _not either_",
                "snake_case_name and foo_bar_baz",
                "__init__.py",
                "2*3*4 and 5 * 3",
                "# not a heading",
                "#hashtag and # alone",
                "1. not a list",
                "1) nor this",
                "1984. a year",
                "- nor this",
                "+ nor this",
                "* nor this",
                "> not a quote",
                "***",
                "---",
                "___",
                "* * *",
                "- - -",
                "_ _ _",
                "===",
                "~~~ not a fence",
                "``` not a fence",
                "`not code`",
                "[not a link](http://x.com)",
                "![not an image](x.png)",
                "[1]: http://not-a-definition.com",
                "<div>not html</div>",
                "<!-- not a comment -->",
                "a <b> c",
                "10 < 20 > 5",
                "AT&T &amp; &copy; &#123;",
                "a\\b and \\* and \\_ and C:\\path\\",
                "ends with \\",
                "**not strong**",
                "*a **b** c*",
                "foo*bar*baz",
                "~not struck~ ~~nor this~~",
                "emoji 🙂*x*🙂",
                "中文*强调*中文",
                "Ünïcödé *ñ* _ö_",
                "100%_done_",
                "(*) and [*] and {_}",
                "x<https://autolink.example> y",
                "| a | b |",
                "tab\there",
                "trailing two spaces  "
            })
    void keepsTextThroughARoundTrip(String text) {
        Element html = Jsoup.parseBodyFragment("<p>" + Entities.escape(text) + "</p>").body();
        assertEquals(
                html.text(),
                roundTrip(html).text(),
                () -> MarkdownWriter.write(html, MarkdownOptions.DEFAULTS));
    }

    @Test
    void keepsTextAcrossLineBreaksThatLookLikeBlockSyntax() {
        String html =
                "<p>first<br># second<br>1. third<br>| a | b |<br>| --- | --- |<br>- fifth<br>===<br>after</p>";
        Element in = Jsoup.parseBodyFragment(html).body();
        Element out = roundTrip(in);
        assertEquals(in.text(), out.text());
        assertEquals(0, out.select("h1, h2, ol, ul, table").size(), out.html());
        Element table = Jsoup.parseBodyFragment("<p>| a | b |<br>| --- | --- |</p>").body();
        assertEquals(
                0,
                roundTrip(table).select("table").size(),
                () -> MarkdownWriter.write(table, MarkdownOptions.DEFAULTS));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "<p>Some <em>emphasis</em>, <strong>strong</strong>, <del>deleted</del>, <code>code</code> and "
                        + "<a href='https://example.com/x'>a link</a> with <img src='https://example.com/i.png' alt='an image'>.</p>",
                "<p>in<em>word</em>emphasis, <strong><em>both</em></strong>, <em>a <strong>b</strong> c</em></p>",
                "<ul><li>one<ul><li>nested <em>x</em></li><li>nested y<ol><li>deep</li><li>deeper</li></ol></li></ul></li>"
                        + "<li><p>para</p><p>second para</p></li><li>three</li></ul>",
                "<ol start='7'><li>seven</li><li>eight<blockquote><p>quoted in a list</p></blockquote></li></ol>",
                "<blockquote><p>outer</p><blockquote><p>inner <strong>bold</strong></p></blockquote><ul><li>item</li></ul>"
                        + "<pre><code>code in quote</code></pre></blockquote>",
                "<h1>One</h1><h2>Two <code>x</code></h2><h3>Three</h3><p>text</p><hr><h6>Six</h6>",
                "<pre><code class='language-js'>const a = `b`;\n```\nnested fence\n```</code></pre><p>after</p>",
                "<table><tr><th>Name</th><th>Value</th></tr><tr><td><strong>a | b</strong></td><td><code>x|y</code></td></tr>"
                        + "<tr><td>2</td><td><a href='https://example.com/'>link</a></td></tr></table>",
                "<p>x<sup>2</sup> and H<sub>2</sub>O</p>",
                "<p>foo<b><code>bar</code></b>baz, x<em>(note)</em>y and a<del>(b)</del>c</p>",
                "<ul><li>a</li></ul><ul><li>b</li></ul><ol><li>c</li></ol><ol><li>d</li></ol>"
            })
    void keepsStructureThroughARoundTrip(String snippet) {
        Element in = Jsoup.parseBodyFragment(snippet, "https://example.com/").body();
        Element out = roundTrip(in);
        assertEquals(words(in), words(out));
        assertEquals(
                shape(in), shape(out), () -> MarkdownWriter.write(in, MarkdownOptions.DEFAULTS));
    }

    @Test
    void writesEmphasisThatCannotParseAsPlainText() {
        Element in =
                Jsoup.parseBodyFragment(
                                "<p>Search<em>→</em> and <strong>\"</strong>The and season<b>.</b> "
                                        + "and D<b>\u200b</b>ay and <b>*</b>Price but <b>this</b>.</p>")
                        .body();
        assertEquals(
                "Search→ and \"The and season. and D\u200bay and \\*Price but **this**.",
                MarkdownWriter.write(in, MarkdownOptions.DEFAULTS));
        assertEquals(in.text(), roundTrip(in).text());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "<p><a href='/x'></a> <a href='/y'><svg><path d='M0 0'/></svg></a> <a href='#'>top</a> "
                        + "<a href='/z' title='Zed'></a> <a href='/i'><img src='i.png'></a></p>",
                "<h1><a href='#intro'></a>Introduction</h1><p>See <a href='#intro'></a>.</p>",
                "<p><code>A</code><code>B</code>, foo<b><code>bar</code></b>baz, <code>a`</code><code>b`</code></p>",
                "<p>Run:</p><code><pre>x = 1\ny = 2</pre></code>",
                "<table><tr><th colspan='2'>Both</th><th>c</th></tr>"
                        + "<tr><td><a href='/t'>t</a></td><td><code>x|y</code></td><td><img src='t.png' alt='t'></td></tr></table>",
                "<ul><li><a href='/a'></a><ul><li><code>deep</code> <img src='d.png'></li></ul></li></ul>"
            })
    void keepsLinksImagesAndCodeThroughARoundTrip(String snippet) {
        Element in = Jsoup.parseBodyFragment(snippet, "https://example.com/").body();
        Element out = roundTrip(in);
        String markdown = MarkdownWriter.write(in, MarkdownOptions.DEFAULTS);
        assertEquals(
                in.select("a[href]").eachAttr("abs:href"),
                out.select("a[href]").eachAttr("href"),
                markdown);
        assertEquals(
                in.select("img[src]").eachAttr("abs:src"),
                out.select("img[src]").eachAttr("src"),
                markdown);
        // Touching code spans are written as one: the code reads the same.
        assertEquals(code(in), code(out), markdown);
    }

    @Test
    void keepsDataUrisThroughARoundTripWhenAsked() {
        Element in =
                Jsoup.parseBodyFragment(
                                "<p><img alt='dot' src='data:image/png;base64,iVBORw0KGgo='></p>")
                        .body();
        MarkdownOptions keep = MarkdownOptions.builder().keepDataUris(true).build();
        Element img = roundTrip(in, keep).selectFirst("img");
        assertEquals("data:image/png;base64,iVBORw0KGgo=", img.attr("src"));
        assertEquals("Image 1: dot", img.attr("alt"));
    }

    @Test
    void writesMediaThatReadsBackAsPosterAndLink() {
        Element in =
                Jsoup.parseBodyFragment(
                                "<p><video src='/v/clip.mp4' poster='/v/p.jpg'>No <em>video</em> support.</video></p>",
                                "https://example.com/")
                        .body();
        Element out = roundTrip(in);
        assertEquals(List.of("https://example.com/v/p.jpg"), out.select("img").eachAttr("src"));
        Element link = out.selectFirst("a");
        assertEquals("https://example.com/v/clip.mp4", link.attr("href"));
        assertEquals("No video support.", link.text());
        assertEquals("video", link.selectFirst("em").text());
    }

    @Test
    void keepsStrikethroughThatTouchesOrHoldsTildes() {
        Element in =
                Jsoup.parseBodyFragment(
                                "<p><s>~~A~~B~~</s> and <s>A</s><s>B</s> and <del>a~b</del></p>")
                        .body();
        Element out = roundTrip(in);
        assertEquals(
                in.text(), out.text(), () -> MarkdownWriter.write(in, MarkdownOptions.DEFAULTS));
        assertEquals(List.of("~~A~~B~~", "AB", "a~b"), out.select("del").eachText());
    }

    @Test
    void splitsAHeadingAroundARuleThatReadsBackAsTwoHeadings() {
        Element out = roundTrip(Jsoup.parseBodyFragment("<h2>One<hr>Two</h2>").body());
        assertEquals(List.of("One", "Two"), out.select("h2").eachText());
        assertEquals(1, out.select("hr").size());
    }

    @Test
    void numbersAListThatStartsBelowZeroFromOne() {
        Element out =
                roundTrip(
                        Jsoup.parseBodyFragment("<ol start='-1'><li>a</li><li>b</li></ol>").body());
        assertEquals("", out.selectFirst("ol").attr("start")); // a list from 1 has no start
        assertEquals(List.of("a", "b"), out.select("li").eachText());
    }

    @Test
    void keepsTablesWrittenAsHtml() {
        Element in =
                Jsoup.parseBodyFragment(
                                "<p>Before</p><table>\n<tr><th>k</th><th>v</th></tr>\n\n"
                                        + "<tr><td><a href='/a'>a</a></td><td><pre>1\n\n2</pre></td></tr></table><p><s>after</s></p>",
                                "https://example.com/")
                        .body();
        Element out = roundTrip(in, MarkdownOptions.builder().tablesAsHtml(true).build());
        assertEquals(List.of("k", "v", "a", "1\n\n2"), cells(out), out.html());
        assertEquals("https://example.com/a", out.selectFirst("td a").attr("href"));
        assertEquals("after", out.selectFirst("del").text());
    }

    private static List<String> cells(Element root) {
        return root.select("th, td").stream().map(Element::wholeText).toList();
    }

    /** The text of every code element, joined. */
    private static String code(Element root) {
        StringBuilder sb = new StringBuilder();
        for (Element code : root.select("code")) {
            sb.append(code.wholeText().strip());
        }
        return sb.toString();
    }

    /**
     * The text with whitespace runs as single spaces (a code block's own trailing newline aside).
     */
    private static String words(Element root) {
        return root.text().replaceAll("\\s+", " ").strip();
    }

    /** How many of each structural element, synonyms merged (b = strong, th = td, …). */
    private static Map<String, Integer> shape(Element root) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Element e : root.select("*")) {
            String tag =
                    switch (e.normalName()) {
                        case "b" -> "strong";
                        case "i" -> "em";
                        case "s", "strike" -> "del";
                        case "th" -> "td";
                        case "strong",
                                "em",
                                "del",
                                "a",
                                "img",
                                "code",
                                "pre",
                                "ul",
                                "ol",
                                "li",
                                "blockquote",
                                "h1",
                                "h2",
                                "h3",
                                "h4",
                                "h5",
                                "h6",
                                "table",
                                "tr",
                                "td",
                                "hr" ->
                                e.normalName();
                        default -> null;
                    };
            if (tag != null) {
                counts.merge(tag, 1, Integer::sum);
            }
        }
        return counts;
    }
}
