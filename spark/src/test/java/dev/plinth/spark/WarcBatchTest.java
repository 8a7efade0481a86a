package dev.plinth.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Charsets;
import dev.plinth.reader.fetch.Fetcher;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Captured pages (WARC records, a table's html) through the job on local[2]. */
class WarcBatchTest {

    private static final String MODEL = "bge-small-en-v1.5-int8";

    private static SparkSession spark;
    private static List<TestData.Sample> pages;

    @BeforeAll
    static void start() throws Exception {
        spark = TestData.spark();
        pages = TestData.scrapinghub();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** What {@code plinth read page.html.gz} prints for the page, read as served from its URL. */
    private static Result readAsCli(Reader reader, TestData.Sample page) throws Exception {
        Page served = Charsets.page(URI.create(page.url()), page.html(), null);
        return reader.convert(served, Options.DEFAULTS);
    }

    @Test
    void warcPagesGiveTheSameMarkdownAsPlinthReadAndResumeSkipsThem(@TempDir Path dir)
            throws Exception {
        Path warc = dir.resolve("pages.warc.gz");
        String missing = "https://example.com/gone";
        TestData.writeWarc(
                warc,
                pages,
                List.of(
                        TestData.response(
                                missing,
                                404,
                                "Not Found",
                                "<p>gone</p>".getBytes(StandardCharsets.UTF_8))));
        String out = dir.resolve("out").toString();
        Batch.Job job =
                new Batch.Job(
                        List.of(warc.toString()),
                        null,
                        out,
                        false,
                        100_000,
                        Plinth.Settings.defaults());

        Batch.Summary first = Batch.run(spark, job);
        assertEquals(new Batch.Summary(pages.size() + 1, 1, -1, 1), first);

        Map<String, Row> rows = new HashMap<>();
        for (Row row :
                spark.read()
                        .parquet(out)
                        .select("url", "final_url", "status", "title", "content", "tokens", "error")
                        .collectAsList()) {
            rows.put(row.getString(0), row);
        }
        assertEquals(pages.size() + 1, rows.size());
        try (Reader reader = new Reader(new Fetcher(Fetcher.Settings.DEFAULTS))) {
            int identical = 0;
            for (TestData.Sample page : pages) {
                Result expected = readAsCli(reader, page);
                Row row = rows.get(page.url());
                assertNotNull(row, page.id());
                assertNull(row.getString(6), page.id() + ": " + row.getString(6));
                assertEquals(page.url(), row.getString(1));
                assertEquals(200, row.getInt(2));
                assertEquals(expected.title(), row.getString(3), page.id());
                assertEquals(expected.content(), row.getString(4), page.id());
                assertEquals(expected.tokens(), row.getInt(5), page.id());
                identical++;
            }
            assertEquals(181, identical);
        }
        Row gone = rows.get(missing);
        assertEquals(404, gone.getInt(2));
        assertEquals("HTTP 404", gone.getString(6));
        assertNull(gone.getString(4));

        Batch.Summary again = Batch.run(spark, job);
        assertEquals(0, again.written(), "a second run finds every page done");
        assertEquals(pages.size() + 1, spark.read().parquet(out).count());
    }

    @Test
    void tablesWithHtmlAreReadEmbeddedAndChunked() throws Exception {
        List<TestData.Sample> few = pages.subList(0, 6);
        StructType schema =
                new StructType()
                        .add("id", DataTypes.StringType)
                        .add("url", DataTypes.StringType)
                        .add("html", DataTypes.StringType);
        List<Row> input = new ArrayList<>();
        List<String> htmls = new ArrayList<>();
        for (TestData.Sample page : few) {
            String html = Charsets.page(URI.create(page.url()), page.html(), null).text();
            htmls.add(html);
            input.add(RowFactory.create(page.id(), page.url(), html));
        }
        Dataset<Row> table = spark.createDataFrame(input, schema);

        List<Row> rows =
                Plinth.read(table, Plinth.Settings.builder().embedModel(MODEL).chunks(true).build())
                        .collectAsList();

        assertEquals(6, rows.size());
        assertEquals(
                List.of(
                        "url",
                        "final_url",
                        "status",
                        "title",
                        "content",
                        "tokens",
                        "warning",
                        "error",
                        "id",
                        "embedding",
                        "chunks"),
                List.of(rows.getFirst().schema().fieldNames()));
        try (Reader reader = new Reader(new Fetcher(Fetcher.Settings.DEFAULTS));
                ModelRegistry models = ModelRegistry.create()) {
            Embedder embedder = new Embedder(models);
            for (Row row : rows) {
                int i = indexOf(few, row.getString(row.fieldIndex("id")));
                Result expected =
                        reader.read(
                                dev.plinth.reader.Request.ofHtml(
                                        htmls.get(i),
                                        URI.create(few.get(i).url()),
                                        Options.DEFAULTS));
                String content = row.getString(row.fieldIndex("content"));
                assertEquals(expected.content(), content);
                float[] vector = floats(row.getList(row.fieldIndex("embedding")));
                float[] direct =
                        embedder.embed(Embedder.Request.of(List.of(content)).withModel(MODEL))
                                .embeddings()
                                .getFirst();
                assertArrayEquals(direct, vector, 1e-4f);

                List<Row> chunks = row.getList(row.fieldIndex("chunks"));
                assertFalse(chunks.isEmpty());
                int from = 0;
                for (Row chunk : chunks) {
                    String text = chunk.getString(0);
                    int at = content.indexOf(text, from);
                    assertTrue(at >= 0, "chunks are the content's own text, in order");
                    from = at + text.length();
                    float[] v = floats(chunk.getList(1));
                    assertEquals(384, v.length);
                    assertEquals(1.0, norm(v), 1e-3);
                }
            }
        }
    }

    @Test
    void embedAddsAVectorPerTextAndNoneForAMissingText() {
        StructType schema = new StructType().add("text", DataTypes.StringType);
        Dataset<Row> texts =
                spark.createDataFrame(
                        List.of(
                                RowFactory.create("Spark spreads the pages over the cores."),
                                RowFactory.create((Object) null)),
                        schema);
        List<Row> rows = Plinth.embed(texts, "text").collectAsList();
        assertEquals(2, rows.size());
        for (Row row : rows) {
            if (row.isNullAt(0)) {
                assertTrue(row.isNullAt(1));
            } else {
                assertEquals(384, row.getList(1).size());
            }
        }
    }

    private static int indexOf(List<TestData.Sample> samples, String id) {
        for (int i = 0; i < samples.size(); i++) {
            if (samples.get(i).id().equals(id)) {
                return i;
            }
        }
        throw new AssertionError("no sample " + id);
    }

    private static float[] floats(List<Object> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).floatValue();
        }
        return out;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
