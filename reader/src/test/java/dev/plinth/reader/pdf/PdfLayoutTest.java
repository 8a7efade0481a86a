package dev.plinth.reader.pdf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The layout core on synthetic pages: glyphs placed by hand, so each rule is seen on its own. */
class PdfLayoutTest {

    /**
     * Glyphs of {@code text} from {@code x} on {@code baseline}, each half an em wide, spaces
     * included.
     */
    private static List<PdfLayout.Glyph> text(
            String text, float x, float baseline, float size, boolean bold) {
        List<PdfLayout.Glyph> glyphs = new ArrayList<>();
        float advance = size * 0.5f;
        for (int i = 0; i < text.length(); i++) {
            glyphs.add(
                    new PdfLayout.Glyph(
                            String.valueOf(text.charAt(i)),
                            x + i * advance,
                            baseline,
                            advance,
                            size,
                            bold,
                            false,
                            advance,
                            0,
                            null,
                            0));
        }
        return glyphs;
    }

    private static String markdown(List<List<PdfLayout.Glyph>> runs) {
        List<PdfLayout.Glyph> glyphs = new ArrayList<>();
        for (List<PdfLayout.Glyph> run : runs) {
            for (PdfLayout.Glyph g : run) {
                glyphs.add(
                        new PdfLayout.Glyph(
                                g.text(),
                                g.x(),
                                g.baseline(),
                                g.width(),
                                g.size(),
                                g.bold(),
                                g.mono(),
                                g.space(),
                                g.dir(),
                                g.href(),
                                glyphs.size()));
            }
        }
        PdfLayout.PageLines page =
                PdfLayout.lines(
                        new PdfLayout.PageGlyphs(1, 600, 800, glyphs, List.of(), List.of()));
        return PdfLayout.markdown(List.of(page), List.of()).text();
    }

    @Test
    void readsColumnsTopToBottomThenLeftToRight() {
        List<List<PdfLayout.Glyph>> runs = new ArrayList<>();
        runs.add(text("A title across the page", 50, 150, 20, true));
        String[] left = {
            "left column, first line of running text",
            "left column, second line of running te",
            "xt, and the third line of the column."
        };
        String[] right = {
            "right column, first line of the runnin",
            "g text, then its second line, which al",
            "so runs to the end of the column."
        };
        for (int i = 0; i < 3; i++) {
            runs.add(text(right[i], 310, 200 + 14 * i, 10, false)); // drawn before the left column
            runs.add(text(left[i], 50, 200 + 14 * i, 10, false));
        }

        assertEquals(
                "# A title across the page\n\n"
                        + "left column, first line of running text left column, second line of running te "
                        + "xt, and the third line of the column.\n\n"
                        + "right column, first line of the runnin g text, then its second line, which al "
                        + "so runs to the end of the column.\n",
                markdown(runs));
    }

    @Test
    void readsNarrowHeadingBelowColumnsAfterBothColumns() {
        // Breuel's rule 2 alone puts the heading (left of the right column, nothing spanning both
        // between them) before the right column; the heading is wholly below it and drawn after.
        List<List<PdfLayout.Glyph>> runs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String line = "Left column, line " + i + " of its running text";
            runs.add(text(line, 50, 200 + 14 * i, 10, false));
        }
        for (int i = 0; i < 3; i++) {
            String line = "Right column, line " + i + " of running text";
            runs.add(text(line, 310, 200 + 14 * i, 10, false));
        }
        runs.add(text("Next part", 50, 300, 16, true));
        runs.add(text("Text of the next part.", 50, 330, 10, false));

        assertEquals(
                "Left column, line 0 of its running text Left column, line 1 of its running text"
                        + " Left column, line 2 of its running text\n\n"
                        + "Right column, line 0 of running text Right column, line 1 of running text"
                        + " Right column, line 2 of running text\n\n"
                        + "# Next part\n\n"
                        + "Text of the next part.\n",
                markdown(runs));
    }

    @Test
    void removesLineEndHyphenBeforeLowercaseOnly() {
        String md =
                markdown(
                        List.of(
                                text("The typesetter split a well-", 50, 200, 10, false),
                                text("known word, and kept Jean-", 50, 212, 10, false),
                                text("Paul whole.", 50, 224, 10, false)));

        assertEquals("The typesetter split a wellknown word, and kept Jean-Paul whole.\n", md);
    }

    @Test
    void joinsCjkLinesWithoutSpaces() {
        String md =
                markdown(
                        List.of(
                                text("中国是茶的", 50, 200, 10, false),
                                text("故乡。", 50, 212, 10, false)));

        assertEquals("中国是茶的故乡。\n", md);
    }

    @Test
    void buildsTableFromAlignedRowsOfShortCells() {
        List<List<PdfLayout.Glyph>> runs = new ArrayList<>();
        String[][] rows = {
            {"Name", "Qty", "Price"}, {"Apples", "3", "1.20"}, {"Pears", "12", "0.80"}
        };
        for (int r = 0; r < rows.length; r++) {
            for (int c = 0; c < 3; c++) {
                runs.add(text(rows[r][c], 50 + 120 * c, 200 + 20 * r, 10, r == 0));
            }
        }

        assertEquals(
                "| Name | Qty | Price |\n| --- | --- | --- |\n| Apples | 3 | 1.20 |\n| Pears | 12 | 0.80 |\n",
                markdown(runs));
    }

    @Test
    void nestsListItemsByMarkerIndent() {
        String md =
                markdown(
                        List.of(
                                text("1. First step", 50, 200, 10, false),
                                text("a) a detail", 70, 214, 10, false),
                                text("2. Second step", 50, 228, 10, false),
                                text("• loose point", 50, 260, 10, false)));

        assertEquals("1. First step\n    1. a detail\n2. Second step\n- loose point\n", md);
    }

    @Test
    void takesAbbreviationsForTextNotListMarkers() {
        String md = markdown(List.of(text("c. 280 BC the tower was built.", 50, 200, 10, false)));

        assertEquals("c. 280 BC the tower was built.\n", md);
    }
}
