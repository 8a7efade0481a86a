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
 *       LateInteraction}); a bare encoder name means {@link #DEFAULT_SCORING};
 *   <li>a {@code colbert} model: MaxSim over its own query and document token vectors;
 *   <li>a {@code clip} model: the cosine of the query's text vector and each document's vector, so
 *       documents may be images.
 * </ul>
 *
 * Names may be aliases ({@link ModelRegistry#resolve}); the ranking names what served it.
 *
 * <p>The default model is the embeddings default with {@link #DEFAULT_SCORING} ({@code
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
    public static final String RERANK = ModelRegistry.RERANK;

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
        return registry.defaultModel(RERANK);
    }

    /**
     * Ranks {@code documents} against {@code query} with {@code model} (null: {@link
     * #defaultModel()}), best first, keeping the first {@code topN} (null: all).
     */
    public Ranking rerank(String model, String query, List<String> documents, Integer topN) {
        return rerankInputs(
                model, query, documents.stream().map(Embedder.Input::text).toList(), topN);
    }

    /**
     * As {@link #rerank}, with documents that may be images ({@link Embedder.Input.Image}, for a
     * CLIP model) as well as texts.
     */
    public Ranking rerankInputs(
            String model, String query, List<Embedder.Input> documents, Integer topN) {
        if (query.isBlank()) throw ModelException.invalid("query must not be empty");
        if (documents.isEmpty()) throw ModelException.invalid("documents must not be empty");
        if (documents.size() > MAX_DOCUMENTS) {
            throw ModelException.invalid(
                    "at most " + MAX_DOCUMENTS + " documents, got " + documents.size());
        }
        if (topN != null && topN < 1)
            throw ModelException.invalid("top_n must be at least 1, got " + topN);
        String name = registry.resolve(model != null ? model : defaultModel());
        Resolved resolved = resolve(name);
        List<String> texts = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            switch (documents.get(i)) {
                case Embedder.Input.Text t -> texts.add(t.text());
                case Embedder.Input.Image img -> {
                    if (resolved.model().config().kind() != ModelConfig.Kind.CLIP)
                        throw ModelException.invalid(
                                "documents["
                                        + i
                                        + "] is an image but rerank model "
                                        + name
                                        + " reads texts only; image documents need a clip model");
                    texts.add(null);
                }
                case Embedder.Input.Tokens t ->
                        throw ModelException.invalid(
                                "documents[" + i + "] must be text or an image");
            }
        }

        double[] scores;
        int tokens;
        if (resolved.scoring() == Scoring.CROSS_ENCODER) {
            CrossEncoder.Scores s =
                    crossEncoders
                            .computeIfAbsent(
                                    resolved.model().name(),
                                    n -> new CrossEncoder(resolved.model()))
                            .score(query, texts);
            scores = s.scores();
            tokens = s.tokens();
        } else if (resolved.model().config().kind() == ModelConfig.Kind.CLIP) {
            Scored s = clip(resolved.model(), query, documents);
            scores = s.scores();
            tokens = s.tokens();
        } else {
            Scored s = lateInteraction(resolved.model(), resolved.scoring(), query, texts);
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
                    switch (config.kind()) {
                        case CROSS_ENCODER -> Scoring.CROSS_ENCODER;
                        case CLIP -> Scoring.COSINE;
                        case COLBERT -> Scoring.MAXSIM;
                        case ENCODER -> DEFAULT_SCORING;
                    };
            return new Resolved(registry.get(name), scoring);
        }
        for (Scoring scoring : List.of(Scoring.COSINE, Scoring.MAXSIM, Scoring.FUSED)) {
            if (!name.endsWith(scoring.suffix())) continue;
            String stem =
                    registry.resolve(name.substring(0, name.length() - scoring.suffix().length()));
            ModelConfig encoder = config(stem);
            if (encoder != null && encoder.kind() == ModelConfig.Kind.ENCODER)
                return new Resolved(registry.get(stem), scoring);
        }
        List<String> choices = new ArrayList<>();
        for (ModelRegistry.Available a : registry.available()) {
            if (a.config().kind() != ModelConfig.Kind.ENCODER) {
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
     * hold 1.6 GB of token vectors). Everything is tokenized first and its tokens reserved whole,
     * so an overloaded model refuses now, never after the query has waited its turn.
     */
    private static Scored lateInteraction(
            Model model, Scoring scoring, String query, List<String> documents) {
        int max = model.config().maxTokens();
        // Refused for the cost of reading the request, before anything is tokenized.
        model.batcher()
                .admit(
                        Tokenizer.leastTokens(query.length(), max)
                                + Tokenizer.leastTokens(documents, max));
        MultiVector.Prepared q =
                MultiVector.prepare(model, List.of(query), MultiVector.InputType.QUERY, null);
        List<MultiVector.Prepared> slices = new ArrayList<>();
        long tokens = q.tokens();
        for (int from = 0; from < documents.size(); from += SLICE) {
            List<String> slice = documents.subList(from, Math.min(documents.size(), from + SLICE));
            slices.add(MultiVector.prepare(model, slice, MultiVector.InputType.DOCUMENT, null));
            tokens += slices.getLast().tokens();
        }
        double[] scores = new double[documents.size()];
        try (Batcher.Reservation held = model.batcher().reserve(tokens)) {
            MultiVector.Encoded qv = MultiVector.run(model, q, held).getFirst();
            int at = 0;
            for (MultiVector.Prepared slice : slices) {
                for (MultiVector.Encoded doc : MultiVector.run(model, slice, held)) {
                    scores[at++] =
                            switch (scoring) {
                                case COSINE -> LateInteraction.cosine(qv.pooled(), doc.pooled());
                                case MAXSIM -> LateInteraction.maxSim(qv.tokens(), doc.tokens());
                                case FUSED ->
                                        LateInteraction.fuse(
                                                LateInteraction.cosine(qv.pooled(), doc.pooled()),
                                                LateInteraction.maxSim(qv.tokens(), doc.tokens()));
                                case CROSS_ENCODER ->
                                        throw new IllegalStateException(
                                                "not a late-interaction scoring");
                            };
                }
            }
        }
        return new Scored(scores, Math.toIntExact(tokens));
    }

    /** The query's text vector against each document's (text or image) vector, for CLIP. */
    private Scored clip(Model model, String query, List<Embedder.Input> documents) {
        Embedder embedder = new Embedder(registry);
        String queryTask =
                model.config().tasks().containsKey("retrieval.query") ? "retrieval.query" : null;
        String docTask =
                model.config().tasks().containsKey("retrieval.passage")
                        ? "retrieval.passage"
                        : null;
        Embedder.Result q =
                embedder.embed(
                        Embedder.Request.of(List.of(query))
                                .withModel(model.name())
                                .withTask(queryTask));
        double[] scores = new double[documents.size()];
        int tokens = q.tokens();
        for (int from = 0; from < documents.size(); from += SLICE) {
            List<Embedder.Input> slice =
                    documents.subList(from, Math.min(documents.size(), from + SLICE));
            Embedder.Result d =
                    embedder.embed(
                            Embedder.Request.ofInputs(slice)
                                    .withModel(model.name())
                                    .withTask(docTask));
            tokens += d.tokens();
            for (int i = 0; i < slice.size(); i++)
                scores[from + i] =
                        LateInteraction.cosine(q.embeddings().getFirst(), d.embeddings().get(i));
        }
        return new Scored(scores, tokens);
    }

    /** Documents encoded per batcher submission by the late-interaction path. */
    private static final int SLICE = 128;
}
