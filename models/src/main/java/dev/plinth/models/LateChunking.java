package dev.plinth.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Late chunking (Günther et al., "Late Chunking: Contextual Chunk Embeddings Using Long-Context
 * Embedding Models", arXiv 2409.04701): embed a document's chunks <em>after</em> the transformer
 * has seen them together, so each chunk's vector carries its context ("it" knows what "it" is).
 *
 * <ol>
 *   <li><b>Concatenate.</b> Each input is tokenized alone, without special tokens (so its span is
 *       exact), and the pieces are joined: {@code [CLS] prefix p₁ p₂ … pₙ [SEP]}. The leading
 *       special tokens and any task prefix belong to the first span, the trailing ones to the last.
 *   <li><b>Encode once</b>, keeping every token's state.
 *   <li><b>Pool each span</b> by the mean of its tokens' states, then cut and normalize as usual
 *       ({@link Pooling#finish}).
 * </ol>
 *
 * When the whole sequence is longer than the model takes, the paper's <em>long late chunking</em>
 * applies: the sequence is cut into macro windows of {@code max_tokens} tokens, each starting
 * {@code max_tokens − overlap} after the previous one; every window is encoded on its own, and the
 * states of a window's first {@code overlap} tokens are dropped (except in the first window),
 * because the previous window already saw those tokens with more left context. The kept states line
 * up with the original sequence one to one, and step 3 is unchanged.
 */
final class LateChunking {

    /** The overlap between macro windows, as a share of the window. */
    static final int OVERLAP_DIVISOR = 4;

    /**
     * The token layout of a late-chunked request.
     *
     * @param ids the whole sequence, special tokens included
     * @param starts span {@code i} is {@code [starts[i], starts[i+1])}; {@code starts[n] =
     *     ids.length}
     */
    record Layout(long[] ids, int[] starts) {
        int spans() {
            return starts.length - 1;
        }
    }

    private LateChunking() {}

    /** Lays out pieces (each input's ids, already cut to fit) between the special tokens. */
    static Layout layout(long[] leading, long[] prefix, List<long[]> pieces, long[] trailing) {
        int total = leading.length + prefix.length + trailing.length;
        for (long[] p : pieces) total += p.length;
        long[] ids = new long[total];
        int[] starts = new int[pieces.size() + 1];
        int at = 0;
        at = put(ids, at, leading);
        at = put(ids, at, prefix);
        for (int i = 0; i < pieces.size(); i++) {
            starts[i] = i == 0 ? 0 : at;
            at = put(ids, at, pieces.get(i));
        }
        put(ids, at, trailing);
        starts[pieces.size()] = total;
        return new Layout(ids, starts);
    }

    /** The macro windows over {@code length} tokens: {@code [from, to)} pairs. */
    static List<int[]> windows(int length, int maxTokens) {
        List<int[]> out = new ArrayList<>();
        if (length <= maxTokens) {
            out.add(new int[] {0, length});
            return out;
        }
        int overlap = maxTokens / OVERLAP_DIVISOR;
        int step = maxTokens - overlap;
        for (int from = 0; ; from += step) {
            int to = Math.min(length, from + maxTokens);
            out.add(new int[] {from, to});
            if (to == length) return out;
        }
    }

    /**
     * Encodes a layout through the model's batcher and returns one pooled (not yet cut or
     * normalized) vector per span.
     */
    static List<float[]> embed(Model model, Layout layout, Long taskId) {
        int max = model.config().maxTokens();
        List<int[]> windows = windows(layout.ids().length, max);
        List<long[]> sequences = new ArrayList<>(windows.size());
        for (int[] w : windows) sequences.add(Arrays.copyOfRange(layout.ids(), w[0], w[1]));
        List<float[][]> states = model.batcher().run(sequences, taskId, OnnxEncoder.Output::tokens);

        // Stitch the windows back into one state per token of the sequence.
        float[][] tokens = new float[layout.ids().length][];
        for (int k = 0; k < windows.size(); k++) {
            int from = windows.get(k)[0];
            int skip =
                    k == 0
                            ? 0
                            : (windows.get(k - 1)[1]
                                    - from); // the overlap with the previous window
            float[][] window = states.get(k);
            for (int t = skip; t < window.length; t++) tokens[from + t] = window[t];
        }

        List<float[]> out = new ArrayList<>(layout.spans());
        for (int i = 0; i < layout.spans(); i++)
            out.add(mean(tokens, layout.starts()[i], layout.starts()[i + 1]));
        return out;
    }

    private static float[] mean(float[][] tokens, int from, int to) {
        int width = tokens[0].length;
        float[] sum = new float[width];
        for (int t = from; t < to; t++) for (int d = 0; d < width; d++) sum[d] += tokens[t][d];
        int n = Math.max(1, to - from);
        for (int d = 0; d < width; d++) sum[d] /= n;
        return sum;
    }

    private static int put(long[] into, int at, long[] what) {
        System.arraycopy(what, 0, into, at, what.length);
        return at + what.length;
    }
}
