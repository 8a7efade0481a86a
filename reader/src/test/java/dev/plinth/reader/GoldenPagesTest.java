package dev.plinth.reader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.fetch.Fetcher;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden pages: each {@code pages/NAME.html} goes through the whole product path (parse,
 * main-content extraction, Markdown) as if served from {@code https://example.com/pages/NAME.html},
 * and must come out exactly as {@code pages/NAME.md} beside it.
 */
class GoldenPagesTest {

    private static Reader reader;

    @BeforeAll
    static void start() {
        reader = new Reader(new Fetcher(Fetcher.Settings.DEFAULTS));
    }

    @AfterAll
    static void stop() {
        reader.close();
    }

    static Stream<String> pages() throws IOException, URISyntaxException {
        Path dir = Path.of(GoldenPagesTest.class.getResource("/pages").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names =
                    files.map(p -> p.getFileName().toString())
                            .filter(n -> n.endsWith(".html"))
                            .map(n -> n.substring(0, n.length() - ".html".length()))
                            .sorted()
                            .toList();
            assertTrue(names.size() >= 8, "golden pages found: " + names);
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pages")
    void convertsPageToExpectedMarkdown(String name) throws Exception {
        Path dir = Path.of(GoldenPagesTest.class.getResource("/pages").toURI());
        String html = Files.readString(dir.resolve(name + ".html"), StandardCharsets.UTF_8);
        String expected =
                Files.readString(dir.resolve(name + ".md"), StandardCharsets.UTF_8).stripTrailing();

        Result result =
                reader.convert(
                        Page.ofHtml(
                                html, URI.create("https://example.com/pages/" + name + ".html")),
                        Options.DEFAULTS);

        assertEquals(expected, result.content());
    }
}
