package dev.plinth.models;

/**
 * The scores of the offline reranker, over unit vectors from {@link MultiVector}.
 *
 * <ul>
 *   <li><b>cosine</b>: the bi-encoder score, the dot product of the pooled query and document
 *       vectors.
 *   <li><b>MaxSim</b> (late interaction, ColBERT, Khattab &amp; Zaharia, SIGIR 2020, arXiv
 *       2004.12832): every query token finds its best-matching document token; the score is the
 *       mean of those best similarities. ColBERT sums them; the mean ranks identically for one
 *       query and stays in [-1, 1], on the cosine's scale, so the two can be fused.
 *   <li><b>fused</b>: {@code w * cosine + (1 - w) * MaxSim} with {@link #FUSION_WEIGHT}. The pooled
 *       vector sees the whole text, MaxSim rewards the exact terms a query asks for; a bi-encoder's
 *       token states were never trained for MaxSim, so neither is obviously the better signal;
 *       RankingEval in bench measures all three (MaxSim came out best, see {@link Reranker}).
 * </ul>
 */
public final class LateInteraction {

    /** The cosine's share of the fused score: an even split, not tuned to any evaluation. */
    public static final double FUSION_WEIGHT = 0.5;

    private LateInteraction() {}

    /** The dot product of two vectors of equal length (their cosine when both are unit length). */
    public static double cosine(float[] a, float[] b) {
        int n = Math.min(a.length, b.length);
        // Four accumulators: independent chains the CPU can run side by side.
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) s0 += a[i] * b[i];
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * The mean over query tokens of their best similarity with any document token; 0 when either is
     * empty.
     */
    public static double maxSim(float[][] query, float[][] document) {
        if (query.length == 0 || document.length == 0) return 0;
        double sum = 0;
        for (float[] q : query) {
            double best = Double.NEGATIVE_INFINITY;
            for (float[] d : document) best = Math.max(best, cosine(q, d));
            sum += best;
        }
        return sum / query.length;
    }

    /** The fused score of a cosine and a MaxSim. */
    public static double fuse(double cosine, double maxSim) {
        return FUSION_WEIGHT * cosine + (1 - FUSION_WEIGHT) * maxSim;
    }
}
