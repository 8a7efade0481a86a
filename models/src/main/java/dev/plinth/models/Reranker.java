package dev.plinth.models;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Orders documents by relevance to a query: the engine behind {@code POST /v1/rerank}.
 *
 * <p>Notes. A rerank model name means one of:
 *
 * <ul>
 *   <li>a model folder with {@code "kind": "cross-encoder"}: each (query, document) pair is read by
 *       the model itself ({@link CrossEncoder}: windows for long documents, sigmoid of the logit);
 *   <li>an encoder with a scoring suffix, {@code <encoder>-cosine}, {@code <encoder>-maxsim} or
 *       {@code <encoder>-fused}: the offline reranker over the bundled embedding models ({@link
 *       LateInteraction}); a bare encoder name means {@link #DEFAULT_SCORING}.
 * </ul>
 *
 * The default model is the embeddings default with {@link #DEFAULT_SCORING} ({@code
 * bge-small-en-v1.5-int8-maxsim} in the default build) unless the registry names one for {@code
 * rerank}. Why MaxSim: RankingEval in bench (nDCG@10 / MRR, bge-small-en-v1.5-int8) — STS-B
 * retrieval: cosine 0.9489 / 0.9338, MaxSim 0.9579 / 0.9458, fused 0.9544 / 0.9399; page titles →
 * paragraphs: cosine 0.6733 / 0.8829, MaxSim 0.6856 / 0.8928, fused 0.6869 / 0.8933. Both beat the
 * bi-encoder on both tasks; MaxSim is clearly ahead on one and within 0.002 on the other, so it has
 * the better mean. (With the fp32 model the two trade places by less than 0.005: fused leads
 * nDCG@10 on the pages, MaxSim every MRR.) Every model call goes through the model's shared
 * batcher.
 */
public final class Reranker {

    /** How documents are scored. */
    public enum Scoring {
        /** Cosine of the pooled bi-encoder vectors. */
        COSINE,
        /** Late interaction: mean MaxSim of the token vectors. */
        MAXSIM,
        /** The even mix of cosine and MaxSim. */
        FUSED,
        /** A cross-encoder model's own score. */
        CROSS_ENCODER;

        /** The model-name suffix that selects this scoring over an encoder. */
        public String suffix() {
            return "-" + name().toLowerCase(Locale.ROOT);
        }
    }

    /** The scoring a bare encoder name (and the default rerank model) uses. */
    public static final Scoring DEFAULT_SCORING = Scoring.MAXSIM;

    /** The most documents one call takes. */
    public static final int MAX_DOCUMENTS = 2048;

    /** The registry key for the rerank endpoint's configured default. */
    public static final String RERANK = "rerank";

    /** One ranked document: its index in the request and its score. */
    public record Result(int index, double score) {}

    /** The ranking, best first, with the model that made it and the tokens it read. */
    public record Ranking(String model, List<Result> results, int totalTokens) {}

    private final ModelRegistry registry;
    private final Map<String, CrossEncoder> crossEncoders = new ConcurrentHashMap<>();

    public Reranker(ModelRegistry registry) {
        this.registry = registry;
    }

    /** The model used when a request names none. */
    public String defaultModel() {
        try {
            return registry.defaultModel(RERANK);
        } catch (ModelException e) {
            return registry.defaultModel(ModelRegistry.EMBEDDINGS) + DEFAULT_SCORING.suffix();
        }
    }

    /**
     * Ranks {@code documents} against {@code query} with {@code model} (null: {@link
     * #defaultModel()}), best first, keeping the first {@code topN} (null: all).
     */
    public Ranking rerank(String model, String query, List<String> documents, Integer topN) {
        if (query.isBlank()) throw ModelException.invalid("query must not be empty");
        if (documents.isEmpty()) throw ModelException.invalid("documents must not be empty");
        if (documents.size() > MAX_DOCUMENTS) {
            throw ModelException.invalid(
                    "at most " + MAX_DOCUMENTS + " documents, got " + documents.size());
        }
        if (topN != null && topN < 1)
            throw ModelException.invalid("top_n must be at least 1, got " + topN);
        String name = model != null ? model : defaultModel();
        Resolved resolved = resolve(name);

        double[] scores;
        int tokens;
        if (resolved.scoring() == Scoring.CROSS_ENCODER) {
            CrossEncoder.Scores s =
                    crossEncoders
                            .computeIfAbsent(
                                    resolved.model().name(),
                                    n -> new CrossEncoder(resolved.model()))
                            .score(query, documents);
            scores = s.scores();
            tokens = s.tokens();
        } else {
            Scored s = lateInteraction(resolved.model(), resolved.scoring(), query, documents);
            scores = s.scores();
            tokens = s.tokens();
        }

        List<Result> results = new ArrayList<>(documents.size());
        for (int i = 0; i < scores.length; i++) results.add(new Result(i, scores[i]));
        results.sort(
                Comparator.comparingDouble(Result::score)
                        .reversed()
                        .thenComparingInt(Result::index));
        if (topN != null && topN < results.size()) results = results.subList(0, topN);
        return new Ranking(name, List.copyOf(results), tokens);
    }

    /** The model and scoring a name means; a 422 naming the choices when it means nothing. */
    Resolved resolve(String name) {
        ModelConfig config = config(name);
        if (config != null) {
            Scoring scoring =
                    config.kind() == ModelConfig.Kind.CROSS_ENCODER
                            ? Scoring.CROSS_ENCODER
                            : DEFAULT_SCORING;
            return new Resolved(registry.get(name), scoring);
        }
        for (Scoring scoring : List.of(Scoring.COSINE, Scoring.MAXSIM, Scoring.FUSED)) {
            if (!name.endsWith(scoring.suffix())) continue;
            String stem = name.substring(0, name.length() - scoring.suffix().length());
            ModelConfig encoder = config(stem);
            if (encoder != null && encoder.kind() == ModelConfig.Kind.ENCODER)
                return new Resolved(registry.get(stem), scoring);
        }
        List<String> choices = new ArrayList<>();
        for (ModelRegistry.Available a : registry.available()) {
            if (a.config().kind() == ModelConfig.Kind.CROSS_ENCODER) {
                choices.add(a.config().name());
            } else {
                for (Scoring s : List.of(Scoring.FUSED, Scoring.MAXSIM, Scoring.COSINE))
                    choices.add(a.config().name() + s.suffix());
            }
        }
        throw new ModelException(
                ModelException.Reason.UNKNOWN_MODEL,
                "unknown rerank model '" + name + "'; available: " + String.join(", ", choices),
                null);
    }

    record Resolved(Model model, Scoring scoring) {}

    private ModelConfig config(String name) {
        for (ModelRegistry.Available a : registry.available())
            if (a.config().name().equals(name)) return a.config();
        return null;
    }

    private record Scored(double[] scores, int tokens) {}

    /**
     * The query encoded once, then the documents a slice at a time: each slice's token vectors are
     * scored and dropped, so memory stays bounded (2048 documents of 512 tokens would otherwise
     * hold 1.6 GB of token vectors).
     */
    private static Scored lateInteraction(
            Model model, Scoring scoring, String query, List<String> documents) {
        MultiVector.Encoded q =
                MultiVector.encode(model, List.of(query), MultiVector.InputType.QUERY, null)
                        .getFirst();
        double[] scores = new double[documents.size()];
        int tokens = q.length();
        for (int from = 0; from < documents.size(); from += SLICE) {
            List<MultiVector.Encoded> slice =
                    MultiVector.encode(
                            model,
                            documents.subList(from, Math.min(documents.size(), from + SLICE)),
                            MultiVector.InputType.DOCUMENT,
                            null);
            for (int i = 0; i < slice.size(); i++) {
                MultiVector.Encoded doc = slice.get(i);
                tokens += doc.length();
                scores[from + i] =
                        switch (scoring) {
                            case COSINE -> LateInteraction.cosine(q.pooled(), doc.pooled());
                            case MAXSIM -> LateInteraction.maxSim(q.tokens(), doc.tokens());
                            case FUSED ->
                                    LateInteraction.fuse(
                                            LateInteraction.cosine(q.pooled(), doc.pooled()),
                                            LateInteraction.maxSim(q.tokens(), doc.tokens()));
                            case CROSS_ENCODER ->
                                    throw new IllegalStateException(
                                            "not a late-interaction scoring");
                        };
            }
        }
        return new Scored(scores, tokens);
    }

    /** Documents encoded per batcher submission by the late-interaction path. */
    private static final int SLICE = 128;
}
