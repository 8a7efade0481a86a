package dev.plinth.reader.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

class ChunkerTest {

    private static Document parse(String html) {
        Document doc = Jsoup.parse(html);
        doc.outputSettings().prettyPrint(false);
        return doc;
    }

    @Test
    void keepsAPageThatFitsInOnePiece() {
        Document doc = parse("<p>one</p><p>two</p>");
        Chunker.Split split = Chunker.split(doc.body(), 10_000);
        assertEquals(List.of(doc.body().outerHtml()), split.pieces());
        assertEquals(0, split.cutUnits());
    }

    @Test
    void splitsOnElementBoundariesWithinTheBudget() {
        StringBuilder html = new StringBuilder("<article>");
        for (int i = 0; i < 40; i++) {
            html.append("<p>Paragraph ").append(i).append(" says something of note.</p>");
        }
        html.append("</article>");
        Document doc = parse(html.toString());
        Chunker.Split split = Chunker.split(doc.body(), 300);
        assertTrue(split.pieces().size() > 4, split.pieces().toString());
        StringBuilder rejoined = new StringBuilder();
        for (String piece : split.pieces()) {
            assertTrue(piece.length() <= 300, piece.length() + ": " + piece);
            // Every piece is a run of whole paragraphs: it parses back to <p> elements only.
            Element body = Jsoup.parseBodyFragment(piece).body();
            assertEquals(body.children().size(), body.select("> p").size(), piece);
            assertTrue(piece.startsWith("<p>") && piece.endsWith("</p>"), piece);
            rejoined.append(piece);
        }
        // Nothing lost, nothing repeated, order kept; only the <article> wrapper is dropped.
        assertEquals(doc.selectFirst("article").html(), rejoined.toString());
        assertEquals(0, split.cutUnits());
    }

    @Test
    void cutsOnlyATextTooLongForAnyPieceAtWhitespace() {
        String words = "word ".repeat(400).strip();
        Document doc = parse("<p>short</p><pre>" + words + "</pre>");
        Chunker.Split split = Chunker.split(doc.body(), 500);
        assertEquals(1, split.cutUnits());
        StringBuilder text = new StringBuilder();
        for (String piece : split.pieces()) {
            assertTrue(piece.length() <= 500, String.valueOf(piece.length()));
            text.append(piece);
        }
        assertTrue(text.toString().startsWith("<p>short</p>"), text.toString());
        assertEquals(words, text.toString().substring("<p>short</p>".length()));
        for (String piece : split.pieces().subList(1, split.pieces().size())) {
            assertTrue(piece.startsWith("word"), piece);
        }
    }

    @Test
    void deepNestingSplitsInLinearTime() {
        // 400 nested sections (under jsoup's depth limit) around 20,000 paragraphs: sizes are
        // measured once, bottom-up, so opening each oversized level costs nothing extra.
        StringBuilder html = new StringBuilder();
        html.append("<section>".repeat(400));
        for (int i = 0; i < 20_000; i++) {
            html.append("<p>p").append(i).append("</p>");
        }
        html.append("</section>".repeat(400));
        Document doc = parse(html.toString());
        long start = System.nanoTime();
        Chunker.Split split = Chunker.split(doc.body(), 2_000);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(split.pieces().size() > 100);
        assertTrue(ms < 5_000, "took " + ms + " ms");
    }

    @Test
    void splitsTextAtWhitespaceAndNeverInsideASurrogatePair() {
        List<String> parts = Chunker.splitText("aaaa bbbb cccc dddd", 12);
        assertEquals("aaaa bbbb cccc dddd", String.join("", parts));
        assertTrue(parts.size() > 1);
        for (String part : parts.subList(0, parts.size() - 1)) {
            assertTrue(part.endsWith(" "), part);
        }
        String emoji = "\uD83D\uDE00".repeat(50);
        for (String part : Chunker.splitText(emoji, 9)) {
            assertTrue(!Character.isHighSurrogate(part.charAt(part.length() - 1)), part);
        }
    }
}
