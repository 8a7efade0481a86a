package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jina-embeddings-v3's signature ({@code input_ids}, {@code attention_mask}, scalar {@code task_id}
 * → {@code text_embeds [batch, seq, 8]}, XLM-R tokenizer, 8192 tokens) on the tiny model of
 * scripts/make-tiny-jina-models.py: a token's state is {@code [v%3==0, v%3==1, v%3==2, task_id+1,
 * c, 0, 0, 0]}, c being the share of the pass's tokens whose id is 0 mod 3.
 */
class JinaV3Test {

    private static final String MODEL = "tiny-jina-v3";
    private static ModelRegistry registry;
    private static Embedder embedder;

    @BeforeAll
    static void load() {
        registry = TinyModels.registry();
        embedder = new Embedder(registry);
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    /** The mean state of one pass over {@code ids}, by the model's formula. */
    private static double[] expected(long[] ids, int from, int to, double c, int task) {
        double[] v = new double[8];
        for (int t = from; t < to; t++) v[(int) (ids[t] % 3)] += 1.0 / (to - from);
        v[3] = task + 1;
        v[4] = c;
        return v;
    }

    private static double share0(long[] ids, int from, int to) {
        int n = 0;
        for (int t = from; t < to; t++) if (ids[t] % 3 == 0) n++;
        return (double) n / (to - from);
    }

    @Test
    void taskIds_selectTheAdapterJinaNames() {
        long[] ids = registry.get(MODEL).tokenizer().encode("the red apple", 8192).ids();
        assertEquals(5, ids.length, "<s> ▁the ▁red ▁apple </s>");
        int[] taskIds = {0, 1, 2, 3, 4};
        String[] tasks = {
            "retrieval.query", "retrieval.passage", "separation", "classification", "text-matching"
        };
        for (int k = 0; k < tasks.length; k++) {
            float[] got =
                    embedder.embed(
                                    Embedder.Request.of(List.of("the red apple"))
                                            .withModel(MODEL)
                                            .withTask(tasks[k]))
                            .embeddings()
                            .getFirst();
            assertArrayEquals(
                    TinyModels.normalized(expected(ids, 0, 5, share0(ids, 0, 5), taskIds[k])),
                    got,
                    1e-6f,
                    tasks[k]);
        }
    }

    @Test
    void matryoshka_cutsThenNormalizes() {
        long[] ids = registry.get(MODEL).tokenizer().encode("the red apple", 8192).ids();
        double[] full = expected(ids, 0, 5, share0(ids, 0, 5), 1);
        float[] cut =
                embedder.embed(
                                Embedder.Request.of(List.of("the red apple"))
                                        .withModel(MODEL)
                                        .withTask("retrieval.passage")
                                        .withDimensions(4))
                        .embeddings()
                        .getFirst();
        assertArrayEquals(TinyModels.normalized(full[0], full[1], full[2], full[3]), cut, 1e-6f);
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                embedder.embed(
                                        Embedder.Request.of(List.of("x"))
                                                .withModel(MODEL)
                                                .withDimensions(9)));
        assertTrue(e.getMessage().contains("between 1 and 8"), e.getMessage());
    }

    @Test
    void lateChunking_over8kTokens_stitchesWindowsAndPoolsEachChunk() {
        List<String> chunks =
                List.of(
                        "the red apple pie is sweet ".repeat(600),
                        "paris is the capital of france ".repeat(600),
                        "a cat sleeps and a dog barks ".repeat(600));
        Embedder.Result late =
                embedder.embed(
                        Embedder.Request.of(chunks)
                                .withModel(MODEL)
                                .withTask("retrieval.passage")
                                .withLateChunking(true));
        Tokenizer tok = registry.get(MODEL).tokenizer();
        List<long[]> pieces = new ArrayList<>();
        for (String c : chunks) pieces.add(tok.pieces(c));
        int total = 2;
        for (long[] p : pieces) total += p.length;
        assertEquals(total, late.tokens());
        assertTrue(total > 8192, "needs two windows: " + total);

        long[] ids = new long[total];
        int[] starts = new int[4];
        int at = 0;
        ids[at++] = 0; // <s>
        for (int i = 0; i < 3; i++) {
            starts[i] = i == 0 ? 0 : at;
            System.arraycopy(pieces.get(i), 0, ids, at, pieces.get(i).length);
            at += pieces.get(i).length;
        }
        ids[at] = 2; // </s>
        starts[3] = total;
        // Windows of 8192 every 6144 tokens; each token keeps the state of the first window
        // that saw it with 2048 tokens of left context, so tokens from 8192 on are window 2's.
        double c1 = share0(ids, 0, 8192);
        double c2 = share0(ids, 6144, total);
        for (int i = 0; i < 3; i++) {
            int from = starts[i], to = starts[i + 1];
            double[] v = expected(ids, from, to, 0, 1);
            int inFirst = Math.max(0, Math.min(to, 8192) - from);
            v[4] = (inFirst * c1 + (to - from - inFirst) * c2) / (to - from);
            assertArrayEquals(
                    TinyModels.normalized(v), late.embeddings().get(i), 1e-5f, "chunk " + i);
        }
        // Embedded alone, a chunk sees only itself: the context value differs.
        float[] alone =
                embedder.embed(
                                Embedder.Request.of(List.of(chunks.get(2)))
                                        .withModel(MODEL)
                                        .withTask("retrieval.passage"))
                        .embeddings()
                        .getFirst();
        assertTrue(Math.abs(alone[4] - late.embeddings().get(2)[4]) > 1e-3);
    }

    @Test
    void overlongInput_isRefusedByCharactersBeforeTokenizing() {
        String huge = "apple ".repeat(4_000_000); // 24 MB, 3000 × the model's character bound
        long start = System.nanoTime();
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                embedder.embed(
                                        Embedder.Request.of(List.of(huge))
                                                .withModel(MODEL)
                                                .withTruncate(false)));
        assertTrue(e.getMessage().contains("24000000 characters"), e.getMessage());
        Embedder.Result cut = embedder.embed(Embedder.Request.of(List.of(huge)).withModel(MODEL));
        assertEquals(8192, cut.tokens(), "truncated to the window from its first characters");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 20, "bounded by the window, not the input: " + seconds + " s");
    }
}
