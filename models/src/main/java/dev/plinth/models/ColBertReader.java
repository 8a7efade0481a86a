package dev.plinth.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Encodes texts as a {@code colbert} model folder expects, for {@link MultiVector}: markers, query
 * augmentation, the skip list and the projection (see {@link MultiVector} for the why). A query is
 * {@code lead [Q] pieces… trail} cut or padded with the mask token to {@code query_tokens}; a
 * document is {@code lead [D] pieces… trail} cut to {@code max_tokens}.
 */
final class ColBertReader {

    private ColBertReader() {}

    /** Tokenizes {@code texts} as {@code type}: markers, padding, the window. */
    static MultiVector.Prepared prepare(
            Model model, List<String> texts, MultiVector.InputType type, int width) {
        ModelConfig config = model.config();
        ModelConfig.ColBert c = config.colbert();
        Model.ColBertIds k = model.colbert();
        Tokenizer tokenizer = model.tokenizer();
        long[] lead = tokenizer.leading();
        long[] trail = tokenizer.trailing();
        boolean query = type == MultiVector.InputType.QUERY;
        long marker = query ? k.queryMarker() : k.documentMarker();
        int specials = lead.length + trail.length + (marker >= 0 ? 1 : 0);
        int length = query ? c.queryTokens() : config.maxTokens();
        int room = Math.max(0, length - specials);

        List<long[]> sequences = new ArrayList<>(texts.size());
        int[] attended = new int[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            long[] pieces = tokenizer.pieces(texts.get(i), room);
            if (pieces.length > room) pieces = Arrays.copyOf(pieces, room);
            int real = specials + pieces.length;
            int total = query && c.augmentQuery() ? length : real;
            long[] ids = new long[total];
            int at = 0;
            for (long id : lead) ids[at++] = id;
            if (marker >= 0) ids[at++] = marker;
            for (long id : pieces) ids[at++] = id;
            for (long id : trail) ids[at++] = id;
            while (at < total) ids[at++] = k.mask();
            sequences.add(ids);
            attended[i] = c.attendToExpansion() ? total : real;
        }
        return new MultiVector.Prepared(type, width, sequences, attended, null, 0);
    }

    /**
     * Reads the token states of a run: every position of a query, a document's tokens but bare
     * punctuation, each projected, cut and normalized.
     */
    static List<MultiVector.Encoded> read(
            Model model, MultiVector.Prepared prepared, List<float[][]> states) {
        Model.ColBertIds k = model.colbert();
        boolean query = prepared.type() == MultiVector.InputType.QUERY;
        int width = prepared.width();
        List<MultiVector.Encoded> out = new ArrayList<>(states.size());
        for (int i = 0; i < states.size(); i++) {
            long[] ids = prepared.sequences().get(i);
            float[][] tokens = states.get(i);
            List<float[]> kept = new ArrayList<>(tokens.length);
            for (int t = 0; t < tokens.length; t++) {
                if (!query && k.skip().contains(ids[t])) continue;
                kept.add(Pooling.finish(project(k.projection(), tokens[t]), width, true));
            }
            float[] mean = new float[width];
            for (float[] v : kept) for (int d = 0; d < width; d++) mean[d] += v[d];
            Pooling.normalizeInPlace(mean);
            out.add(new MultiVector.Encoded(kept.toArray(new float[0][]), mean, ids.length));
        }
        return out;
    }

    /** {@code W · h} for a projection {@code W [out, in]}; {@code h} itself when there is none. */
    static float[] project(Safetensors.Matrix w, float[] h) {
        if (w == null) return h;
        float[] out = new float[w.rows()];
        for (int r = 0; r < w.rows(); r++) {
            float sum = 0;
            int base = r * w.columns();
            for (int j = 0; j < w.columns(); j++) sum += w.values()[base + j] * h[j];
            out[r] = sum;
        }
        return out;
    }
}
