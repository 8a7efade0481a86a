package dev.plinth.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.xxhash64;

import dev.plinth.models.ModelRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The batch job: inputs (a text file of URLs, a Parquet or CSV table with {@code url} and maybe
 * {@code html}, or WARC files) to a Parquet table of pages, one row per page.
 *
 * <p>Resuming. URLs already in the output are skipped, so a job that stopped is finished by running
 * it again. To make that worth something, the work is written in rounds, each its own Spark job and
 * commit: URL and table inputs in rounds of about {@code roundSize} rows (by a hash of the URL, so
 * a round is the same set whatever the input order), WARC inputs a task slot's worth of files at a
 * time. A crash loses at most the round in progress.
 */
public final class Batch {

    /** What the input files hold. */
    public enum Format {
        /** One URL a line; blank lines and lines starting with {@code #} are skipped. */
        URLS,
        /** A Parquet table with a {@code url} column and maybe {@code html}. */
        PARQUET,
        /** A CSV table with a header, a {@code url} column and maybe {@code html}. */
        CSV,
        /** WARC files, response records only. */
        WARC
    }

    /**
     * One run.
     *
     * @param inputs files, folders or globs (local paths or any Hadoop file system)
     * @param format what they hold; null: told by the first input's name
     * @param output the Parquet folder written (appended to, unless {@code overwrite})
     * @param overwrite replace the output instead of resuming it
     * @param roundSize rows per round for URL and table inputs
     * @param settings how pages are read and embedded
     */
    public record Job(
            List<String> inputs,
            Format format,
            String output,
            boolean overwrite,
            long roundSize,
            Plinth.Settings settings) {
        public Job {
            inputs = List.copyOf(inputs);
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("a batch job needs at least one input");
            }
            if (roundSize < 1) {
                throw new IllegalArgumentException(
                        "roundSize must be at least 1, not " + roundSize);
            }
        }
    }

    /**
     * What a run did.
     *
     * @param written rows this run wrote
     * @param failed of those, rows with an error
     * @param skipped input rows skipped because their URL was already in the output (-1 when not
     *     counted: WARC inputs are not read twice to count them)
     * @param rounds Spark jobs written
     */
    public record Summary(long written, long failed, long skipped, int rounds) {}

    private Batch() {}

    /** Runs {@code job} on {@code spark}. */
    public static Summary run(SparkSession spark, Job job) {
        Format format = job.format() != null ? job.format() : formatOf(job.inputs().getFirst());
        checkModel(job.settings());
        Dataset<Row> done = job.overwrite() ? null : existing(spark, job.output());
        int rounds = 0;
        long skipped = -1;
        long[] written = new long[2]; // rows, rows with an error
        if (format == Format.WARC) {
            List<String> files =
                    WarcInput.list(spark.sparkContext().hadoopConfiguration(), job.inputs());
            int perRound = Math.max(1, spark.sparkContext().defaultParallelism());
            for (int from = 0; from < files.size(); from += perRound) {
                Dataset<Row> pages =
                        WarcInput.read(
                                spark,
                                files.subList(from, Math.min(files.size(), from + perRound)));
                write(
                        Reads.read(skipDone(pages, done), job.settings(), false),
                        job,
                        rounds++,
                        written);
            }
        } else {
            Dataset<Row> all = load(spark, format, job.inputs());
            Dataset<Row> pages = skipDone(all, done);
            long count = pages.count();
            skipped = done == null ? 0 : all.count() - count;
            int n = (int) Math.max(1, (count + job.roundSize() - 1) / job.roundSize());
            for (int round = 0; round < n; round++) {
                Dataset<Row> part =
                        n == 1
                                ? pages
                                : pages.filter(
                                        pmod(xxhash64(col(Reads.URL)), lit(n)).equalTo(round));
                write(Reads.read(part, job.settings(), true), job, rounds++, written);
            }
        }
        return new Summary(written[0], written[1], skipped, rounds);
    }

    /** The format a file name suggests. */
    static Format formatOf(String input) {
        String name = input.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
        if (WarcInput.isWarc(name) || name.endsWith("/*.warc.gz") || name.endsWith("/*.warc")) {
            return Format.WARC;
        }
        if (name.endsWith(".csv")) {
            return Format.CSV;
        }
        if (name.endsWith(".parquet")) {
            return Format.PARQUET;
        }
        if (name.endsWith(".txt") || name.endsWith(".urls") || name.endsWith(".lst")) {
            return Format.URLS;
        }
        throw new IllegalArgumentException(
                "cannot tell what "
                        + input
                        + " holds from its name; say it with --format "
                        + Arrays.toString(Format.values()).toLowerCase(Locale.ROOT));
    }

    private static Dataset<Row> load(SparkSession spark, Format format, List<String> inputs) {
        String[] paths = inputs.toArray(String[]::new);
        Dataset<Row> rows =
                switch (format) {
                    case URLS ->
                            spark.read()
                                    .textFile(paths)
                                    .select(trim(col("value")).as(Reads.URL))
                                    .filter(
                                            col(Reads.URL)
                                                    .notEqual("")
                                                    .and(not(col(Reads.URL).startsWith("#"))))
                                    .dropDuplicates(Reads.URL);
                    case PARQUET -> spark.read().parquet(paths);
                    case CSV ->
                            spark.read()
                                    .option("header", true)
                                    .option("multiLine", true)
                                    .option("escape", "\"")
                                    .csv(paths);
                    case WARC -> throw new IllegalStateException("WARC inputs are read by file");
                };
        if (!Arrays.asList(rows.columns()).contains(Reads.URL)) {
            throw new IllegalArgumentException(
                    "the input has no 'url' column; columns: " + String.join(", ", rows.columns()));
        }
        return rows;
    }

    /** The URLs already in the output, or null when there is no output yet. */
    private static Dataset<Row> existing(SparkSession spark, String output) {
        if (!hasParquet(spark, output)) {
            return null;
        }
        return spark.read().parquet(output).select(Reads.URL).distinct();
    }

    private static Dataset<Row> skipDone(Dataset<Row> pages, Dataset<Row> done) {
        return done == null ? pages : pages.join(done, Reads.URL, "left_anti");
    }

    /**
     * Writes one round and adds its rows and error rows to {@code counts}, observed as the rows are
     * written: no second pass over the output.
     */
    private static void write(Dataset<Row> rows, Job job, int round, long[] counts) {
        SaveMode mode = job.overwrite() && round == 0 ? SaveMode.Overwrite : SaveMode.Append;
        Observation seen = new Observation("plinth-round-" + round);
        rows.observe(seen, count(lit(1)).as("rows"), count(col(Reads.ERROR)).as("failed"))
                .write()
                .mode(mode)
                .parquet(job.output());
        try {
            Map<String, Object> metrics = seen.getAsJava();
            counts[0] += ((Number) metrics.get("rows")).longValue();
            counts[1] += ((Number) metrics.get("failed")).longValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted after writing round " + round, e);
        }
    }

    /** Whether {@code output} holds Parquet files already. */
    private static boolean hasParquet(SparkSession spark, String output) {
        try {
            Path path = new Path(output);
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(path)) {
                return false;
            }
            for (var status : fs.listStatus(path)) {
                if (status.getPath().getName().endsWith(".parquet")) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look at " + output + ": " + e.getMessage(), e);
        }
    }

    /**
     * Fails before any page is read when the embedding model is not installed here (on a cluster
     * whose executors get the models folder from {@code --archives}, the driver may not see it: no
     * check then).
     */
    private static void checkModel(Plinth.Settings settings) {
        String model = settings.embedModel();
        if (model == null) {
            return;
        }
        java.nio.file.Path dir =
                settings.modelsDir() == null
                        ? ModelRegistry.defaultModelsDir()
                        : java.nio.file.Path.of(settings.modelsDir());
        if (settings.modelsDir() != null && !Files.isDirectory(dir)) {
            return;
        }
        try (ModelRegistry registry =
                ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of(dir)))) {
            List<String> names = new ArrayList<>();
            registry.available().forEach(a -> names.add(a.config().name()));
            if (!names.contains(model)) {
                throw new IllegalArgumentException(
                        "unknown model '" + model + "'; available: " + String.join(", ", names));
            }
        }
    }
}
