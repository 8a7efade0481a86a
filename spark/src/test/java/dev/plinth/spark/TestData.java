package dev.plinth.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.SparkSession;
import org.netpreserve.jwarc.HttpRequest;
import org.netpreserve.jwarc.HttpResponse;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcCompression;
import org.netpreserve.jwarc.WarcRequest;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcWriter;

/** The Scrapinghub pages from the shared data, WARC files made of them, and the test session. */
final class TestData {

    /** One benchmark page: its id, original URL and HTML bytes as saved. */
    record Sample(String id, String url, byte[] html) {}

    private TestData() {}

    /** A session on two local cores, quiet and without a web UI, as the tests share it. */
    static SparkSession spark() {
        return SparkSession.builder()
                .master("local[2]")
                .appName("plinth tests")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    /** The 181 pages, in the order of the ground-truth file. */
    static List<Sample> scrapinghub() throws IOException {
        Path dir = dataDir();
        JsonNode truth = new ObjectMapper().readTree(dir.resolve("ground-truth.json").toFile());
        List<Sample> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : truth.properties()) {
            Path file = dir.resolve("html").resolve(e.getKey() + ".html.gz");
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                out.add(
                        new Sample(
                                e.getKey(), e.getValue().get("url").asText(), in.readAllBytes()));
            }
        }
        return out;
    }

    /** ../shared/data/extraction/scrapinghub beside the project, found from the module or root. */
    private static Path dataDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/data/extraction/scrapinghub");
            if (Files.isDirectory(candidate.resolve("html"))) {
                return candidate;
            }
        }
        throw new IllegalStateException(
                "no shared/data/extraction/scrapinghub above " + here + ": the tests need it");
    }

    /**
     * Writes a gzipped WARC: for each page a request record and a 200 response record ({@code
     * text/html}, no charset: the page says its own, as a saved file does), then {@code extra}.
     */
    static void writeWarc(Path file, List<Sample> pages, List<WarcResponse> extra)
            throws IOException {
        try (FileChannel channel =
                        FileChannel.open(
                                file,
                                StandardOpenOption.CREATE,
                                StandardOpenOption.TRUNCATE_EXISTING,
                                StandardOpenOption.WRITE);
                WarcWriter writer = new WarcWriter(channel, WarcCompression.GZIP)) {
            for (Sample page : pages) {
                URI uri = URI.create(page.url());
                writer.write(
                        new WarcRequest.Builder(uri)
                                .date(Instant.parse("2024-01-01T00:00:00Z"))
                                .body(new HttpRequest.Builder("GET", uri).build())
                                .build());
                writer.write(response(page.url(), 200, "OK", page.html()));
            }
            for (WarcResponse record : extra) {
                writer.write(record);
            }
        }
    }

    /** A response record for {@code url} with an HTML body. */
    static WarcResponse response(String url, int status, String reason, byte[] html)
            throws IOException {
        return new WarcResponse.Builder(URI.create(url))
                .date(Instant.parse("2024-01-01T00:00:00Z"))
                .body(
                        new HttpResponse.Builder(status, reason)
                                .body(MediaType.parse("text/html"), html)
                                .build())
                .build();
    }
}
