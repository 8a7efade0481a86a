package dev.plinth.models;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionException;

/**
 * Orders documents by relevance to a query: the engine behind {@code POST /v1/rerank}.
 *
 * <p>Notes. A rerank model name means one of:
 * <ul>
 *   <li>a model folder with {@code "kind": "cross-encoder"}: each (query, document) pair is read
 *       by the model itself ({@link CrossEncoder}: windows for long documents, sigmoid of the
 *       logit);</li>
 *   <li>an encoder with a scoring suffix, {@code <encoder>-cosine}, {@code <encoder>-maxsim} or
 *       {@code <encoder>-fused}: the offline reranker over the bundled embedding models
 *       ({@link LateInteraction}); a bare encoder name means {@link #DEFAULT_SCORING}.</li>
 * </ul>
 * The default model is the embeddings default with {@link #DEFAULT_SCORING}
 * ({@code bge-small-en-v1.5-int8-fused} in the default build) unless the registry names one for
 * {@code rerank}. RankingEval in bench measured fused above both cosine and MaxSim alone on both
 * of its tasks, hence the default. Every model call goes through the model's shared batcher.
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
    public static final Scoring DEFAULT_SCORING = Scoring.FUSED;
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
     * Ranks {@code documents} against {@code query} with {@code model} (null: {@link #defaultModel()}),
     * best first, keeping the first {@code topN} (null: all).
     */
    public Ranking rerank(String model, String query, List<String> documents, Integer topN) {
        if (documents.isEmpty()) throw ModelException.invalid("documents must not be empty");
        if (documents.size() > MAX_DOCUMENTS) {
            throw ModelException.invalid("at most " + MAX_DOCUMENTS + " documents, got " + documents.size());
        }
        if (topN != null && topN < 1) throw ModelException.invalid("top_n must be at least 1, got " + topN);
        String name = model != null ? model : defaultModel();
        Resolved resolved = resolve(name);

        double[] scores;
        int tokens;
        if (resolved.scoring() == Scoring.CROSS_ENCODER) {
            CrossEncoder.Scores s = crossEncoders.computeIfAbsent(resolved.model().name(), n -> new CrossEncoder(resolved.model()))
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
        results.sort(Comparator.comparingDouble(Result::score).reversed().thenComparingInt(Result::index));
        if (topN != null && topN < results.size()) results = results.subList(0, topN);
        return new Ranking(name, List.copyOf(results), tokens);
    }

    /** The model and scoring a name means; a 422 naming the choices when it means nothing. */
    Resolved resolve(String name) {
        ModelConfig config = config(name);
        if (config != null) {
            Scoring scoring = config.kind() == ModelConfig.Kind.CROSS_ENCODER ? Scoring.CROSS_ENCODER : DEFAULT_SCORING;
            return new Resolved(registry.get(name), scoring);
        }
        for (Scoring scoring : List.of(Scoring.COSINE, Scoring.MAXSIM, Scoring.FUSED)) {
            if (!name.endsWith(scoring.suffix())) continue;
            String stem = name.substring(0, name.length() - scoring.suffix().length());
            ModelConfig encoder = config(stem);
            if (encoder != null && encoder.kind() == ModelConfig.Kind.ENCODER) return new Resolved(registry.get(stem), scoring);
        }
        List<String> choices = new ArrayList<>();
        for (ModelRegistry.Available a : registry.available()) {
            if (a.config().kind() == ModelConfig.Kind.CROSS_ENCODER) {
                choices.add(a.config().name());
            } else {
                for (Scoring s : List.of(Scoring.FUSED, Scoring.MAXSIM, Scoring.COSINE)) choices.add(a.config().name() + s.suffix());
            }
        }
        throw new ModelException(ModelException.Reason.UNKNOWN_MODEL,
                "unknown rerank model '" + name + "'; available: " + String.join(", ", choices), null);
    }

    record Resolved(Model model, Scoring scoring) {}

    private ModelConfig config(String name) {
        for (ModelRegistry.Available a : registry.available()) if (a.config().name().equals(name)) return a.config();
        return null;
    }

    private record Scored(double[] scores, int tokens) {}

    /** Query and documents encoded side by side (their batches overlap), then scored. */
    private static Scored lateInteraction(Model model, Scoring scoring, String query, List<String> documents) {
        CompletableFuture<List<MultiVector.Encoded>> docs = CompletableFuture.supplyAsync(
                () -> MultiVector.encode(model, documents, MultiVector.InputType.DOCUMENT, null),
                Thread::startVirtualThread);
        MultiVector.Encoded q = MultiVector.encode(model, List.of(query), MultiVector.InputType.QUERY, null).getFirst();
        List<MultiVector.Encoded> d;
        try {
            d = docs.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw e;
        }
        double[] scores = new double[d.size()];
        int tokens = q.length();
        for (int i = 0; i < d.size(); i++) {
            MultiVector.Encoded doc = d.get(i);
            tokens += doc.length();
            scores[i] = switch (scoring) {
                case COSINE -> LateInteraction.cosine(q.pooled(), doc.pooled());
                case MAXSIM -> LateInteraction.maxSim(q.tokens(), doc.tokens());
                case FUSED -> LateInteraction.fuse(LateInteraction.cosine(q.pooled(), doc.pooled()),
                        LateInteraction.maxSim(q.tokens(), doc.tokens()));
                case CROSS_ENCODER -> throw new IllegalStateException("not a late-interaction scoring");
            };
        }
        return new Scored(scores, tokens);
    }
}
