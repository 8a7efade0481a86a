package dev.plinth.reader.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.jsoup.Jsoup;
import org.junit.jupiter.api.Test;

class PlainTextTest {

    private static String text(String bodyHtml) {
        return PlainText.of(Jsoup.parseBodyFragment(bodyHtml).body());
    }

    @Test
    void separatesBlocksWithBlankLines() {
        assertEquals(
                "Title\n\nFirst.\n\nSecond.",
                text("<h2>Title</h2><p>First.</p><div><p>Second.</p></div>"));
    }

    @Test
    void collapsesWhiteSpaceAsABrowserDoes() {
        assertEquals("one two three four", text("<p>  one \n\t two <b> three </b>\n four  </p>"));
        assertEquals("glued", text("<p>gl<i>ue</i>d</p>"));
    }

    @Test
    void putsListItemsAndTableRowsOnTheirOwnLines() {
        assertEquals(
                "Intro\n\na\nb\n\nx\ty\n1\t2",
                text(
                        "<p>Intro</p><ul><li>a</li><li>b</li></ul>"
                                + "<table><tr><th>x</th><th>y</th></tr><tr><td>1</td><td>2</td></tr></table>"));
    }

    @Test
    void keepsPreformattedTextVerbatim() {
        assertEquals(
                "Run:\n\nif x:\n    y()\n\nDone.",
                text("<p>Run:</p><pre>if x:\n    y()</pre><p>Done.</p>"));
    }

    @Test
    void breaksLinesAtBr() {
        assertEquals("line one\nline two", text("<p>line one<br>line two</p>"));
    }

    @Test
    void leavesOutImagesCaptionsAndScripts() {
        assertEquals(
                "Before.\n\nAfter.",
                text(
                        "<p>Before.</p><figure><img alt='x'><figcaption>Caption</figcaption>"
                                + "</figure><script>var a = 1;</script><p>After.</p>"));
    }

    @Test
    void turnsNonBreakingSpacesIntoSpaces() {
        assertEquals("a b", text("<p>a&nbsp;b</p>"));
    }
}
