package dev.plinth.spark;

import dev.plinth.reader.Options;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code plinth batch}: the batch job from the command line. On a laptop it runs on {@code
 * local[*]}; under {@code spark-submit} the same jar runs on the cluster spark-submit names (see
 * spark/README.md).
 */
@Command(
        name = "plinth batch",
        version = "plinth 0.1.0",
        mixinStandardHelpOptions = true,
        description =
                "Read many pages (URL lists, tables, WARC files) into a Parquet table on Spark.")
public final class BatchCommand implements Callable<Integer> {

    /** What {@code --format} accepts. */
    enum InputFormat {
        urls(Batch.Format.URLS),
        parquet(Batch.Format.PARQUET),
        csv(Batch.Format.CSV),
        warc(Batch.Format.WARC);

        final Batch.Format value;

        InputFormat(Batch.Format value) {
            this.value = value;
        }
    }

    /** What {@code --content} accepts. */
    enum Content {
        content(Options.Format.CONTENT),
        markdown(Options.Format.MARKDOWN),
        text(Options.Format.TEXT),
        html(Options.Format.HTML);

        final Options.Format value;

        Content(Options.Format value) {
            this.value = value;
        }
    }

    @Option(
            names = "--input",
            required = true,
            paramLabel = "PATH",
            description =
                    "URL list (.txt), table (.parquet, .csv) or WARC files (.warc, .warc.gz);"
                            + " files, folders or globs, on any file system Spark reads (repeatable).")
    List<String> inputs;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "DIR",
            description = "Parquet folder to write; URLs already in it are skipped.")
    String output;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            description = "What the inputs hold: urls, parquet, csv, warc (default: by file name).")
    InputFormat format;

    @Option(
            names = "--embed",
            paramLabel = "MODEL",
            description =
                    "Also embed each page's content with this model (e.g. bge-small-en-v1.5-int8).")
    String embed;

    @Option(
            names = "--chunks",
            description = "With --embed: also write late-chunked paragraph vectors.")
    boolean chunks;

    @Option(
            names = "--models",
            paramLabel = "DIR",
            description =
                    "Folder of model folders on every executor (default: $PLINTH_MODELS or ~/.plinth/models).")
    String models;

    @Option(
            names = "--content",
            paramLabel = "FORMAT",
            defaultValue = "content",
            description =
                    "content (main content as Markdown, default), markdown (whole page), text, html.")
    Content content;

    @Option(
            names = "--per-host",
            paramLabel = "N",
            defaultValue = "2",
            description = "Most requests in flight to one host across the job (default 2).")
    int perHost;

    @Option(
            names = "--per-host-rate",
            paramLabel = "R",
            defaultValue = "2",
            description = "Most request starts a second to one host (default 2).")
    double perHostRate;

    @Option(
            names = "--concurrency",
            paramLabel = "N",
            defaultValue = "32",
            description = "Most fetches in flight in one task (default 32).")
    int concurrency;

    @Option(
            names = "--attempts",
            paramLabel = "N",
            defaultValue = "3",
            description = "Attempts for a page answering 429 or 5xx (default 3).")
    int attempts;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            description = "Deadline for one fetch (default 30).")
    Integer timeout;

    @Option(
            names = "--robots-txt",
            paramLabel = "AGENT",
            description = "Honour robots.txt as this user agent.")
    String robotsTxt;

    @Option(
            names = "--allow-private-network",
            description =
                    "Let URLs reach private and loopback addresses (default: $PLINTH_ALLOW_PRIVATE_NETWORK).")
    boolean allowPrivateNetwork;

    @Option(names = "--overwrite", description = "Replace the output instead of resuming it.")
    boolean overwrite;

    @Option(
            names = "--round-size",
            paramLabel = "N",
            defaultValue = "100000",
            description =
                    "URLs per committed round, the unit a resumed job redoes (default 100000).")
    long roundSize;

    @Option(
            names = "--master",
            paramLabel = "URL",
            description = "Spark master (default: spark-submit's, else local[*]).")
    String master;

    public static void main(String[] args) {
        quietLogsWhenLocal();
        System.exit(run(args));
    }

    /** Runs the command and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        return new CommandLine(new BatchCommand()).execute(args);
    }

    @Override
    public Integer call() throws IOException {
        PrintStream err = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        if (chunks && embed == null) {
            err.println("plinth batch: --chunks needs --embed MODEL");
            return 2;
        }
        boolean allowPrivate =
                allowPrivateNetwork || isTrue(System.getenv("PLINTH_ALLOW_PRIVATE_NETWORK"));
        long start = System.nanoTime();
        try {
            Plinth.Settings settings =
                    Plinth.Settings.builder()
                            .format(content.value)
                            .robotsTxt(robotsTxt)
                            .timeout(timeout == null ? null : Duration.ofSeconds(timeout))
                            .allowPrivateNetwork(allowPrivate)
                            .perHost(perHost)
                            .perHostRate(perHostRate)
                            .concurrency(concurrency)
                            .maxAttempts(attempts)
                            .embedModel(embed)
                            .chunks(chunks)
                            .modelsDir(models)
                            .build();
            Batch.Job job =
                    new Batch.Job(
                            inputs,
                            format == null ? null : format.value,
                            output,
                            overwrite,
                            roundSize,
                            settings);
            SparkSession.Builder builder = SparkSession.builder().appName("plinth batch");
            if (master != null) {
                builder.master(master);
            } else if (System.getProperty("spark.master") == null) {
                builder.master("local[*]");
            }
            if (System.getProperty("spark.ui.enabled") == null) {
                // no web server that a laptop run did not ask for
                builder.config("spark.ui.enabled", "false");
            }
            builder.config("spark.ui.showConsoleProgress", String.valueOf(stderrIsTerminal()));
            try (SparkSession spark = builder.getOrCreate()) {
                long started = System.nanoTime();
                Batch.Summary summary = Batch.run(spark, job);
                long end = System.nanoTime();
                err.printf(
                        Locale.ROOT,
                        "plinth batch: %d pages written to %s (%d with errors)%s in %d round%s:"
                                + " %.1f s (Spark start %.1f s, job %.1f s)%n",
                        summary.written(),
                        output,
                        summary.failed(),
                        summary.skipped() > 0 ? ", " + summary.skipped() + " already there" : "",
                        summary.rounds(),
                        summary.rounds() == 1 ? "" : "s",
                        (end - start) / 1e9,
                        (started - start) / 1e9,
                        (end - started) / 1e9);
                return 0;
            }
        } catch (IllegalArgumentException e) {
            err.println("plinth batch: " + e.getMessage());
            return 2;
        }
    }

    /**
     * Spark logs every stage at INFO: a laptop run keeps warnings only, unless a log configuration
     * is given. Under spark-submit the cluster's configuration rules.
     */
    private static void quietLogsWhenLocal() {
        if (System.getProperty("spark.master") != null
                || System.getProperty("log4j2.configurationFile") != null) {
            return;
        }
        URL config = BatchCommand.class.getResource("/plinth-batch-log4j2.properties");
        if (config != null) {
            System.setProperty("log4j2.configurationFile", config.toString());
        }
    }

    /**
     * Spark draws its progress bar on stderr: drawn on a terminal, never into a pipe or a log. (On
     * Java 22+ {@code System.console()} is there even when piped, so Linux's fd table decides.)
     */
    private static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    private static boolean isTrue(String value) {
        return value != null
                && Set.of("true", "1", "yes").contains(value.strip().toLowerCase(Locale.ROOT));
    }
}
