package dev.plinth.reader.markdown;

import java.util.ArrayList;
import java.util.List;
import org.jsoup.nodes.Element;

/**
 * An HTML table laid out as the rectangular grid a browser draws: every row as wide as the widest,
 * a cell spanning several columns or rows repeated in each slot it covers, missing slots null.
 *
 * <p>Rows come from {@code thead}, then {@code tbody} and bare {@code tr}, then {@code tfoot} (HTML
 * 4 pages put the footer before the body); rows of nested tables are not this table's. Spans follow
 * the HTML table model closely enough for real pages: {@code rowspan="0"} runs to the last row, and
 * absurd spans are capped so a hostile page cannot make the grid large.
 */
final class TableGrid {

    /**
     * The widest span honoured; a colspan of 10,000 on a scraped page is an error, not a layout.
     */
    private static final int MAX_COLSPAN = 200;

    /** The most slots a grid may have; beyond it the table is not laid out as a grid at all. */
    static final int MAX_SLOTS = 250_000;

    /** Rows of cells, top to bottom; each row has exactly {@link #width} slots. */
    final List<Element[]> rows;

    final int width;

    /**
     * Index of the first row that came from {@code tfoot}; {@code rows.size()} when there is none.
     */
    final int footer;

    private TableGrid(List<Element[]> rows, int width, int footer) {
        this.rows = rows;
        this.width = width;
        this.footer = footer;
    }

    /** The grid of {@code table}, or null when it would exceed {@link #MAX_SLOTS}. */
    static TableGrid of(Element table) {
        List<Element> trs = new ArrayList<>();
        List<Element> foot = new ArrayList<>();
        for (Element child : table.children()) {
            switch (child.normalName()) {
                case "tr" -> trs.add(child);
                case "thead", "tbody" -> rowsOf(child, trs);
                case "tfoot" -> rowsOf(child, foot);
                default -> {}
            }
        }
        int footer = trs.size();
        trs.addAll(foot);

        List<List<Element>> grid = new ArrayList<>();
        List<Element> carried =
                new ArrayList<>(); // per column: the cell still spanning down into it
        List<Integer> carriedRows = new ArrayList<>(); // per column: how many more rows it spans
        int width = 0;
        long used = 0;
        for (int r = 0; r < trs.size(); r++) {
            List<Element> row = new ArrayList<>();
            int col = 0;
            for (Element cell : trs.get(r).children()) {
                if (!cell.normalName().equals("td") && !cell.normalName().equals("th")) {
                    continue;
                }
                col = takeCarried(row, col, carried, carriedRows);
                int colspan = span(cell.attr("colspan"), 1, MAX_COLSPAN);
                int remaining = trs.size() - r;
                String rows = cell.attr("rowspan").strip();
                int rowspan = rows.equals("0") ? remaining : span(rows, 1, remaining);
                for (int k = 0; k < colspan; k++, col++) {
                    row.add(cell);
                    while (carried.size() <= col) {
                        carried.add(null);
                        carriedRows.add(0);
                    }
                    if (rowspan > 1) {
                        carried.set(col, cell);
                        carriedRows.set(col, rowspan - 1);
                    }
                }
            }
            takeCarried(row, col, carried, carriedRows);
            // Trailing carried cells beyond the row's own cells.
            for (int c = row.size(); c < carried.size(); c++) {
                if (carriedRows.get(c) > 0) {
                    while (row.size() < c) {
                        row.add(null);
                    }
                    row.add(carried.get(c));
                    carriedRows.set(c, carriedRows.get(c) - 1);
                }
            }
            width = Math.max(width, row.size());
            used += row.size();
            if (used > MAX_SLOTS || (long) width * (r + 1) > MAX_SLOTS) {
                return null;
            }
            grid.add(row);
        }

        List<Element[]> rows = new ArrayList<>(grid.size());
        for (List<Element> row : grid) {
            Element[] slots = new Element[width];
            for (int c = 0; c < row.size(); c++) {
                slots[c] = row.get(c);
            }
            rows.add(slots);
        }
        return new TableGrid(rows, width, footer);
    }

    /**
     * Fills slots at {@code col} still covered by rowspans from above; returns the next free
     * column.
     */
    private static int takeCarried(
            List<Element> row, int col, List<Element> carried, List<Integer> carriedRows) {
        while (col < carried.size() && carriedRows.get(col) > 0) {
            while (row.size() < col) {
                row.add(null);
            }
            row.add(carried.get(col));
            carriedRows.set(col, carriedRows.get(col) - 1);
            col++;
        }
        return col;
    }

    private static void rowsOf(Element section, List<Element> into) {
        for (Element child : section.children()) {
            if (child.normalName().equals("tr")) {
                into.add(child);
            }
        }
    }

    private static int span(String value, int min, int max) {
        try {
            return Math.max(min, Math.min(max, Integer.parseInt(value.strip())));
        } catch (NumberFormatException e) {
            return min;
        }
    }
}
