package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LateChunkingTest {

    @Test
    void layout_putsSpecialTokensAndPrefixInTheEdgeSpans() {
        // [CLS]=101 prefix(7 8) | a(1 2) | b(3) | c(4 5 6) | [SEP]=102
        LateChunking.Layout l =
                LateChunking.layout(
                        new long[] {101},
                        new long[] {7, 8},
                        List.of(new long[] {1, 2}, new long[] {3}, new long[] {4, 5, 6}),
                        new long[] {102});
        assertArrayEquals(new long[] {101, 7, 8, 1, 2, 3, 4, 5, 6, 102}, l.ids());
        // spans: [0,5) = [CLS] 7 8 1 2; [5,6) = 3; [6,10) = 4 5 6 [SEP]
        assertArrayEquals(new int[] {0, 5, 6, 10}, l.starts());
    }

    @Test
    void windows_overlapByAQuarterAndCoverTheEnd() {
        assertEquals(List.of("0-10"), show(LateChunking.windows(10, 16)));
        // max 16, overlap 4, step 12: [0,16) [12,28) [24,30)
        assertEquals(List.of("0-16", "12-28", "24-30"), show(LateChunking.windows(30, 16)));
    }

    @Test
    void lateChunking_meansEachInputsSpanOfOneEncoding() {
        Model model = Shared.REGISTRY.get(Shared.EN);
        List<String> chunks =
                List.of("Berlin is the capital of Germany.", "Its population is 3.8 million.");
        Embedder.Request r =
                Embedder.Request.of(chunks).withModel(Shared.EN).withLateChunking(true);
        Embedder.Result result = Shared.EMBEDDER.embed(r);

        // By hand: one sequence [CLS] chunk0 chunk1 [SEP], states from the encoder directly.
        Tokenizer tok = model.tokenizer();
        long[] a = tok.pieces(chunks.get(0));
        long[] b = tok.pieces(chunks.get(1));
        long[] ids = new long[a.length + b.length + 2];
        ids[0] = tok.leading()[0];
        System.arraycopy(a, 0, ids, 1, a.length);
        System.arraycopy(b, 0, ids, 1 + a.length, b.length);
        ids[ids.length - 1] = tok.trailing()[0];
        OnnxEncoder.Output out = model.encoder().run(List.of(ids), null);
        float[] first =
                Pooling.finish(
                        Pooling.mean(out.data(), 0, out.width(), 0, 1 + a.length), 384, true);
        float[] second =
                Pooling.finish(
                        Pooling.mean(out.data(), 0, out.width(), 1 + a.length, ids.length),
                        384,
                        true);

        assertEquals(ids.length, result.tokens());
        assertArrayEquals(first, result.embeddings().get(0), 1e-5f);
        assertArrayEquals(second, result.embeddings().get(1), 1e-5f);
        // "Its" now knows about Berlin: the chunk's vector moved toward the first chunk's meaning.
        float[] alone =
                Shared.EMBEDDER
                        .embed(Embedder.Request.of(List.of(chunks.get(1))).withModel(Shared.EN))
                        .embeddings()
                        .getFirst();
        float[] berlin =
                Shared.EMBEDDER
                        .embed(Embedder.Request.of(List.of("Berlin")).withModel(Shared.EN))
                        .embeddings()
                        .getFirst();
        assertTrue(Shared.dot(result.embeddings().get(1), berlin) > Shared.dot(alone, berlin));
    }

    @Test
    void longLateChunking_stitchesMacroWindowsDroppingOverlapStates() {
        Model model = Shared.REGISTRY.get(Shared.EN);
        Tokenizer tok = model.tokenizer();
        List<String> chunks = new ArrayList<>();
        for (int i = 0; i < 3; i++)
            chunks.add(("part " + i + " talks about rivers and mountains. ").repeat(25));
        Embedder.Request r =
                Embedder.Request.of(chunks).withModel(Shared.EN).withLateChunking(true);
        Embedder.Result result = Shared.EMBEDDER.embed(r);
        assertTrue(result.tokens() > 512, "needs more than one window: " + result.tokens());

        List<long[]> pieces = new ArrayList<>();
        for (String c : chunks) pieces.add(tok.pieces(c));
        LateChunking.Layout layout =
                LateChunking.layout(tok.leading(), new long[0], pieces, tok.trailing());
        List<int[]> windows = LateChunking.windows(layout.ids().length, 512);
        assertEquals(2, windows.size());
        // Token t's state comes from window 0 when t < 512, else from window 1 (its overlap
        // dropped).
        float[][] w0 =
                model.encoder()
                        .run(List.of(java.util.Arrays.copyOfRange(layout.ids(), 0, 512)), null)
                        .tokens(0);
        int from1 = windows.get(1)[0];
        float[][] w1 =
                model.encoder()
                        .run(
                                List.of(
                                        java.util.Arrays.copyOfRange(
                                                layout.ids(), from1, layout.ids().length)),
                                null)
                        .tokens(0);
        for (int span = 0; span < 3; span++) {
            float[] sum = new float[384];
            int s = layout.starts()[span], e = layout.starts()[span + 1];
            for (int t = s; t < e; t++) {
                float[] state = t < 512 ? w0[t] : w1[t - from1];
                for (int d = 0; d < 384; d++) sum[d] += state[d] / (e - s);
            }
            assertArrayEquals(
                    Pooling.finish(sum, 384, true),
                    result.embeddings().get(span),
                    1e-4f,
                    "span " + span);
        }
    }

    private static List<String> show(List<int[]> windows) {
        return windows.stream().map(w -> w[0] + "-" + w[1]).toList();
    }
}
