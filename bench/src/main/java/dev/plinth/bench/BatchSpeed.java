package dev.plinth.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.netpreserve.jwarc.HttpResponse;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcCompression;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.WarcWriter;

/**
 * Batch speed: {@code plinth batch} on {@code local[2]} against {@code plinth read} over the same
 * pages in the same run: the 181 Scrapinghub pages ×10 (1,810), read by the CLI from their {@code
 * .html.gz} files and by the batch job from one WARC of 1,810 response records, then the batch job
 * again with {@code --embed}. Both are whole commands through the {@code plinth} launcher, timed
 * from start to exit, so JVM and Spark start-up count against each (the CLI's start is a JVM, the
 * job's a JVM and a Spark session). Each is measured by the wall clock and by the CPU time of the
 * command and its children: on a shared machine the wall clock moves with the load (printed beside
 * each figure), CPU seconds much less.
 *
 * <p>Run from the project root (add {@code -Dexec.args="[COPIES] [DATA_DIR] [EMBED]"}; {@code
 * EMBED} false skips the {@code --embed} run):
 *
 * <pre>{@code
 * mvn -q -B -pl bench -am test-compile exec:java -Dexec.mainClass=dev.plinth.bench.BatchSpeed
 * }</pre>
 *
 * The launcher builds the server and spark jars first if they are missing or stale (not timed).
 */
public final class BatchSpeed {

    private static final String MODEL = "bge-small-en-v1.5-int8";

    public static void main(String[] args) throws Exception {
        int copies = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        boolean withEmbed = args.length <= 2 || Boolean.parseBoolean(args[2]);
        Path data = ScrapinghubPages.dir(args, 1).toAbsolutePath().normalize();
        List<ScrapinghubPages.Sample> samples = ScrapinghubPages.load(data);
        Path root = projectRoot();
        Path work = Files.createTempDirectory("plinth-batch-speed");
        int pages = samples.size() * copies;

        Path warc = work.resolve("pages.warc.gz");
        writeWarc(warc, samples, copies);
        List<String> files = new ArrayList<>();
        for (int k = 0; k < copies; k++) {
            for (ScrapinghubPages.Sample s : samples) {
                files.add(data.resolve("html").resolve(s.id() + ".html.gz").toString());
            }
        }
        String plinth = root.resolve("plinth").toString();
        // Build (if needed) outside the timings.
        run(List.of(plinth, "--version"), false);
        run(List.of(plinth, "batch", "--version"), false);

        System.out.printf(
                Locale.ROOT,
                "%d pages (%d Scrapinghub pages x%d); %d cores; work folder %s%n",
                pages,
                samples.size(),
                copies,
                Runtime.getRuntime().availableProcessors(),
                work);

        List<String> read =
                new ArrayList<>(List.of(plinth, "read", "--out", work.resolve("read").toString()));
        read.addAll(files);
        Cost cli = timed("plinth read (4 threads)", read, pages);

        List<String> batch =
                List.of(
                        plinth,
                        "batch",
                        "--master",
                        "local[2]",
                        "--input",
                        warc.toString(),
                        "--output",
                        work.resolve("batch").toString());
        Cost spark = timed("plinth batch local[2]", batch, pages);

        System.out.printf(
                Locale.ROOT,
                "batch rate / read rate: %.0f%% by the wall clock (target >= 80%%), %.0f%% by CPU%n",
                100 * cli.wall() / spark.wall(),
                100 * cli.cpu() / spark.cpu());
        if (withEmbed) {
            List<String> embed = new ArrayList<>(batch);
            embed.set(embed.size() - 1, work.resolve("batch-embed").toString());
            embed.addAll(List.of("--embed", MODEL));
            Cost embedded = timed("plinth batch local[2] --embed " + MODEL, embed, pages);
            System.out.printf(
                    Locale.ROOT,
                    "with --embed, batch rate / read rate: %.0f%% by the wall clock, %.0f%% by CPU%n",
                    100 * cli.wall() / embedded.wall(),
                    100 * cli.cpu() / embedded.cpu());
        }
    }

    /** A command's cost: wall-clock seconds, and CPU seconds of it and all its children. */
    private record Cost(double wall, double cpu) {}

    /** Runs a command and returns its cost, printed as pages/s by the wall clock and by CPU. */
    private static Cost timed(String name, List<String> command, int pages) throws Exception {
        double loadBefore = load();
        long start = System.nanoTime();
        double cpu = run(command, true);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "%-45s %7.1f s %7.1f pages/s | CPU %7.1f s %6.2f pages/CPU-s | load avg %.2f -> %.2f%n",
                name,
                seconds,
                pages / seconds,
                cpu,
                pages / cpu,
                loadBefore,
                load());
        return new Cost(seconds, cpu);
    }

    /**
     * Runs a command through bash, whose {@code times} then reports the user + system CPU of
     * everything the command ran; returns those CPU seconds.
     */
    private static double run(List<String> command, boolean showErrors) throws Exception {
        List<String> wrapped =
                new ArrayList<>(
                        List.of("bash", "-c", "\"$@\" >/dev/null; rc=$?; times; exit $rc", "bash"));
        wrapped.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(wrapped);
        builder.redirectError(
                showErrors ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.DISCARD);
        Process process = builder.start();
        String times = new String(process.getInputStream().readAllBytes());
        int code = process.waitFor();
        if (code != 0) {
            throw new IllegalStateException(
                    "exit " + code + ": " + String.join(" ", command.subList(0, 3)) + " …");
        }
        // `times` prints the shell's user/system time, then its children's: "1m2.500s 0m3.250s"
        String[] lines = times.strip().split("\n");
        double cpu = 0;
        for (String part : lines[lines.length - 1].strip().split("\\s+")) {
            String[] ms = part.replace("s", "").split("m");
            cpu += Double.parseDouble(ms[0]) * 60 + Double.parseDouble(ms[1]);
        }
        return cpu;
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** Every page {@code copies} times, each copy under its own URL, as response records. */
    private static void writeWarc(Path file, List<ScrapinghubPages.Sample> samples, int copies)
            throws IOException {
        try (FileChannel channel =
                        FileChannel.open(
                                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                WarcWriter writer = new WarcWriter(channel, WarcCompression.GZIP)) {
            for (int k = 0; k < copies; k++) {
                for (ScrapinghubPages.Sample s : samples) {
                    String base = s.url().replaceFirst("#.*$", "");
                    String url = base + (base.contains("?") ? "&" : "?") + "plinth-copy=" + k;
                    writer.write(
                            new WarcResponse.Builder(URI.create(url))
                                    .date(Instant.parse("2024-01-01T00:00:00Z"))
                                    .body(
                                            new HttpResponse.Builder(200, "OK")
                                                    .body(MediaType.parse("text/html"), s.html())
                                                    .build())
                                    .build());
                }
            }
        }
    }

    /** The folder with the {@code plinth} launcher: here, or one up (exec:java runs in bench/). */
    private static Path projectRoot() {
        for (Path p : List.of(Path.of(""), Path.of(".."))) {
            if (Files.isExecutable(p.resolve("plinth"))) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("run from the project root: no ./plinth here");
    }
}
