package dev.plinth.spark;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.try_parse_url;
import static org.apache.spark.sql.functions.xxhash64;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Result;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The read step behind {@link Plinth#read}: pages in, one result row per page out.
 *
 * <p>Two paths. Rows that carry their page ({@code html}, or {@code body} + {@code content_type} +
 * {@code status} from a WARC) are converted where they are, one at a time per task, as Spark
 * spreads tasks over cores. Rows to fetch are shuffled by host, so each host lives in one partition
 * (the bound {@link HostScheduler} keeps there is the job's bound), and sorted within the partition
 * on a hash of the URL, so a window of the partition holds many hosts even when the input lists a
 * host's URLs together; the scheduler then fetches them politely, many hosts at a time.
 *
 * <p>Every failure is a row: a URL that does not parse, a fetch that fails, an HTTP error status, a
 * page the reader cannot read. Only a bug fails the task.
 */
final class Reads {

    static final String URL = "url";
    static final String HTML = "html";
    static final String BODY = "body";
    static final String CONTENT_TYPE = "content_type";
    static final String STATUS = "status";
    static final String CONTENT = "content";
    static final String ERROR = "error";
    private static final String HOST = "__plinth_host";

    /** The result columns, first in every output row. */
    static final StructType RESULT =
            new StructType()
                    .add(URL, DataTypes.StringType)
                    .add("final_url", DataTypes.StringType)
                    .add(STATUS, DataTypes.IntegerType)
                    .add("title", DataTypes.StringType)
                    .add(CONTENT, DataTypes.StringType)
                    .add("tokens", DataTypes.IntegerType)
                    .add("warning", DataTypes.StringType)
                    .add(ERROR, DataTypes.StringType);

    /** Input columns that describe the page and are not carried to the output. */
    private static final Set<String> PAGE_INPUT = Set.of(HTML, BODY, CONTENT_TYPE, HOST);

    /** A server's Retry-After is honoured up to this; past it the page is given up on sooner. */
    private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(1);

    private Reads() {}

    /**
     * Reads every row's page; with {@code mayFetch} false, rows without a page become error rows
     * (the WARC path, which must not read its input twice).
     */
    static Dataset<Row> read(Dataset<Row> pages, Plinth.Settings settings, boolean mayFetch) {
        StructType schema = pages.schema();
        if (!Arrays.asList(schema.fieldNames()).contains(URL)
                || !schema.apply(URL).dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException(
                    "pages need a string column 'url'; columns: " + schema.simpleString());
        }
        boolean html = has(schema, HTML);
        boolean body = has(schema, BODY);
        Dataset<Row> out;
        if (!html && !body) {
            out = fetch(pages, settings);
        } else if (!mayFetch) {
            out = convert(pages, settings);
        } else {
            Column given = html ? col(HTML).isNotNull() : lit(false);
            if (body) {
                given = given.or(col(BODY).isNotNull());
            }
            out =
                    convert(spread(pages.filter(given)), settings)
                            .union(fetch(pages.filter(not(given)), settings));
        }
        if (settings.embedModel() != null) {
            out = Vectors.embed(out, CONTENT, settings);
        }
        return out;
    }

    /**
     * A table of pages in fewer partitions than task slots (one small Parquet file is one) would
     * leave cores idle while pages are read: spread it over the slots first. (WARC input is spread
     * without a shuffle, by {@link WarcInput}.)
     */
    private static Dataset<Row> spread(Dataset<Row> pages) {
        int slots = pages.sparkSession().sparkContext().defaultParallelism();
        return pages.rdd().getNumPartitions() < slots ? pages.repartition(slots) : pages;
    }

    private static Dataset<Row> fetch(Dataset<Row> pages, Plinth.Settings settings) {
        int partitions =
                settings.partitions() > 0
                        ? settings.partitions()
                        : 4 * pages.sparkSession().sparkContext().defaultParallelism();
        Dataset<Row> spread =
                pages.withColumn(
                                HOST,
                                coalesce(lower(try_parse_url(col(URL), lit("HOST"))), lit("")))
                        .repartition(partitions, col(HOST))
                        .sortWithinPartitions(xxhash64(col(URL)));
        Layout layout = Layout.of(spread.schema());
        return spread.mapPartitions(
                (MapPartitionsFunction<Row, Row>) rows -> fetchPartition(rows, layout, settings),
                Encoders.row(layout.output));
    }

    private static Dataset<Row> convert(Dataset<Row> pages, Plinth.Settings settings) {
        Layout layout = Layout.of(pages.schema());
        return pages.mapPartitions(
                (MapPartitionsFunction<Row, Row>) rows -> convertPartition(rows, layout, settings),
                Encoders.row(layout.output));
    }

    // ---- on the executors ----

    private static Iterator<Row> fetchPartition(
            Iterator<Row> rows, Layout layout, Plinth.Settings settings) {
        PageReading reading = PerJvm.reading(settings.allowPrivateNetwork(), settings.timeout());
        Options options = settings.options();
        HostScheduler<Row, Row> scheduler =
                new HostScheduler<>(
                        rows,
                        row -> row.getString(layout.host),
                        (row, attempt) -> attempt(reading, options, layout, row, attempt),
                        settings.limits());
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) context -> scheduler.close());
        }
        return scheduler;
    }

    private static HostScheduler.Step<Row> attempt(
            PageReading reading, Options options, Layout layout, Row row, int attempt) {
        String url = row.getString(layout.url);
        URI uri = parse(url);
        if (uri == null) {
            return HostScheduler.Step.done(
                    layout.error(row, null, null, "not a valid URL: " + url));
        }
        PageReading.Fetched fetched = reading.fetch(uri, options);
        int status = fetched.status();
        Page page = fetched.page();
        String finalUrl = page == null ? null : page.url().toString();
        if (status == 429 || status >= 500) {
            String why =
                    "HTTP "
                            + status
                            + " after "
                            + attempt
                            + (attempt == 1 ? " attempt" : " attempts");
            return HostScheduler.Step.retry(
                    layout.error(row, finalUrl, status, why), retryAfter(page));
        }
        if (fetched.failure() != null) {
            return HostScheduler.Step.done(
                    layout.error(
                            row,
                            finalUrl,
                            status == 0 ? null : status,
                            fetched.failure().getMessage()));
        }
        if (status >= 400) {
            return HostScheduler.Step.done(layout.error(row, finalUrl, status, "HTTP " + status));
        }
        try {
            Result result = reading.convertFetched(page, uri, options);
            return HostScheduler.Step.done(layout.result(row, finalUrl, status, result));
        } catch (ReaderException e) {
            return HostScheduler.Step.done(layout.error(row, finalUrl, status, e.getMessage()));
        } catch (RuntimeException e) {
            return HostScheduler.Step.done(
                    layout.error(row, finalUrl, status, "internal error: " + e));
        }
    }

    private static Iterator<Row> convertPartition(
            Iterator<Row> rows, Layout layout, Plinth.Settings settings) {
        PageReading reading = PerJvm.reading(settings.allowPrivateNetwork(), settings.timeout());
        Options options = settings.options();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                return convertOne(reading, options, layout, rows.next());
            }
        };
    }

    private static Row convertOne(PageReading reading, Options options, Layout layout, Row row) {
        String url = row.getString(layout.url);
        Integer status = layout.status(row);
        if (status != null && (status < 200 || status >= 300)) {
            return layout.error(row, url, status, "HTTP " + status);
        }
        byte[] body = null;
        String contentType = null;
        if (layout.body >= 0 && !row.isNullAt(layout.body)) {
            body = (byte[]) row.get(layout.body);
            contentType = layout.contentType >= 0 ? row.getString(layout.contentType) : null;
        } else if (layout.html >= 0 && !row.isNullAt(layout.html)) {
            body = row.getString(layout.html).getBytes(StandardCharsets.UTF_8);
            contentType = "text/html; charset=utf-8";
        }
        if (body == null) {
            return layout.error(
                    row,
                    url,
                    status,
                    "no page to read: the row has no html or body (a WARC body over "
                            + (WarcInput.MAX_BODY_BYTES >> 20)
                            + " MiB is dropped)");
        }
        URI uri = parse(url);
        if (uri == null) {
            return layout.error(row, null, status, "not a valid URL: " + url);
        }
        try {
            Result result = reading.convertCaptured(uri, body, contentType, options);
            return layout.result(row, url, status == null ? 200 : status, result);
        } catch (ReaderException e) {
            return layout.error(row, url, status, e.getMessage());
        } catch (RuntimeException e) {
            return layout.error(row, url, status, "internal error: " + e);
        }
    }

    /** An absolute http(s)-looking URI, or null (the fetcher's guard judges the rest). */
    private static URI parse(String url) {
        if (url == null || url.isBlank()) {
            return null;
        }
        try {
            URI uri = new URI(url.strip());
            return uri.isAbsolute() ? uri : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** A 429's or 503's Retry-After (seconds or an HTTP date), capped; null when absent. */
    static Duration retryAfter(Page page) {
        String value = page == null ? null : page.header("retry-after");
        if (value == null || value.isBlank()) {
            return null;
        }
        Duration asked;
        try {
            asked = Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip())));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at =
                        ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME);
                asked = Duration.between(ZonedDateTime.now(at.getZone()), at);
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
        if (asked.isNegative()) {
            return Duration.ZERO;
        }
        return asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
    }

    private static boolean has(StructType schema, String name) {
        return Arrays.asList(schema.fieldNames()).contains(name);
    }

    /**
     * Where a row's inputs are and what an output row looks like: the {@link #RESULT} columns, then
     * every other input column.
     */
    private record Layout(
            int url,
            int html,
            int body,
            int contentType,
            int status,
            int host,
            int[] kept,
            StructType output)
            implements Serializable {

        static Layout of(StructType input) {
            List<String> names = Arrays.asList(input.fieldNames());
            List<Integer> kept = new ArrayList<>();
            StructType output = RESULT;
            Set<String> results = Set.of(RESULT.fieldNames());
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                if (!results.contains(name) && !PAGE_INPUT.contains(name)) {
                    kept.add(i);
                    StructField field = input.fields()[i];
                    output = output.add(field);
                }
            }
            return new Layout(
                    names.indexOf(URL),
                    names.indexOf(HTML),
                    names.indexOf(BODY),
                    names.indexOf(CONTENT_TYPE),
                    names.indexOf(STATUS),
                    names.indexOf(HOST),
                    kept.stream().mapToInt(Integer::intValue).toArray(),
                    output);
        }

        /** The row's captured HTTP status, if it has one. */
        Integer status(Row row) {
            if (status < 0 || row.isNullAt(status)) {
                return null;
            }
            Object value = row.get(status);
            if (value instanceof Number n) {
                return n.intValue();
            }
            try {
                return Integer.parseInt(value.toString().strip());
            } catch (NumberFormatException e) {
                return null;
            }
        }

        Row result(Row row, String finalUrl, Integer status, Result result) {
            String warning =
                    result.warnings().isEmpty() ? null : String.join("; ", result.warnings());
            return row(
                    row,
                    finalUrl,
                    status,
                    result.title(),
                    result.content(),
                    result.tokens(),
                    warning,
                    null);
        }

        Row error(Row row, String finalUrl, Integer status, String error) {
            return row(row, finalUrl, status, null, null, null, null, error);
        }

        private Row row(
                Row row,
                String finalUrl,
                Integer status,
                String title,
                String content,
                Integer tokens,
                String warning,
                String error) {
            Object[] values = new Object[RESULT.size() + kept.length];
            values[0] = row.getString(url);
            values[1] = finalUrl;
            values[2] = status;
            values[3] = title;
            values[4] = content;
            values[5] = tokens;
            values[6] = warning;
            values[7] = error;
            for (int i = 0; i < kept.length; i++) {
                values[RESULT.size() + i] = row.get(kept[i]);
            }
            return RowFactory.create(values);
        }
    }
}
