package dev.plinth.bench;

import dev.plinth.reader.ReaderException;
import dev.plinth.reader.pdf.PdfReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;

/**
 * PDF structure recovery, scored against the documents the PDFs were made from: each fixture in
 * {@code reader/src/test/resources/pdf/} was printed from {@code src/NAME.html} (Chromium) or
 * {@code src/NAME.fodt} (LibreOffice), so the source says exactly which headings (text and level),
 * list items (text and nesting depth) and table cells (text, row and column) the PDF holds. The
 * reader's Markdown is parsed back and each source element counts as right when an unclaimed
 * element of the same kind matches it; "extra" counts output elements of a kind that matched
 * nothing (a column layout taken for a table shows there). Word precision and recall come from the
 * longest common subsequence of the source's words and the output's, so reading order, lost text
 * and leftover page furniture (the LibreOffice sources' headers and footers are not body text) all
 * cost.
 *
 * <p>Run: {@code mvn -q -B -Dplinth.build=target-pdf -pl bench -am test-compile exec:java
 * -Dexec.mainClass=dev.plinth.bench.PdfEval} (optional argument: the fixture folder).
 */
public final class PdfEval {

    /**
     * One structural element: its kind, its text, and where it sits (level, depth or row/column).
     */
    record Item(String kind, String text, String position) {}

    private static final Pattern HEADING = Pattern.compile("^(#{1,6}) (.*)$");
    private static final Pattern LIST_ITEM = Pattern.compile("^( *)([-*+]|\\d+[.)]) (.*)$");
    private static final Pattern LINK = Pattern.compile("\\[([^\\]]*)]\\([^)]*\\)");

    private PdfEval() {}

    public static void main(String[] args) throws IOException, ReaderException {
        Path dir = Path.of(args.length > 0 ? args[0] : "reader/src/test/resources/pdf");
        List<Path> pdfs;
        try (Stream<Path> files = Files.list(dir)) {
            pdfs = files.filter(p -> p.toString().endsWith(".pdf")).sorted().toList();
        }
        int[] total = new int[8];
        int cellsTotal = 0;
        int[] extras = new int[3];
        double lcs = 0;
        double truthWords = 0;
        double outWords = 0;
        System.out.printf(
                "%-26s %8s %7s %7s %8s %7s %7s %8s %7s %7s %6s %6s%n",
                "fixture",
                "headings",
                "+level",
                "extra",
                "items",
                "+depth",
                "extra",
                "cells",
                "+place",
                "extra",
                "wordP",
                "wordR");
        for (Path pdf : pdfs) {
            String name = pdf.getFileName().toString().replace(".pdf", "");
            Path html = dir.resolve("src/" + name + ".html");
            Path fodt = dir.resolve("src/" + name + ".fodt");
            Source truth =
                    Files.exists(html)
                            ? fromHtml(html)
                            : Files.exists(fodt) ? fromFodt(fodt) : null;
            if (truth == null) {
                System.out.println(name + ": no source, skipped");
                continue;
            }
            String markdown = PdfReader.read(Files.readAllBytes(pdf), null).markdown();
            List<Item> out = parseMarkdown(markdown);
            int[] s = {
                matched(truth.items, out, "h", false), matched(truth.items, out, "h", true),
                matched(truth.items, out, "li", false), matched(truth.items, out, "li", true),
                matched(truth.items, out, "td", false), matched(truth.items, out, "td", true),
                count(truth.items, "h"), count(truth.items, "li")
            };
            int cells = count(truth.items, "td");
            List<String> a = words(truth.text);
            List<String> b = words(plain(markdown));
            int common = lcs(a, b);
            lcs += common;
            truthWords += a.size();
            outWords += b.size();
            int[] extra = {
                count(out, "h") - s[0], count(out, "li") - s[2], count(out, "td") - s[4]
            };
            System.out.printf(
                    "%-26s %8s %7s %7d %8s %7s %7d %8s %7s %7d %6.3f %6.3f%n",
                    name,
                    s[0] + "/" + s[6],
                    s[1] + "/" + s[6],
                    extra[0],
                    s[2] + "/" + s[7],
                    s[3] + "/" + s[7],
                    extra[1],
                    s[4] + "/" + cells,
                    s[5] + "/" + cells,
                    extra[2],
                    (double) common / b.size(),
                    (double) common / a.size());
            for (int i = 0; i < 3; i++) {
                extras[i] += extra[i];
            }
            for (int i = 0; i < 6; i++) {
                total[i] += s[i];
            }
            total[6] += s[6];
            total[7] += s[7];
            cellsTotal += cells;
        }
        System.out.printf(
                "%-26s %8s %7s %7d %8s %7s %7d %8s %7s %7d %6.3f %6.3f%n",
                "total",
                total[0] + "/" + total[6],
                total[1] + "/" + total[6],
                extras[0],
                total[2] + "/" + total[7],
                total[3] + "/" + total[7],
                extras[1],
                total[4] + "/" + cellsTotal,
                total[5] + "/" + cellsTotal,
                extras[2],
                lcs / outWords,
                lcs / truthWords);
    }

    // ---- Ground truth from the sources ----

    record Source(List<Item> items, String text) {}

    private static Source fromHtml(Path file) throws IOException {
        Document doc = Jsoup.parse(file.toFile());
        List<Item> items = new ArrayList<>();
        for (Element h : doc.select("h1, h2, h3, h4, h5, h6")) {
            items.add(new Item("h", norm(h.text()), h.tagName().substring(1)));
        }
        for (Element li : doc.select("li")) {
            Element own = li.clone();
            own.select("ul, ol").remove();
            long depth =
                    li.parents().stream().filter(e -> e.nameIs("ul") || e.nameIs("ol")).count() - 1;
            items.add(new Item("li", norm(own.text()), String.valueOf(depth)));
        }
        tableCells(doc.select("table"), "tr", "th, td", items);
        return new Source(items, doc.body().text());
    }

    private static Source fromFodt(Path file) throws IOException {
        Document doc = Jsoup.parse(Files.readString(file), "", Parser.xmlParser());
        Element body = doc.selectFirst("office|text");
        List<Item> items = new ArrayList<>();
        for (Element h : body.select("text|h")) {
            items.add(new Item("h", norm(h.text()), h.attr("text:outline-level")));
        }
        for (Element li : body.select("text|list-item")) {
            Element p = li.selectFirst("> text|p");
            int depth =
                    (int) li.parents().stream().filter(e -> e.tagName().equals("text:list")).count()
                            - 1;
            items.add(new Item("li", norm(p == null ? "" : p.text()), String.valueOf(depth)));
        }
        tableCells(body.select("table|table"), "table|table-row", "table|table-cell", items);
        StringBuilder text = new StringBuilder();
        for (Element block : body.select("text|h, text|p")) {
            text.append(block.text()).append('\n');
        }
        return new Source(items, text.toString());
    }

    private static void tableCells(
            List<Element> tables, String rowQuery, String cellQuery, List<Item> items) {
        for (int t = 0; t < tables.size(); t++) {
            List<Element> rows = tables.get(t).select(rowQuery);
            for (int r = 0; r < rows.size(); r++) {
                List<Element> cells = rows.get(r).select(cellQuery);
                for (int c = 0; c < cells.size(); c++) {
                    items.add(new Item("td", norm(cells.get(c).text()), t + ":" + r + ":" + c));
                }
            }
        }
    }

    // ---- The reader's output, parsed back ----

    private static List<Item> parseMarkdown(String markdown) {
        List<Item> items = new ArrayList<>();
        List<Integer> indents = new ArrayList<>();
        int table = -1;
        int row = 0;
        boolean inTable = false;
        for (String line : markdown.split("\n")) {
            Matcher h = HEADING.matcher(line);
            Matcher li = LIST_ITEM.matcher(line);
            if (line.startsWith("|")) {
                if (!inTable) {
                    table++;
                    row = 0;
                    inTable = true;
                }
                if (line.matches("\\|( *-+ *\\|)+")) {
                    continue;
                }
                String[] cells = line.substring(1, line.length() - 1).split("(?<!\\\\)\\|", -1);
                for (int c = 0; c < cells.length; c++) {
                    items.add(
                            new Item(
                                    "td",
                                    norm(unlink(cells[c]).replace("\\|", "|")),
                                    table + ":" + row + ":" + c));
                }
                row++;
                continue;
            }
            inTable = false;
            if (h.matches()) {
                items.add(
                        new Item(
                                "h",
                                norm(unlink(h.group(2))),
                                String.valueOf(h.group(1).length())));
                indents.clear();
            } else if (li.matches()) {
                int indent = li.group(1).length();
                indents.removeIf(i -> i > indent);
                if (!indents.contains(indent)) {
                    indents.add(indent);
                }
                items.add(
                        new Item(
                                "li",
                                norm(unlink(li.group(3))),
                                String.valueOf(indents.indexOf(indent))));
            } else if (!line.isBlank()) {
                indents.clear();
            }
        }
        return items;
    }

    // ---- Scoring ----

    /**
     * Source items of {@code kind} that find an unclaimed output item with the same text (and
     * position).
     */
    private static int matched(List<Item> truth, List<Item> out, String kind, boolean position) {
        List<Item> pool = new ArrayList<>(out.stream().filter(i -> i.kind().equals(kind)).toList());
        int found = 0;
        for (Item t : truth) {
            if (!t.kind().equals(kind)) {
                continue;
            }
            for (int i = 0; i < pool.size(); i++) {
                Item o = pool.get(i);
                if (o.text().equals(t.text()) && (!position || o.position().equals(t.position()))) {
                    pool.remove(i);
                    found++;
                    break;
                }
            }
        }
        return found;
    }

    private static int count(List<Item> items, String kind) {
        return (int) items.stream().filter(i -> i.kind().equals(kind)).count();
    }

    /** Words in reading order; each Han, kana or hangul character counts as a word of its own. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        Matcher m =
                Pattern.compile("[\\p{IsHan}\\p{IsHiragana}\\p{IsKatakana}]|[\\p{L}\\p{N}]+")
                        .matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            words.add(m.group());
        }
        return words;
    }

    /** Length of the longest common subsequence, in two rows of memory. */
    static int lcs(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = x.equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }

    private static String plain(String markdown) {
        return unlink(markdown)
                .replaceAll("(?m)^#{1,6} |^\\s*([-*+]|\\d+[.)]) |\\|", " ")
                .replace("---", " ");
    }

    private static String unlink(String text) {
        return LINK.matcher(text).replaceAll("$1");
    }

    private static String norm(String text) {
        return text.replace('\u00AD', ' ').replaceAll("\\s+", " ").strip();
    }
}
