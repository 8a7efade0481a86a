package dev.plinth.spark;

import dev.plinth.models.Embedder;
import dev.plinth.models.ModelException;
import dev.plinth.models.Segmenter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The embedding step behind {@link Plinth#embed}: a text column in, {@code embedding} (and {@code
 * chunks}) out.
 *
 * <p>Batches are formed per partition: {@value #BATCH} rows' texts go to the executor's one {@link
 * Embedder} as one request, whose batcher cuts them into ONNX runs by length; a null or blank text
 * gets a null vector. With chunks, each text is cut at paragraphs ({@link Segmenter}, the engine of
 * {@code /v1/segment}) and its chunks embedded together by late chunking, so each chunk's vector
 * has seen the whole page. A batch that the model refuses leaves its rows' vectors null and says
 * why in {@code error} (unless the row already has one).
 */
final class Vectors {

    static final String EMBEDDING = "embedding";
    static final String CHUNKS = "chunks";

    /** Rows per embedding request: enough to fill the batcher, few enough to stream. */
    static final int BATCH = 64;

    /** Longest chunk in characters: a paragraph or a few, about 250 tokens. */
    private static final int CHUNK_CHARS = 1000;

    private static final StructType CHUNK =
            new StructType()
                    .add("text", DataTypes.StringType)
                    .add(EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false));

    private Vectors() {}

    static Dataset<Row> embed(Dataset<Row> rows, String column, Plinth.Settings settings) {
        StructType input = rows.schema();
        List<String> names = Arrays.asList(input.fieldNames());
        int text = names.indexOf(column);
        if (text < 0 || !input.fields()[text].dataType().equals(DataTypes.StringType)) {
            throw new IllegalArgumentException(
                    "no string column '" + column + "' to embed; columns: " + input.simpleString());
        }
        List<Integer> kept = new ArrayList<>();
        StructType output = new StructType();
        for (int i = 0; i < names.size(); i++) {
            if (!names.get(i).equals(EMBEDDING) && !names.get(i).equals(CHUNKS)) {
                kept.add(i);
                output = output.add(input.fields()[i]);
            }
        }
        output = output.add(EMBEDDING, DataTypes.createArrayType(DataTypes.FloatType, false));
        if (settings.chunks()) {
            output = output.add(CHUNKS, DataTypes.createArrayType(CHUNK, false));
        }
        int error = names.indexOf(Reads.ERROR);
        int[] keep = kept.stream().mapToInt(Integer::intValue).toArray();
        Shape shape = new Shape(text, keep, error, settings.chunks());
        return rows.mapPartitions(
                (MapPartitionsFunction<Row, Row>)
                        it ->
                                new Batches(
                                        it,
                                        shape,
                                        PerJvm.embedder(settings.modelsDir()),
                                        settings.embedModel()),
                Encoders.row(output));
    }

    /** Where the text is, which input columns are kept, where an error goes. */
    private record Shape(int text, int[] kept, int error, boolean chunks)
            implements java.io.Serializable {}

    /** The partition's rows, embedded {@value #BATCH} at a time as they are pulled. */
    private static final class Batches implements Iterator<Row> {
        private final Iterator<Row> rows;
        private final Shape shape;
        private final Embedder embedder;
        private final String model;
        private final Segmenter segmenter = new Segmenter();
        private Iterator<Row> ready = List.<Row>of().iterator();

        Batches(Iterator<Row> rows, Shape shape, Embedder embedder, String model) {
            this.rows = rows;
            this.shape = shape;
            this.embedder = embedder;
            this.model = model;
        }

        @Override
        public boolean hasNext() {
            if (!ready.hasNext() && rows.hasNext()) {
                List<Row> batch = new ArrayList<>(BATCH);
                while (batch.size() < BATCH && rows.hasNext()) {
                    batch.add(rows.next());
                }
                ready = embedBatch(batch).iterator();
            }
            return ready.hasNext();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.next();
        }

        private List<Row> embedBatch(List<Row> batch) {
            List<String> texts = new ArrayList<>();
            List<Integer> at = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                Row row = batch.get(i);
                if (!row.isNullAt(shape.text) && !row.getString(shape.text).isBlank()) {
                    texts.add(row.getString(shape.text));
                    at.add(i);
                }
            }
            float[][] vectors = new float[batch.size()][];
            String failure = null;
            if (!texts.isEmpty()) {
                try {
                    List<float[]> embedded =
                            embedder.embed(Embedder.Request.of(texts).withModel(model))
                                    .embeddings();
                    for (int k = 0; k < at.size(); k++) {
                        vectors[at.get(k)] = embedded.get(k);
                    }
                } catch (ModelException e) {
                    failure = "embedding failed: " + e.getMessage();
                }
            }
            List<Row> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Row row = batch.get(i);
                String rowFailure = vectors[i] == null && at.contains(i) ? failure : null;
                List<Row> chunks = null;
                if (shape.chunks && vectors[i] != null) {
                    try {
                        chunks = chunks(row.getString(shape.text));
                    } catch (ModelException | IllegalArgumentException e) {
                        rowFailure = "chunk embedding failed: " + e.getMessage();
                    }
                }
                out.add(assemble(row, vectors[i], chunks, rowFailure));
            }
            return out;
        }

        /** The text's paragraphs, each with its late-chunked vector. */
        private List<Row> chunks(String text) {
            List<Segmenter.Chunk> pieces =
                    segmenter
                            .segment(
                                    text,
                                    new Segmenter.Options(
                                            null, false, true, CHUNK_CHARS, null, null))
                            .chunks();
            List<Row> out = new ArrayList<>(pieces.size());
            // A request holds at most MAX_INPUTS texts: a longer page is late-chunked in parts.
            for (int from = 0; from < pieces.size(); from += Embedder.MAX_INPUTS) {
                List<String> part =
                        pieces
                                .subList(from, Math.min(pieces.size(), from + Embedder.MAX_INPUTS))
                                .stream()
                                .map(Segmenter.Chunk::text)
                                .toList();
                List<float[]> vectors =
                        embedder.embed(
                                        Embedder.Request.of(part)
                                                .withModel(model)
                                                .withLateChunking(true))
                                .embeddings();
                for (int k = 0; k < part.size(); k++) {
                    out.add(RowFactory.create(part.get(k), vectors.get(k)));
                }
            }
            return out;
        }

        private Row assemble(Row row, float[] vector, List<Row> chunks, String failure) {
            int extra = shape.chunks ? 2 : 1;
            Object[] values = new Object[shape.kept.length + extra];
            for (int i = 0; i < shape.kept.length; i++) {
                int from = shape.kept[i];
                values[i] =
                        from == shape.error && failure != null && row.isNullAt(from)
                                ? failure
                                : row.get(from);
            }
            values[shape.kept.length] = vector;
            if (shape.chunks) {
                // Spark's row encoder takes arrays or Scala sequences, not Java lists.
                values[shape.kept.length + 1] = chunks == null ? null : chunks.toArray(Row[]::new);
            }
            return RowFactory.create(values);
        }
    }
}
