package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The Scrapinghub article-extraction benchmark as it lies on disk: {@code html/<id>.html.gz} pages
 * and {@code ground-truth.json} mapping each id to its {@code articleBody} and original {@code
 * url}. Shared by the extraction evaluation and the reader speed benchmark.
 */
final class ScrapinghubPages {

    /** Where the data lives relative to the project root. */
    static final Path DEFAULT_DIR = Path.of("../shared/data/extraction/scrapinghub");

    /**
     * One benchmark page: its id, original URL, raw HTML bytes (UTF-8) and expected article text.
     */
    record Sample(String id, String url, byte[] html, String expected) {}

    private ScrapinghubPages() {}

    /**
     * The folder named by {@code args[index]} if given, else the default resolved from the working
     * directory.
     */
    static Path dir(String[] args, int index) {
        Path dir = args.length > index ? Path.of(args[index]) : DEFAULT_DIR;
        if (!Files.isDirectory(dir) && args.length <= index) {
            // exec:java runs in the module folder; the project root is one level up.
            Path fromModule = Path.of("..").resolve(DEFAULT_DIR);
            if (Files.isDirectory(fromModule)) {
                dir = fromModule;
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(
                    "no benchmark data at " + dir.toAbsolutePath().normalize());
        }
        return dir;
    }

    /** Every page of the set, in the order of the ground-truth file. */
    static List<Sample> load(Path dir) {
        try {
            JsonNode truth = new ObjectMapper().readTree(dir.resolve("ground-truth.json").toFile());
            List<Sample> samples = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = truth.properties().iterator();
                    it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                Path file = dir.resolve("html").resolve(entry.getKey() + ".html.gz");
                try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                    samples.add(
                            new Sample(
                                    entry.getKey(),
                                    entry.getValue().path("url").asText(),
                                    in.readAllBytes(),
                                    entry.getValue().path("articleBody").asText()));
                }
            }
            return samples;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the benchmark at " + dir, e);
        }
    }
}
