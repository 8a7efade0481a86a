package dev.plinth.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.SerializableConfiguration;
import org.apache.spark.util.TaskCompletionListener;
import org.netpreserve.jwarc.MediaType;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcResponse;

/**
 * WARC files (Common Crawl's format, gzipped or not) as page rows: {@code url}, {@code body},
 * {@code content_type}, {@code status}, one per HTTP response record; requests, metadata and other
 * record types are skipped. Records are read with jwarc as the task pulls them, so a 1 GB file is
 * never held in memory; a body over {@value #MAX_BODY_BYTES} bytes (the fetcher's cap) is dropped,
 * and its row, without a body, reads as an error.
 *
 * <p>Parallelism without a shuffle: when there are fewer files than task slots, each file is read
 * by {@code k} tasks, task {@code j} keeping the file's responses {@code i} with {@code i mod k =
 * j}. Each of them parses the whole file, but parsing is cheap beside reading the pages, and no
 * page body crosses the network.
 */
final class WarcInput {

    /** The largest body kept, as the fetcher's decoded-bytes cap. */
    static final int MAX_BODY_BYTES = 10 << 20;

    /** The columns of a WARC page row. */
    static final StructType SCHEMA =
            new StructType()
                    .add(Reads.URL, DataTypes.StringType)
                    .add(Reads.BODY, DataTypes.BinaryType)
                    .add(Reads.CONTENT_TYPE, DataTypes.StringType)
                    .add(Reads.STATUS, DataTypes.IntegerType);

    private WarcInput() {}

    /** The response records of the WARC files {@code paths} name (files, folders or globs). */
    static Dataset<Row> read(SparkSession spark, List<String> paths) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        List<String> files = list(hadoop, paths);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no .warc or .warc.gz files in " + paths);
        }
        int slots = spark.sparkContext().defaultParallelism();
        int slices = Math.max(1, (slots + files.size() - 1) / files.size());
        List<Row> work = new ArrayList<>();
        for (String file : files) {
            for (int j = 0; j < slices; j++) {
                work.add(RowFactory.create(file, j, slices));
            }
        }
        JavaSparkContext context = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<SerializableConfiguration> conf =
                context.broadcast(new SerializableConfiguration(hadoop));
        JavaRDD<Row> records =
                context.parallelize(work, work.size())
                        .flatMap(
                                (FlatMapFunction<Row, Row>)
                                        slice ->
                                                records(
                                                        conf.value().value(),
                                                        slice.getString(0),
                                                        slice.getInt(1),
                                                        slice.getInt(2)));
        return spark.createDataFrame(records, SCHEMA);
    }

    /** Every WARC file under {@code paths}, sorted, each once. */
    static List<String> list(Configuration hadoop, List<String> paths) {
        List<String> files = new ArrayList<>();
        try {
            for (String p : paths) {
                Path path = new Path(p);
                FileSystem fs = path.getFileSystem(hadoop);
                FileStatus[] matches = fs.globStatus(path);
                if (matches == null || matches.length == 0) {
                    throw new IllegalArgumentException("no such input: " + p);
                }
                for (FileStatus match : matches) {
                    if (match.isDirectory()) {
                        RemoteIterator<LocatedFileStatus> it = fs.listFiles(match.getPath(), true);
                        while (it.hasNext()) {
                            Path file = it.next().getPath();
                            if (isWarc(file.getName())) {
                                files.add(file.toString());
                            }
                        }
                    } else {
                        files.add(match.getPath().toString());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + paths + ": " + e.getMessage(), e);
        }
        return files.stream().distinct().sorted().toList();
    }

    /** Whether a file name looks like a WARC file. */
    static boolean isWarc(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".warc") || n.endsWith(".warc.gz");
    }

    /** Slice {@code slice} of {@code slices} of one file's response records, read lazily. */
    static Iterator<Row> records(Configuration hadoop, String file, int slice, int slices)
            throws IOException {
        Path path = new Path(file);
        InputStream in = path.getFileSystem(hadoop).open(path);
        WarcReader reader = new WarcReader(in);
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener(
                    (TaskCompletionListener) context -> closeQuietly(reader));
        }
        return new Iterator<>() {
            private Row next;
            private long index;
            private boolean done;

            @Override
            public boolean hasNext() {
                while (next == null && !done) {
                    try {
                        WarcRecord record = reader.next().orElse(null);
                        if (record == null) {
                            done = true;
                            reader.close();
                        } else if (isHttpResponse(record) && index++ % slices == slice) {
                            next = row((WarcResponse) record);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(
                                file + ": cannot read WARC record: " + e.getMessage(), e);
                    }
                }
                return next != null;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Row row = next;
                next = null;
                return row;
            }
        };
    }

    private static boolean isHttpResponse(WarcRecord record) {
        return record instanceof WarcResponse && record.contentType().base().equals(MediaType.HTTP);
    }

    private static Row row(WarcResponse response) throws IOException {
        var http = response.http();
        String type = http.headers().first("Content-Type").orElse(null);
        try (InputStream body = http.bodyDecoded().stream()) {
            byte[] bytes = body.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                return RowFactory.create(response.target(), null, type, http.status());
            }
            return RowFactory.create(response.target(), bytes, type, http.status());
        }
    }

    private static void closeQuietly(WarcReader reader) {
        try {
            reader.close();
        } catch (IOException e) {
            // the task is over; nothing is left to read
        }
    }
}
