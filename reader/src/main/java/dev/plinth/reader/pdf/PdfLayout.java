package dev.plinth.reader.pdf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Page layout analysis: positioned glyphs in, Markdown out.
 *
 * <p>A PDF has no paragraphs, headings or reading order, only glyphs at coordinates. This class
 * rebuilds them in six steps, each a section below, in the order they run:
 *
 * <ol>
 *   <li><b>Lines.</b> Glyphs are chained in content-stream order while they stay on one baseline
 *       and close together; chains on one baseline are then joined across small gaps. A large gap
 *       (a column gutter, a table cell boundary) or a vertical ruling ends a line, so a "line"
 *       never crosses a column. Spaces are inserted from gaps, as producers often omit space
 *       glyphs.
 *   <li><b>Running heads.</b> Lines in the top or bottom band of the page whose text, with digits
 *       masked, recurs on half of the pages, or three, are page furniture: headers, footers and
 *       page numbers, which the masking makes equal. A page's first or last line that is a bare
 *       number or ends in "page N" goes even on a single page.
 *   <li><b>Tables.</b> Consecutive rows with two or more lines whose x-extents fall into the same
 *       column intervals form a table; rows closer than the table's usual row step are wrapped
 *       cells' second lines. Columns of running text align the same way, so a "table" whose every
 *       column is wide and filled with prose is left to step 4.
 *   <li><b>Reading order.</b> What is left of a page is a set of {@link Unit}s, lines and whole
 *       tables, each with a {@link Box}. They are ordered by the two rules of Breuel ("High
 *       performance document layout analysis", Symposium on Document Image Understanding
 *       Technology, 2003, section 5):
 *       <ol>
 *         <li>unit a precedes unit b if their x-ranges overlap and a is above b;
 *         <li>unit a precedes unit b if a lies wholly left of b and no unit c between them
 *             vertically overlaps both in x.
 *       </ol>
 *       A topological sort of that partial order, with ties released top-left first, reads columns
 *       top to bottom and left to right, with full-width titles before and full-width text after
 *       them, without guessing the number of columns. One refinement: where a is left of b but
 *       wholly below it, rule 2 holds only if b's column runs on beside a, or the content stream
 *       drew a first; geometry alone is ambiguous there.
 *   <li><b>Blocks.</b> Lines in reading order join into one block while their baselines are a
 *       normal line pitch apart (the document's most common pitch, relative to font size), the font
 *       size and weight stay the same and the line is not a list marker. Blocks are then typed:
 *       headings are short blocks set larger than the body text (the most common size, by
 *       characters), or bold at body size; their level is the rank of their size among all heading
 *       sizes of the document. List items start with a bullet or a number (or a dot drawn as a
 *       shape); their nesting is the rank of the marker's x-position within the run of items.
 *       Blocks set wholly in a fixed-pitch font are code.
 *   <li><b>Markdown.</b> Lines of a block join with spaces, no space between CJK characters, and a
 *       hyphen at a line end followed by a lowercase letter is removed (de-hyphenation; before a
 *       capital or digit it is kept). A paragraph cut by a column or page break (no closing
 *       punctuation, next block starts in lowercase) is mended. Link annotations under glyphs
 *       become Markdown links.
 * </ol>
 *
 * <p>Coordinates are page units with the origin at the top left: x grows to the right, y grows
 * down, so "above" is a smaller y. Left-to-right scripts are assumed; right-to-left text comes out
 * in visual order.
 */
final class PdfLayout {

    // ---- Inputs and outputs ---------------------------------------------------------------------

    /**
     * One character as drawn: position of its baseline start, advance width, size in page units,
     * weight, fixed pitch, the font's space width, text direction, link target and place in the
     * content stream.
     */
    record Glyph(
            String text,
            float x,
            float baseline,
            float width,
            float size,
            boolean bold,
            boolean mono,
            float space,
            int dir,
            String href,
            int seq) {}

    /** A vertical ruling (a table border). */
    record Rule(float x, float top, float bottom) {}

    /**
     * What the collector saw on one page: its glyphs, its vertical rulings, and the small painted
     * blobs (dots) that may be list bullets drawn as shapes.
     */
    record PageGlyphs(
            int number,
            float width,
            float height,
            List<Glyph> glyphs,
            List<Rule> rules,
            List<Box> dots) {}

    /** One page reduced to lines, the form pages are kept in until the whole document is seen. */
    record PageLines(int number, float width, float height, List<Line> lines) {}

    /** The document as Markdown, and the first top-level heading as a fallback title (or null). */
    record Markdown(String title, String text) {}

    // ---- Units of layout ------------------------------------------------------------------------

    /** A rectangle on the page; {@code top < bottom}, since y grows down. */
    record Box(float left, float top, float right, float bottom) {

        /**
         * The width of x both boxes cover; positive only where both have width there (rule 1's
         * "x-ranges overlap").
         */
        float sharedWidth(Box other) {
            return Math.min(right, other.right) - Math.max(left, other.left);
        }

        /** Whether the open x-ranges meet: a box of no width inside the other's range counts. */
        boolean overlapsX(Box other) {
            return left < other.right && right > other.left;
        }

        /** Whether the open y-ranges meet: the two sit level with each other. */
        boolean overlapsY(Box other) {
            return top < other.bottom && bottom > other.top;
        }

        /** Whether this box ends at or before {@code other} begins, in x. */
        boolean leftOf(Box other) {
            return right <= other.left;
        }

        /** Whether this box begins below {@code other}'s bottom. */
        boolean below(Box other) {
            return top > other.bottom;
        }
    }

    /** What reading order arranges: a line of text, or a table kept whole. */
    sealed interface Unit permits Line, Table {

        /** Where the unit lies on the page. */
        Box box();

        /** Where its first glyph was drawn in the content stream. */
        int seq();
    }

    /**
     * Text on one baseline within one column or cell, from {@code left} to {@code right}; {@code
     * mono} when all of it is set in a fixed-pitch font; {@code seq} is where its first glyph was
     * drawn in the content stream.
     */
    record Line(
            float left,
            float right,
            float baseline,
            float size,
            boolean bold,
            boolean mono,
            int seq,
            List<Span> spans)
            implements Unit {

        String text() {
            StringBuilder sb = new StringBuilder();
            spans.forEach(s -> sb.append(s.text()));
            return sb.toString();
        }

        /** The top of the line's glyphs, estimated from the em. */
        float top() {
            return baseline - size * 0.8f;
        }

        /** The bottom of the line's glyphs, descenders included, estimated from the em. */
        float bottom() {
            return baseline + size * 0.25f;
        }

        @Override
        public Box box() {
            return new Box(left, top(), right, bottom());
        }
    }

    /**
     * A table: rows of cells, each cell the lines that fell in its column; {@code lines} are all of
     * them, {@code seq} the earliest drawn.
     */
    record Table(List<List<List<Line>>> rows, List<Line> lines, Box box, int seq) implements Unit {}

    /** A run of text sharing one link target (null = not a link). */
    record Span(String text, String href) {}

    // ---- Tuning: all relative to the font size (em), so they hold at any scale ------------------

    /**
     * Stream-order glyphs further apart than this start a new chain (a gutter or cell boundary).
     */
    private static final float CHAIN_GAP = 1.5f;

    /**
     * Chains on one baseline closer than this are one line (out-of-order drawing, style changes).
     */
    private static final float JOIN_GAP = 0.6f;

    /** A list marker and its text may be this far apart (LibreOffice and Word use tab stops). */
    private static final float MARKER_GAP = 4f;

    /**
     * Fixed-pitch text on one baseline is one line across gaps up to this (aligned code, columns of
     * a listing).
     */
    private static final float CODE_GAP = 12f;

    /** Baselines this close are the same row. */
    private static final float SAME_BASELINE = 0.4f;

    /** Text this much larger than the body text is a heading. */
    private static final float HEADING_RATIO = 1.15f;

    /** Share of the page height, from the top and from the bottom, where running heads live. */
    private static final float HEAD_BAND = 0.12f;

    /**
     * Pages with more lines and tables than this are ordered by position alone; the Breuel sort is
     * cubic.
     */
    private static final int MAX_ORDERED_UNITS = 600;

    private static final Pattern BULLET =
            Pattern.compile("^([•◦▪▫‣⁃●○■□◆◇►▸✓✔\\-–—*·\\uF000-\\uF0FF])\\s+");

    /**
     * "1." "2)" "(3)" "a)" "iv)", and "a." or "iv." only before a capital ("c. 280 BC" is no item).
     */
    private static final Pattern NUMBER =
            Pattern.compile(
                    "^\\(?(\\d{1,3}[.)]|(?:[a-z]|[ivx]{1,5})\\)|(?:[a-z]|[ivx]{1,5})\\.(?=\\s*$|\\s+\\p{Lu}))\\s+");

    /**
     * A bare page number, or a short line ending in "page N" / "page N of M": the first or last
     * line of a page goes.
     */
    private static final Pattern PAGE_NUMBER =
            Pattern.compile(
                    "(?iu)[-–—\\s]*\\d{1,4}[-–—\\s]*|.*\\b(page|seite|стр\\.?|страница)\\s*\\d{1,4}(\\s*(of|/|из|von)\\s*\\d{1,4})?\\s*");

    private static final Pattern ROMAN = Pattern.compile("[ivxlc]{1,6}");
    private static final Pattern CLOSES_SENTENCE = Pattern.compile(".*[.!?:;。！？）)\"”»]\\s*$");

    private PdfLayout() {}

    // ---- Entry points: a page to lines as it is collected, then the document to Markdown --------

    /**
     * Reduces one page's glyphs to lines. Runs as each page is collected, so glyphs never pile up.
     */
    static PageLines lines(PageGlyphs page) {
        List<Line> lines = joinChains(chains(page), page.rules());
        return new PageLines(
                page.number(), page.width(), page.height(), bulletsFromDots(lines, page.dots()));
    }

    /**
     * Converts {@code pages}, in the order given, to Markdown. The {@code context} pages
     * (neighbours of a partial selection) are analysed alongside, for running heads, body size and
     * heading levels, but not written.
     */
    static Markdown markdown(List<PageLines> pages, List<PageLines> context) {
        List<PageLines> all = new ArrayList<>(pages);
        all.addAll(context);
        List<List<Line>> kept = dropRunningHeads(all);
        float body = bodySize(kept);
        float pitch = pitchRatio(kept);
        List<Block> blocks = new ArrayList<>();
        List<Block> shown = new ArrayList<>();
        for (int p = 0; p < all.size(); p++) {
            List<Unit> units = new ArrayList<>();
            List<Line> free = new ArrayList<>(kept.get(p));
            for (Table table : tables(free)) {
                units.add(table);
                free.removeAll(table.lines());
            }
            units.addAll(free);
            List<Block> page = blocks(readingOrder(units), all.get(p).number(), body, pitch);
            blocks.addAll(page);
            if (p < pages.size()) {
                shown.addAll(page);
            }
        }
        classify(blocks, body);
        mendBreaks(shown);
        return write(shown);
    }

    // ---- Step 1: glyphs to lines ----------------------------------------------------------------

    /**
     * Glyphs in content-stream order, cut wherever the next one leaves the baseline, jumps a gap or
     * crosses a ruling.
     */
    private static List<List<Glyph>> chains(PageGlyphs page) {
        int dir = dominantDirection(page.glyphs());
        List<List<Glyph>> chains = new ArrayList<>();
        List<Glyph> chain = null;
        float chainEnd = 0;
        for (Glyph g : page.glyphs()) {
            if (g.dir() != dir) {
                continue; // rotated stamps and margin notes are not part of the text flow
            }
            if (chain != null) {
                Glyph last = chain.getLast();
                float size = Math.max(g.size(), last.size());
                float gap = g.x() - chainEnd;
                boolean continues =
                        Math.abs(g.baseline() - last.baseline()) <= SAME_BASELINE * size
                                && gap > -0.3f * size
                                && gap < CHAIN_GAP * size
                                && !ruledBetween(page.rules(), chainEnd, g.x(), g.baseline());
                if (!continues) {
                    chains.add(chain);
                    chain = null;
                }
            }
            if (chain == null) {
                chain = new ArrayList<>();
                chainEnd = g.x();
            }
            chain.add(g);
            chainEnd = Math.max(chainEnd, g.x() + g.width());
        }
        if (chain != null) {
            chains.add(chain);
        }
        return chains;
    }

    /**
     * Browsers draw disc and square bullets as shapes: a dot just left of a line's start is its
     * marker.
     */
    private static List<Line> bulletsFromDots(List<Line> lines, List<Box> dots) {
        if (dots.isEmpty()) {
            return lines;
        }
        List<Line> out = new ArrayList<>(lines.size());
        for (Line line : lines) {
            Box bullet = null;
            for (Box dot : dots) {
                float middle = (dot.top() + dot.bottom()) / 2;
                float gap = line.left() - dot.right();
                if (middle > line.top()
                        && middle < line.baseline()
                        && gap > 0
                        && gap < 2.5f * line.size()
                        && dot.bottom() - dot.top() < 0.6f * line.size()) {
                    bullet = dot;
                }
            }
            if (bullet == null || startsWithMarker(line.text())) {
                out.add(line);
            } else {
                List<Span> spans = new ArrayList<>(line.spans());
                spans.addFirst(new Span("• ", null));
                out.add(
                        new Line(
                                bullet.left(),
                                line.right(),
                                line.baseline(),
                                line.size(),
                                line.bold(),
                                line.mono(),
                                line.seq(),
                                spans));
            }
        }
        return out;
    }

    /** Joins chains that sit on one baseline with a small gap, or a list marker and its text. */
    private static List<Line> joinChains(List<List<Glyph>> chains, List<Rule> rules) {
        chains.sort(Comparator.comparingDouble(c -> c.getFirst().baseline()));
        List<Line> lines = new ArrayList<>();
        int i = 0;
        while (i < chains.size()) {
            // One row: chains whose baselines are within tolerance of the row's first.
            float base = chains.get(i).getFirst().baseline();
            float size = chains.get(i).getFirst().size();
            int j = i;
            while (j < chains.size()
                    && Math.abs(chains.get(j).getFirst().baseline() - base)
                            <= SAME_BASELINE * size) {
                j++;
            }
            List<List<Glyph>> row = new ArrayList<>(chains.subList(i, j));
            row.sort(Comparator.comparingDouble(c -> c.getFirst().x()));
            List<Glyph> current = new ArrayList<>(row.getFirst());
            for (List<Glyph> next : row.subList(1, row.size())) {
                float end = end(current);
                float gap = next.getFirst().x() - end;
                float em = Math.max(current.getLast().size(), next.getFirst().size());
                boolean marker = isMarkerOnly(plain(current)) && gap < MARKER_GAP * em;
                boolean code =
                        current.getLast().mono() && next.getFirst().mono() && gap < CODE_GAP * em;
                if ((gap < JOIN_GAP * em || marker || code)
                        && gap > -0.5f * em
                        && !ruledBetween(
                                rules, end, next.getFirst().x(), next.getFirst().baseline())) {
                    current.addAll(next);
                } else {
                    addLine(lines, current);
                    current = new ArrayList<>(next);
                }
            }
            addLine(lines, current);
            i = j;
        }
        return lines;
    }

    private static void addLine(List<Line> lines, List<Glyph> glyphs) {
        List<Span> spans = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        String href = null;
        float end = Float.NaN;
        Map<Float, Integer> sizes = new HashMap<>();
        boolean bold = true;
        boolean mono = true;
        float left = Float.MAX_VALUE;
        float right = -Float.MAX_VALUE;
        Glyph previous = null;
        for (Glyph g : glyphs) {
            if (!Float.isNaN(end)
                    && g.x() - end > spaceThreshold(g)
                    && !endsWithSpace(text)
                    && !g.text().isBlank()) {
                // In fixed-pitch text a gap is a run of spaces: keep as many as fit, so code stays
                // aligned.
                boolean cells = previous.mono() && g.mono() && previous.width() > 0;
                text.append(
                        " "
                                .repeat(
                                        cells
                                                ? Math.max(
                                                        1,
                                                        Math.round(
                                                                (g.x() - end) / previous.width()))
                                                : 1));
            }
            previous = g;
            if (!Objects.equals(href, g.href()) && !text.isEmpty()) {
                spans.add(new Span(text.toString(), href));
                text.setLength(0);
            }
            href = g.href();
            text.append(g.text());
            end = g.x() + g.width();
            if (!g.text().isBlank()) {
                sizes.merge(Math.round(g.size() * 2) / 2f, g.text().length(), Integer::sum);
                bold &= g.bold();
                mono &= g.mono();
                left = Math.min(left, g.x());
                right = Math.max(right, g.x() + g.width());
            }
        }
        if (sizes.isEmpty()) {
            return; // whitespace only
        }
        spans.add(new Span(text.toString(), href));
        // A soft hyphen is drawn only where a word breaks at the line end; elsewhere it is
        // invisible.
        for (int i = 0; i < spans.size() - 1; i++) {
            spans.set(i, new Span(spans.get(i).text().replace("\u00AD", ""), spans.get(i).href()));
        }
        String lastText = spans.getLast().text().stripTrailing();
        int shy = lastText.endsWith("\u00AD") ? lastText.length() - 1 : lastText.length();
        spans.set(
                spans.size() - 1,
                new Span(
                        lastText.substring(0, shy).replace("\u00AD", "") + lastText.substring(shy),
                        spans.getLast().href()));
        float size = mode(sizes);
        int seq = glyphs.stream().mapToInt(Glyph::seq).min().orElseThrow();
        lines.add(
                new Line(
                        left,
                        right,
                        glyphs.getFirst().baseline(),
                        size,
                        bold,
                        mono,
                        seq,
                        trim(spans)));
    }

    /**
     * A gap wider than half the font's space, and at most a fifth of an em, is a space: TeX shrinks
     * spaces in tight justified lines to about that, and kerning never opens a gap so wide.
     */
    private static float spaceThreshold(Glyph g) {
        return Math.max(0.1f * g.size(), Math.min(0.5f * g.space(), 0.2f * g.size()));
    }

    private static boolean ruledBetween(List<Rule> rules, float from, float to, float baseline) {
        for (Rule r : rules) {
            if (r.x() >= from - 1
                    && r.x() <= to + 1
                    && r.top() <= baseline
                    && r.bottom() >= baseline - 2) {
                return true;
            }
        }
        return false;
    }

    private static int dominantDirection(List<Glyph> glyphs) {
        int[] counts = new int[4];
        for (Glyph g : glyphs) {
            counts[Math.floorMod(g.dir() / 90, 4)]++;
        }
        int best = 0;
        for (int d = 1; d < 4; d++) {
            best = counts[d] > counts[best] ? d : best;
        }
        return best * 90;
    }

    // ---- Step 2: running heads and document statistics ------------------------------------------

    /**
     * Drops headers, footers and page numbers: lines near the page edge that recur across pages.
     * Text set larger than the body must recur verbatim; smaller text may differ in its numbers, so
     * that "Page 3" and "Page 4" match, but a heading "Section 3" at the top of every page is kept.
     */
    private static List<List<Line>> dropRunningHeads(List<PageLines> pages) {
        float body = bodySize(pages.stream().map(PageLines::lines).toList());
        Map<String, Set<Integer>> seen = new HashMap<>();
        for (PageLines page : pages) {
            for (Line line : page.lines()) {
                String key = headKey(page, line, body);
                if (key != null) {
                    seen.computeIfAbsent(key, k -> new HashSet<>()).add(page.number());
                }
            }
        }
        // Half the pages, but three suffice: chapter titles run only over their own chapter's
        // pages.
        int threshold = Math.max(2, Math.min(3, (pages.size() + 1) / 2));
        List<List<Line>> kept = new ArrayList<>();
        for (PageLines page : pages) {
            List<Line> lines = new ArrayList<>();
            float first = page.lines().stream().map(Line::top).min(Float::compare).orElse(0f);
            float last = page.lines().stream().map(Line::bottom).max(Float::compare).orElse(0f);
            for (Line line : page.lines()) {
                String key = headKey(page, line, body);
                boolean edge = line.top() == first || line.bottom() == last;
                boolean pageNumber =
                        key != null
                                && key.contains("#")
                                && edge
                                && line.text().length() <= 40
                                && PAGE_NUMBER.matcher(line.text().strip()).matches();
                if (key == null || seen.get(key).size() < threshold && !pageNumber) {
                    lines.add(line);
                }
            }
            kept.add(lines);
        }
        return kept;
    }

    /**
     * The line's text tagged with its band (digits masked unless it is set large); null outside the
     * bands.
     */
    private static String headKey(PageLines page, Line line, float body) {
        String band =
                line.top() < page.height() * HEAD_BAND
                        ? "top:"
                        : line.bottom() > page.height() * (1 - HEAD_BAND) ? "bottom:" : null;
        if (band == null) {
            return null;
        }
        String text = line.text().strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        if (line.size() > body * 1.1f) {
            return band + "=" + text;
        }
        if (ROMAN.matcher(text).matches()) {
            return band + "#"; // front matter is numbered i, ii, iii…
        }
        return band + text.replaceAll("\\d+", "#");
    }

    /** The most common font size, weighted by characters: the body text. */
    private static float bodySize(List<List<Line>> pages) {
        Map<Float, Integer> sizes = new HashMap<>();
        for (List<Line> lines : pages) {
            for (Line line : lines) {
                sizes.merge(line.size(), line.text().length(), Integer::sum);
            }
        }
        return sizes.isEmpty() ? 12 : mode(sizes);
    }

    /**
     * The most common distance between successive baselines of one column, as a multiple of the
     * font size: the line pitch within a paragraph. Paragraph spacing makes larger distances,
     * rarer.
     */
    private static float pitchRatio(List<List<Line>> pages) {
        Map<Float, Integer> ratios = new HashMap<>();
        for (List<Line> lines : pages) {
            List<Line> sorted = new ArrayList<>(lines);
            sorted.sort(Comparator.comparingDouble(Line::baseline));
            for (int i = 0; i < sorted.size(); i++) {
                Line a = sorted.get(i);
                for (int j = i + 1; j < sorted.size() && j < i + 8; j++) {
                    Line b = sorted.get(j);
                    if (overlaps(a, b) && Math.abs(a.size() - b.size()) < 0.5f) {
                        float r = (b.baseline() - a.baseline()) / a.size();
                        if (r >= 0.9f && r <= 2.5f) {
                            ratios.merge(Math.round(r * 20) / 20f, 1, Integer::sum);
                        }
                        break;
                    }
                }
            }
        }
        // Too few pairs say nothing about paragraphs; assume single spacing.
        return ratios.values().stream().mapToInt(Integer::intValue).sum() < 5 ? 1.2f : mode(ratios);
    }

    // ---- Step 3: tables -------------------------------------------------------------------------

    /** A column of a table: the x-range its cells fill. */
    private record Column(float left, float right) {}

    /** The tables among a page's lines: runs of rows whose cells keep to the same columns. */
    private static List<Table> tables(List<Line> lines) {
        List<Table> tables = new ArrayList<>();
        List<List<Line>> run = new ArrayList<>();
        for (List<Line> row : rows(lines)) {
            if (!run.isEmpty()) {
                // Text flowing beside a floated table neither joins nor ends it.
                float left =
                        run.stream()
                                .flatMap(List::stream)
                                .map(Line::left)
                                .min(Float::compare)
                                .orElseThrow();
                float right =
                        run.stream()
                                .flatMap(List::stream)
                                .map(Line::right)
                                .max(Float::compare)
                                .orElseThrow();
                float em = row.getFirst().size();
                List<Line> within =
                        row.stream()
                                .filter(l -> l.right() > left - em && l.left() < right + em)
                                .toList();
                if (within.isEmpty()
                        && row.getFirst().baseline() - run.getLast().getFirst().baseline()
                                < 3.5f * em) {
                    continue;
                }
                row = within.isEmpty() ? row : within;
            }
            boolean fits = !run.isEmpty() && fits(run, row);
            boolean tight =
                    fits
                            && row.getFirst().baseline() - run.getLast().getFirst().baseline()
                                    <= 1.5f * row.getFirst().size();
            boolean cells = row.size() >= 2 && sameSize(row, row.getFirst().size());
            if (cells && (run.isEmpty() || fits) || row.size() == 1 && tight) {
                run.add(row); // a lone cell close below a row may be the next line of a wrapped
                // cell
            } else {
                addTable(tables, run);
                run = new ArrayList<>();
                if (cells) {
                    run.add(row);
                }
            }
        }
        addTable(tables, run);
        return tables;
    }

    /**
     * Whether {@code row} continues the table rows of {@code run}: close below it, and each cell in
     * a column of its own, aligned with that column on the left, right or centre, or inside its
     * extent; a cell beyond the table's extent is text beside it, such as the next text column.
     */
    private static boolean fits(List<List<Line>> run, List<Line> row) {
        float em = row.getFirst().size();
        if (row.getFirst().baseline() - run.getLast().getFirst().baseline() > 3.5f * em
                || !sameSize(row, run.getFirst().getFirst().size())) {
            return false;
        }
        List<Column> columns = columns(run.stream().flatMap(List::stream).toList());
        Set<Integer> used = new HashSet<>();
        for (Line cell : row) {
            int match = -1;
            for (int c = 0; c < columns.size(); c++) {
                Column col = columns.get(c);
                boolean overlaps = cell.left() < col.right() && cell.right() > col.left();
                if (!overlaps) {
                    continue;
                }
                boolean aligned =
                        Math.abs(cell.left() - col.left()) < em
                                || Math.abs(cell.right() - col.right()) < em
                                || Math.abs(
                                                (cell.left() + cell.right())
                                                        - (col.left() + col.right()))
                                        < 2 * em
                                || cell.left() > col.left() - em && cell.right() < col.right() + em;
                if (match >= 0 || !aligned) {
                    return false;
                }
                match = c;
            }
            boolean outside =
                    cell.left() > columns.getLast().right()
                            || cell.right() < columns.getFirst().left();
            if (match >= 0 && !used.add(match) || match < 0 && outside) {
                return false;
            }
        }
        return true;
    }

    /**
     * Lines grouped into rows by baseline and size, each row sorted left to right. Text of another
     * size on the same baseline (a paragraph beside a floated table) is a row of its own.
     */
    private static List<List<Line>> rows(List<Line> lines) {
        List<Line> sorted = new ArrayList<>(lines);
        sorted.sort(Comparator.comparingDouble(Line::baseline));
        List<List<Line>> rows = new ArrayList<>();
        List<List<Line>> level = new ArrayList<>();
        for (Line line : sorted) {
            if (!level.isEmpty()
                    && line.baseline() - level.getFirst().getFirst().baseline()
                            > SAME_BASELINE * line.size()) {
                rows.addAll(level);
                level.clear();
            }
            List<Line> row =
                    level.stream().filter(r -> sameSize(r, line.size())).findFirst().orElse(null);
            if (row == null) {
                level.add(new ArrayList<>(List.of(line)));
            } else {
                row.add(line);
            }
        }
        rows.addAll(level);
        rows.forEach(r -> r.sort(Comparator.comparingDouble(Line::left)));
        return rows;
    }

    /**
     * Makes {@code run} a table if it is one. Rows closer together than the table's usual row step
     * are the second lines of wrapped cells and join the row above, cell by cell; tables without
     * padding step every row alike, so none of their rows is taken for a continuation.
     */
    private static void addTable(List<Table> tables, List<List<Line>> run) {
        while (!run.isEmpty() && run.getLast().size() < 2) {
            run.removeLast(); // lone lines after the last full row belong to the text below
        }
        if (run.stream().filter(row -> row.size() >= 2).count() < 2) {
            return;
        }
        List<Line> cells =
                run.stream()
                        .flatMap(List::stream)
                        .sorted(Comparator.comparingDouble(Line::left))
                        .toList();
        List<Column> columns = columns(cells);
        if (columns.size() < 2 || columns.stream().allMatch(column -> isProse(cells, column))) {
            return;
        }
        float[] steps = new float[run.size() - 1];
        for (int r = 1; r < run.size(); r++) {
            steps[r - 1] = run.get(r).getFirst().baseline() - run.get(r - 1).getFirst().baseline();
        }
        float[] sorted = steps.clone();
        Arrays.sort(sorted);
        float rowStep = sorted[sorted.length / 2];
        List<List<List<Line>>> grid = new ArrayList<>();
        for (int r = 0; r < run.size(); r++) {
            List<List<Line>> out;
            if (r > 0 && steps[r - 1] < 0.8f * rowStep) {
                out = grid.getLast();
            } else {
                out = new ArrayList<>();
                for (int c = 0; c < columns.size(); c++) {
                    out.add(new ArrayList<>());
                }
                grid.add(out);
            }
            for (Line cell : run.get(r)) {
                out.get(columnOf(columns, cell)).add(cell);
            }
        }
        Box box =
                new Box(
                        columns.getFirst().left(),
                        run.getFirst().stream().map(Line::top).min(Float::compare).orElseThrow(),
                        columns.getLast().right(),
                        run.getLast().stream().map(Line::bottom).max(Float::compare).orElseThrow());
        tables.add(new Table(grid, cells, box, cells.stream().mapToInt(Line::seq).min().orElse(0)));
    }

    /**
     * Whether every line of {@code row} is set at about {@code size}: a heading beside text is no
     * table row.
     */
    private static boolean sameSize(List<Line> row, float size) {
        return row.stream().allMatch(l -> Math.abs(l.size() - size) <= 0.1f * size);
    }

    /** Columns: the union of the cells' x-extents, merged where they overlap. */
    private static List<Column> columns(List<Line> cells) {
        List<Line> sorted = new ArrayList<>(cells);
        sorted.sort(Comparator.comparingDouble(Line::left));
        List<Column> columns = new ArrayList<>();
        for (Line cell : sorted) {
            Column last = columns.isEmpty() ? null : columns.getLast();
            if (last != null && cell.left() < last.right()) {
                columns.set(
                        columns.size() - 1,
                        new Column(last.left(), Math.max(last.right(), cell.right())));
            } else {
                columns.add(new Column(cell.left(), cell.right()));
            }
        }
        return columns;
    }

    /**
     * A column of running text: at least a dozen ems wide (two dozen characters or so) and mostly
     * filled by its lines. Text set in columns aligns like a table; a table has a narrow or ragged
     * column somewhere (names, numbers), so a "table" of nothing but such columns is a column
     * layout.
     */
    private static boolean isProse(List<Line> cells, Column column) {
        float width = column.right() - column.left();
        List<Line> inside =
                cells.stream()
                        .filter(c -> c.left() >= column.left() && c.right() <= column.right())
                        .toList();
        if (inside.isEmpty() || width < 12 * inside.getFirst().size()) {
            return false;
        }
        long full = inside.stream().filter(c -> c.right() - c.left() >= 0.8f * width).count();
        return full >= 0.6 * inside.size();
    }

    /** The index of the first column that ends right of where {@code cell} begins. */
    private static int columnOf(List<Column> columns, Line cell) {
        for (int c = 0; c < columns.size(); c++) {
            if (cell.left() < columns.get(c).right()) {
                return c;
            }
        }
        return columns.size() - 1;
    }

    // ---- Step 4: reading order ------------------------------------------------------------------

    /**
     * Orders a page's lines and tables: the partial order of {@link #precedes}, topologically
     * sorted, ties released top-left first.
     */
    private static List<Unit> readingOrder(List<Unit> units) {
        int n = units.size();
        List<Box> boxes = units.stream().map(Unit::box).toList();
        Integer[] byPosition = new Integer[n];
        Arrays.setAll(byPosition, i -> i);
        Comparator<Integer> topLeft =
                Comparator.<Integer>comparingDouble(i -> boxes.get(i).top())
                        .thenComparingDouble(i -> boxes.get(i).left());
        Arrays.sort(byPosition, topLeft);
        if (n > MAX_ORDERED_UNITS) {
            return Arrays.stream(byPosition).map(units::get).toList();
        }
        List<List<Integer>> after = new ArrayList<>();
        int[] indegree = new int[n];
        for (int i = 0; i < n; i++) {
            after.add(new ArrayList<>());
        }
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                if (a != b && precedes(units, boxes, a, b)) {
                    after.get(a).add(b);
                    indegree[b]++;
                }
            }
        }
        int[] rank = new int[n];
        for (int r = 0; r < n; r++) {
            rank[byPosition[r]] = r;
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>(Comparator.comparingInt(i -> rank[i]));
        boolean[] done = new boolean[n];
        for (int i = 0; i < n; i++) {
            if (indegree[i] == 0) {
                ready.add(i);
            }
        }
        List<Unit> ordered = new ArrayList<>(n);
        while (ordered.size() < n) {
            if (ready.isEmpty()) {
                // A cycle (overlapping boxes can make one): release the top-left unit still
                // waiting.
                for (int i : byPosition) {
                    if (!done[i]) {
                        ready.add(i);
                        break;
                    }
                }
            }
            int i = ready.poll();
            if (done[i]) {
                continue;
            }
            done[i] = true;
            ordered.add(units.get(i));
            for (int b : after.get(i)) {
                if (--indegree[b] == 0 && !done[b]) {
                    ready.add(b);
                }
            }
        }
        return ordered;
    }

    /**
     * Whether unit {@code a} is read before unit {@code b}: Breuel's two rules, with one refinement
     * to the second. When a is left of b but wholly below it, geometry alone cannot tell a column
     * that runs on from a new part of the page; so rule 2 then holds only if b's column runs on
     * beside a, or the content stream drew a first. Without it, an indented code line would wait
     * for the closing brace below it, and a heading after a multi-column part would jump ahead of
     * the columns above it.
     */
    private static boolean precedes(List<Unit> units, List<Box> boxes, int a, int b) {
        Box p = boxes.get(a);
        Box q = boxes.get(b);
        // Rule 1: x-ranges overlap and a is above b (on a tie, the one listed first: tables).
        if (p.sharedWidth(q) > 0) {
            return p.top() < q.top() || p.top() == q.top() && a < b;
        }
        // Rule 2: a lies wholly left of b...
        if (!p.leftOf(q)
                || p.below(q)
                        && units.get(a).seq() > units.get(b).seq()
                        && !besideLevel(boxes, b, a)) {
            return false;
        }
        // ...and no third unit between them vertically overlaps both in x.
        float from = Math.min(p.bottom(), q.bottom());
        float to = Math.max(p.top(), q.top());
        for (int c = 0; c < boxes.size(); c++) {
            Box r = boxes.get(c);
            if (c != a
                    && c != b
                    && r.top() >= from
                    && r.bottom() <= to
                    && r.overlapsX(p)
                    && r.overlapsX(q)) {
                return false;
            }
        }
        return true;
    }

    /** Whether some unit other than {@code a} in {@code b}'s x-range sits level with {@code a}. */
    private static boolean besideLevel(List<Box> boxes, int b, int a) {
        Box q = boxes.get(b);
        Box p = boxes.get(a);
        for (int d = 0; d < boxes.size(); d++) {
            Box r = boxes.get(d);
            if (d != a && r.overlapsX(q) && r.overlapsY(p)) {
                return true;
            }
        }
        return false;
    }

    // ---- Step 5: blocks -------------------------------------------------------------------------

    enum Kind {
        PARAGRAPH,
        HEADING,
        LIST_ITEM,
        TABLE,
        CODE
    }

    /** A paragraph, heading, list item or table, as it will be written. */
    static final class Block {
        final List<Line> lines = new ArrayList<>();
        final Table table;
        final int page;
        Kind kind = Kind.PARAGRAPH;
        int level;
        float headingSize;
        final List<Integer> blankBefore = new ArrayList<>();
        String marker;
        int depth;

        Block(Line first, Table table, int page) {
            if (first != null) {
                lines.add(first);
            }
            this.table = table;
            this.page = page;
        }

        Line first() {
            return lines.getFirst();
        }

        Line last() {
            return lines.getLast();
        }

        float size() {
            return first().size();
        }

        String text() {
            StringBuilder sb = new StringBuilder();
            for (Line line : lines) {
                join(sb, line.text());
            }
            return sb.toString();
        }
    }

    /** Joins lines in reading order into paragraphs; a table is a block of its own. */
    private static List<Block> blocks(List<Unit> ordered, int page, float body, float pitch) {
        List<Block> blocks = new ArrayList<>();
        Block current = null;
        for (Unit unit : ordered) {
            switch (unit) {
                case Table table -> {
                    Block block = new Block(null, table, page);
                    block.kind = Kind.TABLE;
                    blocks.add(block);
                    current = null;
                }
                case Line line -> {
                    if (current != null && continues(current, line, pitch)) {
                        current.lines.add(line);
                    } else {
                        current = new Block(line, null, page);
                        blocks.add(current);
                    }
                }
            }
        }
        return blocks;
    }

    /** Whether {@code line} is the next line of {@code block}'s paragraph. */
    private static boolean continues(Block block, Line line, float pitch) {
        Line last = block.last();
        float size = last.size();
        float step = line.baseline() - last.baseline();
        if (Math.abs(line.size() - size) > Math.max(0.5f, 0.08f * size)
                || line.bold() != last.bold()
                || line.mono() != last.mono()
                || step < SAME_BASELINE * size
                || step > (pitch * 1.25f + 0.1f) * size
                || !overlaps(last, line)
                || startsWithMarker(line.text())) {
            return false;
        }
        float left = block.lines.stream().map(Line::left).min(Float::compare).orElseThrow();
        float right = block.lines.stream().map(Line::right).max(Float::compare).orElseThrow();
        if (startsWithMarker(block.first().text())) {
            // A list item's later lines hang at its text, not at its marker.
            return line.left() > left + 0.5f * size
                    || block.lines.size() > 1
                            && line.left() >= block.lines.get(1).left() - 0.5f * size;
        }
        // An indented line that runs to the right edge opens a new paragraph (first-line indent).
        boolean indented =
                line.left() > left + size
                        && Math.abs(line.right() - right) < size
                        && block.lines.size() > 1;
        return !indented;
    }

    /** Types each block and gives headings their level and list items their depth. */
    private static void classify(List<Block> blocks, float body) {
        TreeMap<Float, Integer> levels = new TreeMap<>(Comparator.reverseOrder());
        for (Block b : blocks) {
            if (b.kind == Kind.TABLE) {
                continue;
            }
            String text = b.text().strip();
            boolean allBold = b.lines.stream().allMatch(Line::bold);
            if (b.lines.stream().allMatch(Line::mono)) {
                b.kind = Kind.CODE;
            } else if (b.size() >= body * HEADING_RATIO
                    && text.length() <= 200
                    && b.lines.size() <= 3) {
                b.kind = Kind.HEADING;
                b.headingSize = b.size();
            } else if (BULLET.matcher(text).find()) {
                b.kind = Kind.LIST_ITEM;
            } else if (allBold
                    && b.lines.size() == 1
                    && text.length() <= 80
                    && b.size() >= body * 0.95f
                    && !text.endsWith(".")
                    && !text.endsWith(",")) {
                b.kind = Kind.HEADING;
                b.headingSize = body; // bold at body size ranks below every larger heading
            } else if (NUMBER.matcher(text).find()) {
                b.kind = Kind.LIST_ITEM;
            }
            if (b.kind == Kind.HEADING) {
                levels.put(b.headingSize, 0);
            }
        }
        int level = 1;
        for (Map.Entry<Float, Integer> e : levels.entrySet()) {
            e.setValue(Math.min(6, level++));
        }
        for (Block b : blocks) {
            if (b.kind == Kind.HEADING) {
                b.level = levels.get(b.headingSize);
            }
        }
        listDepths(blocks);
    }

    /** Nesting depth of list items: the rank of the marker's x among the markers of one list. */
    private static void listDepths(List<Block> blocks) {
        int i = 0;
        while (i < blocks.size()) {
            if (blocks.get(i).kind != Kind.LIST_ITEM) {
                i++;
                continue;
            }
            int j = i;
            List<Float> indents = new ArrayList<>();
            while (j < blocks.size() && blocks.get(j).kind == Kind.LIST_ITEM) {
                Block b = blocks.get(j);
                float x = b.first().left();
                if (indents.stream().noneMatch(v -> Math.abs(v - x) < b.size())) {
                    indents.add(x);
                }
                j++;
            }
            indents.sort(Float::compare);
            // Ordinals per depth, for markers that are letters or roman numerals.
            int[] counters = new int[indents.size()];
            for (int k = i; k < j; k++) {
                Block b = blocks.get(k);
                float x = b.first().left();
                int depth = 0;
                while (depth < indents.size() - 1 && Math.abs(indents.get(depth) - x) >= b.size()) {
                    depth++;
                }
                Arrays.fill(counters, depth + 1, counters.length, 0);
                counters[depth]++;
                b.depth = depth;
                b.marker = markdownMarker(b.text().strip(), counters[depth]);
            }
            i = j;
        }
    }

    private static String markdownMarker(String text, int ordinal) {
        Matcher number = NUMBER.matcher(text);
        if (!BULLET.matcher(text).find() && number.find()) {
            String n = number.group(1).replaceAll("[().]", "");
            return (n.chars().allMatch(Character::isDigit) ? Integer.parseInt(n) : ordinal) + ".";
        }
        return "-";
    }

    /**
     * Mends paragraphs cut by a column or page break (no closing punctuation, next starts
     * lowercase), and joins code blocks split by blank lines.
     */
    private static void mendBreaks(List<Block> blocks) {
        for (int i = blocks.size() - 1; i > 0; i--) {
            Block a = blocks.get(i - 1);
            Block b = blocks.get(i);
            if (a.kind == Kind.CODE && b.kind == Kind.CODE) {
                a.blankBefore.add(a.lines.size());
                a.lines.addAll(b.lines);
                blocks.remove(i);
                continue;
            }
            if (a.kind == Kind.TABLE
                    || a.kind == Kind.HEADING
                    || b.kind != Kind.PARAGRAPH
                    || Math.abs(a.size() - b.size()) > 0.5f) {
                continue;
            }
            boolean jumped =
                    b.page == a.page + 1
                            || b.page == a.page && b.first().baseline() < a.last().baseline();
            String end = a.last().text().strip();
            String start = b.first().text().strip();
            boolean open = !CLOSES_SENTENCE.matcher(end).matches();
            boolean carriesOn =
                    Character.isLowerCase(start.codePointAt(0))
                            || isCjk(end.codePointBefore(end.length()))
                                    && isCjk(start.codePointAt(0));
            if (jumped && open && carriesOn) {
                a.lines.addAll(b.lines);
                blocks.remove(i);
            }
        }
    }

    // ---- Step 6: Markdown -----------------------------------------------------------------------

    private static Markdown write(List<Block> blocks) {
        StringBuilder md = new StringBuilder();
        String title = null;
        Block previous = null;
        for (Block b : blocks) {
            if (previous != null) {
                md.append(
                        previous.kind == Kind.LIST_ITEM && b.kind == Kind.LIST_ITEM
                                ? "\n"
                                : "\n\n");
            }
            switch (b.kind) {
                case HEADING -> {
                    String text = inline(spans(b.lines, 0));
                    md.append("#".repeat(b.level)).append(' ').append(text);
                    if (title == null && b.level == 1) {
                        title = plain(spans(b.lines, 0));
                    }
                }
                case LIST_ITEM -> {
                    Matcher m = BULLET.matcher(b.text().strip());
                    Matcher n = NUMBER.matcher(b.text().strip());
                    int markerLength = m.find() ? m.end() : n.find() ? n.end() : 0;
                    md.append("    ".repeat(b.depth))
                            .append(b.marker)
                            .append(' ')
                            .append(inline(spans(b.lines, markerLength)));
                }
                case TABLE -> writeTable(md, b.table);
                case CODE -> writeCode(md, b);
                default -> md.append(inline(spans(b.lines, 0)));
            }
            previous = b;
        }
        return new Markdown(
                title, md.append('\n').toString().replaceAll("\n{3,}", "\n\n").strip() + "\n");
    }

    /** Code keeps its lines, and its indentation in character cells of the fixed-pitch font. */
    private static void writeCode(StringBuilder md, Block code) {
        float left = code.lines.stream().map(Line::left).min(Float::compare).orElseThrow();
        float cell =
                (float)
                        code.lines.stream()
                                .filter(l -> l.text().length() > 1)
                                .mapToDouble(l -> (l.right() - l.left()) / l.text().length())
                                .average()
                                .orElse(code.size() * 0.6f);
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < code.lines.size(); i++) {
            Line line = code.lines.get(i);
            if (code.blankBefore.contains(i)) {
                body.append('\n');
            }
            body.append(" ".repeat(Math.round((line.left() - left) / Math.max(cell, 0.1f))))
                    .append(line.text())
                    .append('\n');
        }
        String fence = body.indexOf("```") >= 0 ? "~~~" : "```";
        md.append(fence).append('\n').append(body).append(fence);
    }

    private static void writeTable(StringBuilder md, Table table) {
        boolean first = true;
        for (List<List<Line>> row : table.rows()) {
            md.append('|');
            for (List<Line> cell : row) {
                md.append(' ').append(inline(spans(cell, 0)).replace("|", "\\|")).append(" |");
            }
            md.append('\n');
            if (first) {
                md.append('|').append(" --- |".repeat(row.size())).append('\n');
                first = false;
            }
        }
        md.setLength(md.length() - 1);
    }

    /**
     * The spans of {@code lines} joined into one paragraph, the first {@code skip} characters (a
     * list marker) dropped, with a link broken over two lines made one again.
     */
    private static List<Span> spans(List<Line> lines, int skip) {
        List<Span> out = new ArrayList<>();
        for (Line line : lines) {
            List<Span> next = new ArrayList<>(line.spans());
            if (!out.isEmpty()) {
                Span last = out.removeLast();
                Span first = next.removeFirst();
                String text = last.text();
                String start = first.text();
                switch (separator(text, start)) {
                    case DROP_HYPHEN -> text = text.substring(0, text.length() - 1);
                    case SPACE -> text = text + " ";
                    case NONE -> {}
                }
                if (Objects.equals(last.href(), first.href())) {
                    out.add(new Span(text + start, last.href()));
                } else {
                    out.add(new Span(text, last.href()));
                    out.add(first);
                }
            }
            out.addAll(next);
        }
        return dropPrefix(out, skip);
    }

    private static List<Span> dropPrefix(List<Span> spans, int skip) {
        List<Span> out = new ArrayList<>();
        int left = skip;
        boolean leading = true;
        for (Span span : spans) {
            String text = span.text();
            if (left > 0) {
                int cut = Math.min(left, text.length());
                text = text.substring(cut);
                left -= cut;
            }
            if (leading) {
                text = text.stripLeading();
                leading = text.isEmpty();
            }
            if (!text.isEmpty()) {
                out.add(new Span(text, span.href()));
            }
        }
        return out;
    }

    /**
     * Markdown for spans: plain text, and links as {@code [text](href)} with surrounding spaces
     * kept outside.
     */
    private static String inline(List<Span> spans) {
        StringBuilder sb = new StringBuilder();
        for (Span span : spans) {
            String text = span.text();
            if (span.href() == null || text.isBlank()) {
                sb.append(text);
                continue;
            }
            String core = text.strip();
            int lead = text.indexOf(core);
            sb.append(text, 0, lead)
                    .append('[')
                    .append(core.replace("]", "\\]"))
                    .append("](")
                    .append(span.href().replace(" ", "%20").replace(")", "%29"))
                    .append(')')
                    .append(text.substring(lead + core.length()));
        }
        return sb.toString().strip();
    }

    private static String plain(List<?> items) {
        StringBuilder sb = new StringBuilder();
        for (Object item : items) {
            sb.append(item instanceof Span s ? s.text() : item instanceof Glyph g ? g.text() : "");
        }
        return sb.toString().strip();
    }

    /** Appends the next line of a paragraph, separated as {@link #separator} says. */
    private static void join(StringBuilder sb, String next) {
        String line = next.strip();
        if (line.isEmpty()) {
            return;
        }
        switch (sb.isEmpty() ? Separator.NONE : separator(sb.toString(), line)) {
            case DROP_HYPHEN -> sb.setLength(sb.length() - 1);
            case SPACE -> sb.append(' ');
            case NONE -> {}
        }
        sb.append(line);
    }

    private enum Separator {
        SPACE,
        NONE,
        DROP_HYPHEN
    }

    /**
     * How two lines of a paragraph meet: a space between words, nothing between CJK characters, a
     * line-end hyphen before a lowercase letter dropped, since the typesetter split the word there,
     * and one before a capital or digit kept, joined without a space.
     */
    private static Separator separator(String before, String after) {
        if (before.isEmpty() || after.isEmpty()) {
            return Separator.NONE;
        }
        int n = before.length();
        char end = before.charAt(n - 1);
        int start = after.codePointAt(0);
        if (end == '\u00AD') {
            return Separator.DROP_HYPHEN;
        }
        if ((end == '-' || end == '\u2010')
                && n >= 2
                && Character.isLetter(before.charAt(n - 2))
                && Character.isLetterOrDigit(start)) {
            // "split-" + "ting" was one word; "Jean-" + "Paul" and "COVID-" + "19" keep their
            // hyphen.
            return Character.isLowerCase(start) ? Separator.DROP_HYPHEN : Separator.NONE;
        }
        return isCjk(before.codePointBefore(n)) || isCjk(start) ? Separator.NONE : Separator.SPACE;
    }

    // ---- Helpers --------------------------------------------------------------------------------

    /** A bullet or number standing alone, drawn apart from the text it marks. */
    private static boolean isMarkerOnly(String text) {
        String t = text.strip() + " ";
        return BULLET.matcher(t).matches() || NUMBER.matcher(t).matches();
    }

    private static boolean startsWithMarker(String text) {
        String t = text.strip();
        return BULLET.matcher(t).find() || NUMBER.matcher(t).find();
    }

    private static boolean isCjk(int cp) {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        return script == Character.UnicodeScript.HAN
                || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA
                || cp >= 0x3000 && cp <= 0x303F
                || cp >= 0xFF00 && cp <= 0xFFEF;
    }

    private static boolean overlaps(Line a, Line b) {
        return Math.min(a.right(), b.right()) - Math.max(a.left(), b.left()) > 0;
    }

    private static float end(List<Glyph> glyphs) {
        float end = -Float.MAX_VALUE;
        for (Glyph g : glyphs) {
            end = Math.max(end, g.x() + g.width());
        }
        return end;
    }

    private static boolean endsWithSpace(StringBuilder sb) {
        return !sb.isEmpty() && Character.isWhitespace(sb.charAt(sb.length() - 1));
    }

    private static List<Span> trim(List<Span> spans) {
        List<Span> out = new ArrayList<>(spans);
        out.set(0, new Span(out.getFirst().text().stripLeading(), out.getFirst().href()));
        out.set(
                out.size() - 1,
                new Span(out.getLast().text().stripTrailing(), out.getLast().href()));
        out.removeIf(s -> s.text().isEmpty());
        return out;
    }

    private static <K> K mode(Map<K, Integer> counts) {
        return counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }
}
