package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.reader.markdown.MarkdownOptions;
import dev.plinth.reader.markdown.MarkdownWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jsoup.Jsoup;

/**
 * Markdown fidelity against Turndown's own test suites ({@code turndown} and {@code turndown-gfm},
 * 165 cases): each case's HTML is parsed by jsoup and written by {@link MarkdownWriter} with the
 * case's Turndown options mapped onto {@link MarkdownOptions} (Turndown's defaults where a case
 * sets none: setext headings, {@code * * *}, {@code *} bullets, indented code; the GFM suite runs
 * with {@code gfm} on and the plugin's single-tilde strikethrough, the core suite with {@code gfm}
 * off). Images are written as Turndown writes them, {@code ![alt](src)} with data URIs kept: the
 * {@code Image N} labels and pseudo URLs of plinth's Jina-compatible defaults are switched off.
 *
 * <p>Two scores: <em>exact</em> (byte for byte) and <em>normalized</em>, where both sides have
 * every run of spaces and tabs inside a line reduced to one space, trailing spaces dropped and runs
 * of blank lines reduced to one: Turndown pads list markers to four columns ({@code * item}) and
 * indents blank lines, plinth writes the narrowest valid form ({@code - item}); both parse to the
 * same document.
 *
 * <p>Run from the project root:
 *
 * <pre>{@code
 * mvn -q -B -Dplinth.build=target-markdown -pl bench -am test-compile exec:java \
 *     -Dexec.mainClass=dev.plinth.bench.MarkdownEval [-Dexec.args="[DATA_DIR] [--verbose] [--diff]"]
 * }</pre>
 *
 * {@code DATA_DIR} defaults to {@code ../shared/data/markdown}; {@code --verbose} lists the failing
 * cases, {@code --diff} also prints expected and actual output for each.
 */
public final class MarkdownEval {

    private static final List<String> SUITES = List.of("turndown", "turndown-gfm");

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("../shared/data/markdown");
        boolean verbose = false;
        boolean diff = false;
        for (String arg : args) {
            switch (arg) {
                case "--verbose" -> verbose = true;
                case "--diff" -> verbose = diff = true;
                default -> dir = Path.of(arg);
            }
        }
        ObjectMapper json = new ObjectMapper();
        int total = 0;
        int exact = 0;
        int normalized = 0;
        List<String> failures = new ArrayList<>();
        for (String suite : SUITES) {
            int suiteTotal = 0;
            int suiteExact = 0;
            int suiteNormalized = 0;
            for (String line : Files.readAllLines(dir.resolve(suite).resolve("cases.jsonl"))) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode c = json.readTree(line);
                MarkdownOptions options = options(c.path("options"), suite.endsWith("gfm"));
                String html = c.path("input_html").asText();
                String expected = c.path("expected_markdown").asText();
                String actual = MarkdownWriter.write(Jsoup.parseBodyFragment(html).body(), options);
                suiteTotal++;
                if (actual.equals(expected)) {
                    suiteExact++;
                }
                if (normalize(actual).equals(normalize(expected))) {
                    suiteNormalized++;
                } else {
                    String name =
                            suite + " #" + c.path("index").asInt() + " " + c.path("name").asText();
                    failures.add(name);
                    if (diff) {
                        failures.add("  expected: " + expected.replace("\n", "\n            "));
                        failures.add("  actual:   " + actual.replace("\n", "\n            "));
                    }
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "%-13s exact %3d/%d (%.1f%%)   normalized %3d/%d (%.1f%%)%n",
                    suite,
                    suiteExact,
                    suiteTotal,
                    100.0 * suiteExact / suiteTotal,
                    suiteNormalized,
                    suiteTotal,
                    100.0 * suiteNormalized / suiteTotal);
            total += suiteTotal;
            exact += suiteExact;
            normalized += suiteNormalized;
        }
        System.out.printf(
                Locale.ROOT,
                "%-13s exact %3d/%d (%.1f%%)   normalized %3d/%d (%.1f%%)%n",
                "all",
                exact,
                total,
                100.0 * exact / total,
                normalized,
                total,
                100.0 * normalized / total);
        if (verbose) {
            System.out.println("failing (normalized):");
            failures.forEach(f -> System.out.println("  " + f));
        }
    }

    /**
     * A case's Turndown options as plinth options, Turndown's defaults where the case sets none.
     */
    static MarkdownOptions options(JsonNode t, boolean gfm) {
        return MarkdownOptions.builder()
                .headingStyle(
                        t.path("headingStyle").asText("setext").equals("atx")
                                ? MarkdownOptions.HeadingStyle.ATX
                                : MarkdownOptions.HeadingStyle.SETEXT)
                .hr(t.path("hr").asText("* * *"))
                .bulletListMarker(t.path("bulletListMarker").asText("*"))
                .codeBlockStyle(
                        t.path("codeBlockStyle").asText("indented").equals("fenced")
                                ? MarkdownOptions.CodeBlockStyle.FENCED
                                : MarkdownOptions.CodeBlockStyle.INDENTED)
                .fence(t.path("fence").asText("```"))
                .emDelimiter(t.path("emDelimiter").asText("_"))
                .strongDelimiter(t.path("strongDelimiter").asText("**"))
                .linkStyle(
                        t.path("linkStyle").asText("inlined").equals("referenced")
                                ? MarkdownOptions.LinkStyle.REFERENCED
                                : MarkdownOptions.LinkStyle.INLINED)
                .linkReferenceStyle(
                        switch (t.path("linkReferenceStyle").asText("full")) {
                            case "collapsed" -> MarkdownOptions.LinkReferenceStyle.COLLAPSED;
                            case "shortcut" -> MarkdownOptions.LinkReferenceStyle.SHORTCUT;
                            default -> MarkdownOptions.LinkReferenceStyle.FULL;
                        })
                .br(t.path("br").asText("  "))
                .preformattedCode(t.path("preformattedCode").asBoolean(false))
                .gfm(gfm)
                .strikethroughDelimiter("~")
                .numberImages(false)
                .keepDataUris(true)
                .build();
    }

    /**
     * Spaces and tabs inside lines reduced to one, trailing ones dropped, blank-line runs reduced
     * to one.
     */
    static String normalize(String markdown) {
        StringBuilder sb = new StringBuilder();
        boolean blank = false;
        for (String line : markdown.strip().split("\n", -1)) {
            String l = line.replaceAll("[ \t]+", " ").stripTrailing();
            if (l.isEmpty()) {
                blank = true;
                continue;
            }
            if (blank && !sb.isEmpty()) {
                sb.append('\n');
            }
            blank = false;
            sb.append(sb.isEmpty() ? "" : "\n").append(l);
        }
        return sb.toString();
    }

    private MarkdownEval() {}
}
