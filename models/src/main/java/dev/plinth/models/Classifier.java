package dev.plinth.models;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Zero-shot classification with an embedding model: the engine behind {@code POST /v1/classify}.
 *
 * <p>Notes. Inputs and labels are embedded alike, with the model's {@code classification} task (the
 * same prefix or task id on both sides, as jina-embeddings-v3 is trained for it), through {@link
 * Embedder} and so the model's shared batcher. An input's label scores are the softmax of its
 * cosine similarities to the labels divided by a temperature {@link #TEMPERATURE}: small embedding
 * models put every pair of short texts at a cosine of 0.3–0.9, so the gaps between labels are a few
 * hundredths and a temperature of 1 would make every prediction nearly uniform; 0.05 turns a gap of
 * 0.05 into odds of e:1 — the sharpness CLIP's learned scale (1/100) gives its zero-shot
 * classifier, softened for models that were never trained for it. Scores sum to 1; the prediction
 * is the best label.
 */
public final class Classifier {

    /** The softmax temperature over cosine similarities. */
    public static final double TEMPERATURE = 0.05;

    /** The task both inputs and labels are embedded with. */
    public static final String TASK = "classification";

    /** The most labels one call takes. */
    public static final int MAX_LABELS = 256;

    /** One label's probability. */
    public record LabelScore(String label, double score) {}

    /**
     * One input's classification: the best label, its score, and every label's score (in label
     * order).
     */
    public record Prediction(String prediction, double score, List<LabelScore> predictions) {}

    /** Every input's prediction, in input order, and the tokens embedded (inputs and labels). */
    public record Result(String model, List<Prediction> data, int totalTokens) {}

    private final Embedder embedder;

    public Classifier(Embedder embedder) {
        this.embedder = embedder;
    }

    /**
     * Classifies each of {@code inputs} into one of {@code labels} with {@code model} (null: the
     * embeddings default).
     */
    public Result classify(String model, List<String> inputs, List<String> labels) {
        return classifyInputs(model, inputs.stream().map(Embedder.Input::text).toList(), labels);
    }

    /**
     * As {@link #classify}, with inputs that may be images ({@link Embedder.Input.Image}, for a
     * CLIP model: zero-shot image classification against text labels).
     */
    public Result classifyInputs(String model, List<Embedder.Input> inputs, List<String> labels) {
        if (inputs.isEmpty()) throw ModelException.invalid("input must hold at least one text");
        if (inputs.size() > Embedder.MAX_INPUTS) {
            throw ModelException.invalid(
                    "input holds " + inputs.size() + " texts; at most " + Embedder.MAX_INPUTS);
        }
        if (labels.size() < 2)
            throw ModelException.invalid(
                    "labels must hold at least two labels, got " + labels.size());
        if (labels.size() > MAX_LABELS)
            throw ModelException.invalid("at most " + MAX_LABELS + " labels, got " + labels.size());
        Set<String> seen = new HashSet<>();
        for (String label : labels) {
            if (label.isBlank()) throw ModelException.invalid("labels must not be blank");
            if (!seen.add(label))
                throw ModelException.invalid("label '" + label + "' appears twice");
        }

        ModelRegistry registry = embedder.registry();
        String name =
                registry.resolve(
                        model != null ? model : registry.defaultModel(ModelRegistry.CLASSIFY));
        Embedder.Request request = Embedder.Request.ofInputs(inputs).withModel(name).withTask(TASK);
        if (!registry.get(name).config().tasks().containsKey(TASK))
            request = request.withTask(null);
        Embedder.Result in = embedder.embed(request);
        Embedder.Result out =
                embedder.embed(
                        Embedder.Request.of(labels)
                                .withModel(request.model())
                                .withTask(request.task()));

        List<Prediction> predictions = new ArrayList<>(inputs.size());
        for (float[] vector : in.embeddings()) {
            double[] logits = new double[labels.size()];
            double max = Double.NEGATIVE_INFINITY;
            for (int l = 0; l < labels.size(); l++) {
                logits[l] = LateInteraction.cosine(vector, out.embeddings().get(l)) / TEMPERATURE;
                max = Math.max(max, logits[l]);
            }
            double sum = 0;
            for (int l = 0; l < logits.length; l++) sum += logits[l] = Math.exp(logits[l] - max);
            List<LabelScore> scores = new ArrayList<>(labels.size());
            int best = 0;
            for (int l = 0; l < labels.size(); l++) {
                scores.add(new LabelScore(labels.get(l), logits[l] / sum));
                if (logits[l] > logits[best]) best = l;
            }
            predictions.add(
                    new Prediction(
                            labels.get(best), scores.get(best).score(), List.copyOf(scores)));
        }
        return new Result(in.model(), List.copyOf(predictions), in.tokens() + out.tokens());
    }
}
