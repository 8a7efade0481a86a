package dev.plinth.reader.extract;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jsoup.Jsoup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One small page per class of page that extraction used to get wrong (empty output on old layouts,
 * the wrong block, lists beside the text, boilerplate inside the article, content dropped). Each
 * {@code extract/cases/NAME.html} opens with a comment that names its class, says why the rule it
 * shows exists, and lists the lines its plain text must keep ({@code keep: …}) and must not hold
 * ({@code drop: …}). Every page is read as if served from {@code https://example.org/page}.
 */
class ExtractionCasesTest {

    /** A case's expectations, from its opening comment. */
    private record Case(String name, String html, List<String> keep, List<String> drop) {}

    static Stream<String> cases() throws IOException, URISyntaxException {
        Path dir = Path.of(ExtractionCasesTest.class.getResource("/extract/cases").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names =
                    files.map(p -> p.getFileName().toString())
                            .filter(n -> n.endsWith(".html"))
                            .sorted()
                            .toList();
            assertTrue(names.size() >= 15, "cases found: " + names);
            return names.stream();
        }
    }

    private static Case read(String name) throws IOException, URISyntaxException {
        Path file =
                Path.of(ExtractionCasesTest.class.getResource("/extract/cases/" + name).toURI());
        String html = Files.readString(file, StandardCharsets.UTF_8);
        int end = html.indexOf("-->");
        assertTrue(html.startsWith("<!--") && end > 0, name + " opens with its expectations");
        List<String> keep = new ArrayList<>(), drop = new ArrayList<>();
        boolean classNamed = false, reasonGiven = false;
        for (String line : html.substring(4, end).split("\n")) {
            classNamed |= line.startsWith("class: ");
            reasonGiven |= line.startsWith("why: ");
            if (line.startsWith("keep: ")) {
                keep.add(line.substring(6));
            } else if (line.startsWith("drop: ")) {
                drop.add(line.substring(6));
            }
        }
        assertTrue(classNamed && reasonGiven && !keep.isEmpty(), name + " names class, why, keep");
        return new Case(name, html, keep, drop);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void extractsThePageAsItsCaseSays(String name) throws Exception {
        Case c = read(name);

        String text =
                PlainText.of(
                        Extractor.extract(Jsoup.parse(c.html(), "https://example.org/page"))
                                .content());

        for (String line : c.keep()) {
            assertTrue(text.contains(line), "lost \"" + line + "\" from:\n" + text);
        }
        for (String line : c.drop()) {
            assertFalse(text.contains(line), "kept \"" + line + "\" in:\n" + text);
        }
    }
}
