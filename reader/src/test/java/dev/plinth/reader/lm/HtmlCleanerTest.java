package dev.plinth.reader.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;

class HtmlCleanerTest {

    private static String clean(String html, String base) {
        Document doc = Jsoup.parse(html, base);
        doc.outputSettings().prettyPrint(false);
        HtmlCleaner.clean(doc, !base.isEmpty());
        return doc.body().html();
    }

    @Test
    void removesScriptsStylesMetaLinksAndComments() {
        String out =
                clean(
                        "<body><script>var a = '<p>not text</p>';</script><style>p{color:red}</style>"
                                + "<meta name=x content=y><link rel=stylesheet href=a.css>"
                                + "<!-- a comment --><p>Kept <!-- inline --> text</p></body>",
                        "");
        assertEquals("<p>Kept  text</p>", out);
    }

    @Test
    void replacesSvgDrawingWithTheModelCardPlaceholder() {
        String out =
                clean(
                        "<p>Icon: <svg width=\"16\" viewBox=\"0 0 16 16\"><g><path d=\"M0 0h16v16z\"/></g>"
                                + "<svg><circle r=1 /></svg></svg></p>",
                        "");
        assertEquals(
                "<p>Icon: <svg width=\"16\" viewBox=\"0 0 16 16\">this is a placeholder</svg></p>",
                out);
    }

    @Test
    void replacesBase64ImagesWithAHashSource() {
        String out =
                clean(
                        "<p><img alt=\"dot\" class=x src=\"data:image/png;base64,iVBORw0KGgo=\">"
                                + "<img src=\"data:image/svg+xml;utf8,<svg/>\" alt=plain></p>",
                        "");
        // Only base64 data is replaced, as the card's pattern does; its whole tag goes.
        assertEquals(
                "<p><img src=\"#\"><img src=\"data:image/svg+xml;utf8,&lt;svg/&gt;\" alt=\"plain\"></p>",
                out);
    }

    @Test
    void makesLinksAndImageSourcesAbsolute() {
        String out =
                clean(
                        "<p><a href=\"/about\">About</a> <img src=\"pics/a.png\" alt=\"A\"></p>",
                        "https://example.com/blog/post");
        assertEquals(
                "<p><a href=\"https://example.com/about\">About</a> "
                        + "<img src=\"https://example.com/blog/pics/a.png\" alt=\"A\"></p>",
                out);
    }

    @Test
    void keepsTheTextOfOrdinaryMarkup() {
        String out =
                clean(
                        "<article><h1>Title</h1><p>One <b>two</b> <a href=\"#x\">three</a></p>"
                                + "<table><tr><td>cell</td></tr></table></article>",
                        "");
        assertTrue(out.contains("<h1>Title</h1>"), out);
        assertTrue(out.contains("<b>two</b>"), out);
        assertTrue(out.contains("<td>cell</td>"), out);
    }

    @Test
    void tellsBase64ImagesFromOtherSources() {
        assertTrue(HtmlCleaner.isBase64Image("data:image/jpeg;base64,/9j/4AAQ"));
        assertTrue(HtmlCleaner.isBase64Image(" DATA:IMAGE/PNG;BASE64,AAAA"));
        assertFalse(HtmlCleaner.isBase64Image("data:text/plain;base64,AAAA"));
        assertFalse(HtmlCleaner.isBase64Image("https://example.com/data:image/png;base64,"));
    }
}
