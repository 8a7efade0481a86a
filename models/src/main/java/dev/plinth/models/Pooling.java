package dev.plinth.models;

import java.util.Arrays;

/**
 * From token states to the vector a caller gets: pool, cut, normalize — in that order, all here.
 *
 * <ol>
 *   <li><b>Pool</b> the real tokens of one sequence (those under the attention mask; padding is
 *       always on the right, so they are the first {@code length}): {@code cls} takes the first
 *       token's state (BGE), {@code mean} averages them all (sentence-transformers, E5, jina-v3),
 *       {@code last} takes the final real token's state (decoder-style embedders, where only the
 *       last token has seen the whole text); {@code none} when the model pools itself and its
 *       output is one vector per input.
 *   <li><b>Cut</b> to the first {@code dimensions} values (Matryoshka representation learning,
 *       Kusupati et al., arXiv 2205.13147: such models are trained so every prefix is itself an
 *       embedding).
 *   <li><b>Normalize</b> to unit L2 length, after the cut, so a cut vector is unit length too and
 *       cosine similarity is a dot product.
 * </ol>
 *
 * Sums run in float like the models themselves; a zero vector stays zero rather than becoming NaN.
 */
final class Pooling {

    private Pooling() {}

    /** The finished vector: pooled, cut to {@code dimensions}, normalized when asked. */
    public static float[] finish(float[] pooled, int dimensions, boolean normalize) {
        float[] cut = cut(pooled, dimensions);
        if (normalize) normalizeInPlace(cut);
        return cut;
    }

    /**
     * Pools one sequence stored flat in {@code states} from {@code base}: {@code length} real
     * tokens of {@code width} values each.
     */
    public static float[] pool(PoolingMode mode, float[] states, int base, int width, int length) {
        if (length <= 0) return new float[width];
        return switch (mode) {
            case CLS -> copy(states, base, width);
            case LAST -> copy(states, base + (length - 1) * width, width);
            case MEAN -> mean(states, base, width, 0, length);
            case NONE -> copy(states, base, width);
        };
    }

    /** The mean of tokens {@code from} (inclusive) to {@code to} (exclusive) of one sequence. */
    public static float[] mean(float[] states, int base, int width, int from, int to) {
        float[] sum = new float[width];
        for (int t = from; t < to; t++) {
            int row = base + t * width;
            for (int d = 0; d < width; d++) sum[d] += states[row + d];
        }
        int n = Math.max(1, to - from);
        for (int d = 0; d < width; d++) sum[d] /= n;
        return sum;
    }

    /** The first {@code dimensions} values (a copy; the whole vector when it is no longer). */
    public static float[] cut(float[] vector, int dimensions) {
        return Arrays.copyOf(vector, Math.min(dimensions, vector.length));
    }

    /** Scales {@code vector} to unit L2 length; leaves a zero vector alone. */
    public static void normalizeInPlace(float[] vector) {
        double sq = 0;
        for (float v : vector) sq += (double) v * v;
        if (sq == 0) return;
        float scale = (float) (1.0 / Math.sqrt(sq));
        for (int d = 0; d < vector.length; d++) vector[d] *= scale;
    }

    private static float[] copy(float[] states, int from, int width) {
        return Arrays.copyOfRange(states, from, from + width);
    }
}
