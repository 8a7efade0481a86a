package dev.plinth.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores (query, document) pairs with a cross-encoder: a model folder with {@code "kind":
 * "cross-encoder"} (bge-reranker, jina-reranker-v2, ms-marco-MiniLM exported to ONNX) that reads
 * both texts together and returns a relevance logit.
 *
 * <p>Notes. The pair is laid out as the tokenizer's own pair template lays it out — {@code [CLS] q
 * [SEP] d [SEP]} with segment ids 0 then 1 for BERT, {@code <s> q </s></s> d </s>} for XLM-RoBERTa
 * — learned once by encoding a probe pair ({@link Layout}), so plinth can place the tokens itself.
 * That lets a long document run as overlapping windows: the query, cut to at most half the room, is
 * repeated in every window, the document slides by three quarters of the room left for it, and the
 * document keeps its best window's score (the max-passage strategy of Dai &amp; Callan, "Deeper
 * Text Understanding for IR with Contextual Neural Language Modeling", SIGIR 2019). A document is
 * read up to {@link #MAX_WINDOWS} windows; the rest is not scored (nor tokenized). The score is
 * sigmoid(logit) for a one-logit head (or the logit itself when the folder says {@code
 * "activation": "none"}), the last class's softmax probability for a wider one. Models without
 * {@code token_type_ids} (XLM-RoBERTa's, jina-reranker-v2's) simply are not fed them. Every window
 * goes through the model's shared {@link Batcher}.
 */
final class CrossEncoder {

    /** The most windows one document is read in (the rest of a very long document is ignored). */
    static final int MAX_WINDOWS = 16;

    /** Windows per batcher submission. */
    private static final int SLICE = 1024;

    /** Scores in document order, and the tokens run through the model. */
    record Scores(double[] scores, int tokens) {}

    private final Model model;
    private final Layout layout;

    CrossEncoder(Model model) {
        this.model = model;
        this.layout = Layout.probe(model.tokenizer());
    }

    /** Scores every document against {@code query}. */
    Scores score(String query, List<String> documents) {
        int window = model.config().maxTokens();
        int room = window - layout.specials();
        if (room < 2) {
            throw ModelException.invalid(
                    "model "
                            + model.name()
                            + ": a window of "
                            + window
                            + " tokens leaves no room for a query and a document");
        }
        ModelConfig.Activation activation = model.config().scoreActivation();
        // An overloaded model refuses before any document is tokenized.
        long least = 0;
        for (String document : documents) {
            least += Tokenizer.leastTokens(query.length() + document.length(), room);
        }
        model.batcher().admit(least);
        Tokenizer tokenizer = model.tokenizer();
        long[] q = tokenizer.pieces(query, room / 2);
        q = Arrays.copyOf(q, Math.min(q.length, room / 2));
        int docRoom = room - q.length;
        int stride = Math.max(1, docRoom - docRoom / 4);

        List<long[]> ids = new ArrayList<>();
        List<long[]> types = new ArrayList<>();
        List<Integer> owners = new ArrayList<>();
        for (int d = 0; d < documents.size(); d++) {
            // Never more than MAX_WINDOWS windows are read: the rest is not even tokenized.
            long[] doc = tokenizer.pieces(documents.get(d), docRoom + (MAX_WINDOWS - 1) * stride);
            int windows = 0;
            for (int start = 0; windows < MAX_WINDOWS; start += stride) {
                int end = Math.min(doc.length, start + docRoom);
                long[][] pair = layout.join(q, Arrays.copyOfRange(doc, start, end));
                ids.add(pair[0]);
                types.add(pair[1]);
                owners.add(d);
                windows++;
                if (end >= doc.length) break;
            }
        }
        int[] owner = owners.stream().mapToInt(Integer::intValue).toArray();

        int tokens = 0;
        for (long[] pair : ids) tokens += pair.length;
        // Held whole, so it is refused now or never, but queued a slice at a time, so that other
        // requests' work runs between its slices.
        List<Double> windowScores = new ArrayList<>(ids.size());
        Batcher batcher = model.batcher();
        try (Batcher.Reservation held = batcher.reserve(tokens)) {
            for (int from = 0; from < ids.size(); from += SLICE) {
                int to = Math.min(ids.size(), from + SLICE);
                windowScores.addAll(
                        batcher.await(
                                held.submit(
                                        ids.subList(from, to),
                                        types.subList(from, to),
                                        null,
                                        null,
                                        (out, i) -> relevance(out.logits(i), activation))));
            }
        }
        double[] scores = new double[documents.size()];
        Arrays.fill(scores, Double.NEGATIVE_INFINITY);
        for (int w = 0; w < owner.length; w++)
            scores[owner[w]] = Math.max(scores[owner[w]], windowScores.get(w));
        return new Scores(scores, tokens);
    }

    /**
     * sigmoid of a single logit (or the logit itself with {@link ModelConfig.Activation#NONE}); the
     * probability of the last class for several.
     */
    static double relevance(float[] logits, ModelConfig.Activation activation) {
        if (logits.length == 1)
            return activation == ModelConfig.Activation.NONE
                    ? logits[0]
                    : 1 / (1 + Math.exp(-logits[0]));
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        return Math.exp(logits[logits.length - 1] - max) / sum;
    }

    /**
     * Where a pair's special tokens go and which segment id each part gets, read off the
     * tokenizer's encoding of a probe pair: {@code lead q middle d trail}.
     */
    record Layout(
            long[] lead,
            long[] leadTypes,
            long queryType,
            long[] middle,
            long[] middleTypes,
            long documentType,
            long[] trail,
            long[] trailTypes) {

        int specials() {
            return lead.length + middle.length + trail.length;
        }

        /**
         * The ids and segment ids of the pair {@code (q, d)}, both given without special tokens.
         */
        long[][] join(long[] q, long[] d) {
            int n = specials() + q.length + d.length;
            long[] ids = new long[n];
            long[] types = new long[n];
            int at = 0;
            at = put(ids, types, at, lead, leadTypes);
            at = fill(ids, types, at, q, queryType);
            at = put(ids, types, at, middle, middleTypes);
            at = fill(ids, types, at, d, documentType);
            put(ids, types, at, trail, trailTypes);
            return new long[][] {ids, types};
        }

        static Layout probe(Tokenizer tokenizer) {
            String first = "query";
            String second = "document";
            long[] a = tokenizer.pieces(first);
            long[] b = tokenizer.pieces(second);
            Tokenizer.Encoded pair = tokenizer.encodePair(first, second, Integer.MAX_VALUE);
            long[] ids = pair.ids();
            long[] types = pair.typeIds();
            int ia = indexOf(ids, a, 0);
            int ib = ia < 0 ? -1 : indexOf(ids, b, ia + a.length);
            if (a.length == 0 || b.length == 0 || ia < 0 || ib < 0) {
                throw new ModelException(
                        ModelException.Reason.LOAD_FAILED,
                        "cannot find the pair layout of this tokenizer: " + Arrays.toString(ids),
                        null);
            }
            int trailFrom = ib + b.length;
            return new Layout(
                    Arrays.copyOfRange(ids, 0, ia),
                    Arrays.copyOfRange(types, 0, ia),
                    types[ia],
                    Arrays.copyOfRange(ids, ia + a.length, ib),
                    Arrays.copyOfRange(types, ia + a.length, ib),
                    types[ib],
                    Arrays.copyOfRange(ids, trailFrom, ids.length),
                    Arrays.copyOfRange(types, trailFrom, ids.length));
        }

        private static int put(long[] ids, long[] types, int at, long[] from, long[] fromTypes) {
            System.arraycopy(from, 0, ids, at, from.length);
            System.arraycopy(fromTypes, 0, types, at, fromTypes.length);
            return at + from.length;
        }

        private static int fill(long[] ids, long[] types, int at, long[] from, long type) {
            System.arraycopy(from, 0, ids, at, from.length);
            Arrays.fill(types, at, at + from.length, type);
            return at + from.length;
        }

        private static int indexOf(long[] haystack, long[] needle, int from) {
            outer:
            for (int i = from; i + needle.length <= haystack.length; i++) {
                for (int j = 0; j < needle.length; j++)
                    if (haystack[i + j] != needle[j]) continue outer;
                return i;
            }
            return -1;
        }
    }
}
