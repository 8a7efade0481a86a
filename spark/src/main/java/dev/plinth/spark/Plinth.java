package dev.plinth.spark;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Options;
import java.io.Serializable;
import java.time.Duration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * plinth on Spark, for Java users: pages to Markdown and vectors, one row per page.
 *
 * <pre>{@code
 * Dataset<Row> urls = spark.read().text("urls.txt").withColumnRenamed("value", "url");
 * Dataset<Row> pages = Plinth.read(urls);                  // url, final_url, status, title, content…
 * Dataset<Row> vectors = Plinth.embed(pages, "content");    // … plus embedding: array<float>
 * }</pre>
 *
 * <p>{@link #read} takes a {@code url} column and, optionally, the page itself: an {@code html}
 * string, or {@code body} bytes with {@code content_type} and {@code status} (what a WARC response
 * record holds). Rows with the page are converted where they are; rows without it are fetched,
 * grouped by host so that each host sees at most {@link Settings#perHost} requests at a time and
 * {@link Settings#perHostRate} a second from the whole job. A page that fails is a row with {@code
 * error} set, never a failed job. Other input columns are carried through.
 */
public final class Plinth {

    private Plinth() {}

    /** Reads every row's page with the default settings. */
    public static Dataset<Row> read(Dataset<Row> pages) {
        return read(pages, Settings.defaults());
    }

    /** Reads every row's page. */
    public static Dataset<Row> read(Dataset<Row> pages, Settings settings) {
        return Reads.read(pages, settings, true);
    }

    /** Adds an {@code embedding} column: {@code column}'s text embedded by the default model. */
    public static Dataset<Row> embed(Dataset<Row> rows, String column) {
        return embed(rows, column, Settings.defaults());
    }

    /**
     * Adds {@code embedding} (and {@code chunks} when {@link Settings#chunks}) for {@code column},
     * with {@link Settings#embedModel} (null: the registry's default) from {@link
     * Settings#modelsDir}.
     */
    public static Dataset<Row> embed(Dataset<Row> rows, String column, Settings settings) {
        return Vectors.embed(rows, column, settings);
    }

    /**
     * How pages are read and embedded. Defaults in bold.
     *
     * @param format what {@code content} holds: <b>{@code CONTENT}</b> (main content as Markdown),
     *     {@code MARKDOWN} (whole page), {@code TEXT} or {@code HTML}
     * @param robotsTxt the user agent to honour robots.txt as; <b>null</b>: not checked
     * @param timeout deadline for one fetch, redirects included; <b>null</b>: the fetcher's 30 s
     * @param allowPrivateNetwork let URLs reach private and loopback addresses; <b>false</b>
     * @param perHost most requests in flight to one host across the job; <b>2</b>
     * @param perHostRate most request starts a second to one host; <b>2</b>
     * @param concurrency most fetches in flight in one task; <b>32</b>
     * @param maxAttempts attempts for a page answering 429 or 5xx, the first included; <b>3</b>
     * @param backoff the wait before the first retry, doubled after each; <b>1 s</b> (a longer
     *     {@code Retry-After} wins, up to a minute)
     * @param partitions partitions URLs are spread over by host; <b>0</b>: 4 × the default
     *     parallelism
     * @param embedModel embed {@code content} with this model; <b>null</b>: no embedding in {@link
     *     #read}, the registry's default in {@link #embed}
     * @param chunks also write {@code chunks}: the content's paragraphs, late-chunked; <b>false</b>
     * @param modelsDir folder of model folders on the executors; <b>null</b>: {@code
     *     $PLINTH_MODELS} or {@code ~/.plinth/models}, besides the models in the jar
     */
    public record Settings(
            Options.Format format,
            String robotsTxt,
            Duration timeout,
            boolean allowPrivateNetwork,
            int perHost,
            double perHostRate,
            int concurrency,
            int maxAttempts,
            Duration backoff,
            int partitions,
            String embedModel,
            boolean chunks,
            String modelsDir)
            implements Serializable {

        public Settings {
            if (perHost < 1 || concurrency < 1 || maxAttempts < 1 || partitions < 0) {
                throw new IllegalArgumentException(
                        "perHost, concurrency and maxAttempts must be at least 1 and partitions"
                                + " at least 0: "
                                + perHost
                                + ", "
                                + concurrency
                                + ", "
                                + maxAttempts
                                + ", "
                                + partitions);
            }
            if (!(perHostRate > 0)) {
                throw new IllegalArgumentException(
                        "perHostRate must be above 0 requests a second, not " + perHostRate);
            }
            if (format == Options.Format.SCREENSHOT || format == Options.Format.PAGESHOT) {
                throw new IllegalArgumentException(
                        "format " + format + " needs a browser, which batch jobs do not run");
            }
        }

        /** Every default. */
        public static Settings defaults() {
            return builder().build();
        }

        public static Builder builder() {
            return new Builder();
        }

        /** A builder starting from these settings. */
        public Builder toBuilder() {
            Builder b = new Builder();
            b.format = format;
            b.robotsTxt = robotsTxt;
            b.timeout = timeout;
            b.allowPrivateNetwork = allowPrivateNetwork;
            b.perHost = perHost;
            b.perHostRate = perHostRate;
            b.concurrency = concurrency;
            b.maxAttempts = maxAttempts;
            b.backoff = backoff;
            b.partitions = partitions;
            b.embedModel = embedModel;
            b.chunks = chunks;
            b.modelsDir = modelsDir;
            return b;
        }

        /** The reader options these settings stand for. */
        Options options() {
            return Options.builder()
                    .respondWith(format)
                    .fetch(f ->
                            f.engine(FetchOptions.Engine.DIRECT)
                                    .robotsTxt(robotsTxt)
                                    .timeout(timeout))
                    .build();
        }

        /** The scheduler limits these settings stand for. */
        HostScheduler.Limits limits() {
            return new HostScheduler.Limits(
                    perHost,
                    Duration.ofNanos((long) (1e9 / perHostRate)),
                    concurrency,
                    Math.max(1024, concurrency * 32),
                    maxAttempts,
                    backoff);
        }
    }

    /** Mutable builder for {@link Settings}. */
    public static final class Builder {
        private Options.Format format = Options.Format.CONTENT;
        private String robotsTxt;
        private Duration timeout;
        private boolean allowPrivateNetwork;
        private int perHost = 2;
        private double perHostRate = 2;
        private int concurrency = 32;
        private int maxAttempts = 3;
        private Duration backoff = Duration.ofSeconds(1);
        private int partitions;
        private String embedModel;
        private boolean chunks;
        private String modelsDir;

        private Builder() {}

        public Builder format(Options.Format v) {
            format = v;
            return this;
        }

        public Builder robotsTxt(String v) {
            robotsTxt = v;
            return this;
        }

        public Builder timeout(Duration v) {
            timeout = v;
            return this;
        }

        public Builder allowPrivateNetwork(boolean v) {
            allowPrivateNetwork = v;
            return this;
        }

        public Builder perHost(int v) {
            perHost = v;
            return this;
        }

        public Builder perHostRate(double v) {
            perHostRate = v;
            return this;
        }

        public Builder concurrency(int v) {
            concurrency = v;
            return this;
        }

        public Builder maxAttempts(int v) {
            maxAttempts = v;
            return this;
        }

        public Builder backoff(Duration v) {
            backoff = v;
            return this;
        }

        public Builder partitions(int v) {
            partitions = v;
            return this;
        }

        public Builder embedModel(String v) {
            embedModel = v;
            return this;
        }

        public Builder chunks(boolean v) {
            chunks = v;
            return this;
        }

        public Builder modelsDir(String v) {
            modelsDir = v;
            return this;
        }

        public Settings build() {
            return new Settings(
                    format,
                    robotsTxt,
                    timeout,
                    allowPrivateNetwork,
                    perHost,
                    perHostRate,
                    concurrency,
                    maxAttempts,
                    backoff,
                    partitions,
                    embedModel,
                    chunks,
                    modelsDir);
        }
    }
}
