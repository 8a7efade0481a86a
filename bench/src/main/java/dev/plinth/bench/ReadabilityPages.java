package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Mozilla Readability's test pages as they lie on disk: {@code pages/<case>/source.html}, the gold
 * text {@code expected.txt} and {@code expected-metadata.json}. The pages were saved from {@code
 * http://fakehost/test/page.html}, the URL Readability's own tests read them from.
 */
final class ReadabilityPages {

    /** Where the data lives relative to the project root. */
    static final Path DEFAULT_DIR = Path.of("../shared/data/extraction/readability");

    /** The URL every page is read as if served from. */
    static final String URL = "http://fakehost/test/page.html";

    /**
     * One test page: its case name, HTML, gold text and gold metadata (an empty object when the
     * case has none).
     */
    record Sample(String id, String html, String expected, JsonNode metadata) {}

    private ReadabilityPages() {}

    /** {@code dir} if given, else the default resolved from the working directory. */
    static Path dir(Path dir) {
        if (dir == null) {
            dir = DEFAULT_DIR;
            // exec:java runs in the module folder; the project root is one level up.
            if (!Files.isDirectory(dir) && Files.isDirectory(Path.of("..").resolve(DEFAULT_DIR))) {
                dir = Path.of("..").resolve(DEFAULT_DIR);
            }
        }
        if (!Files.isDirectory(dir.resolve("pages"))) {
            throw new IllegalArgumentException(
                    "no readability test pages at " + dir.toAbsolutePath().normalize());
        }
        return dir;
    }

    /** Every case that has a source page and a gold text, in name order. */
    static List<Sample> load(Path dir) {
        ObjectMapper json = new ObjectMapper();
        List<Sample> samples = new ArrayList<>();
        try (Stream<Path> cases = Files.list(dir.resolve("pages"))) {
            for (Path page : cases.sorted().toList()) {
                Path source = page.resolve("source.html");
                Path expected = page.resolve("expected.txt");
                if (!Files.isRegularFile(source) || !Files.isRegularFile(expected)) {
                    continue;
                }
                Path metadata = page.resolve("expected-metadata.json");
                samples.add(
                        new Sample(
                                page.getFileName().toString(),
                                Files.readString(source, StandardCharsets.UTF_8),
                                Files.readString(expected, StandardCharsets.UTF_8),
                                Files.isRegularFile(metadata)
                                        ? json.readTree(metadata.toFile())
                                        : json.createObjectNode()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the readability pages at " + dir, e);
        }
        return samples;
    }
}
