package dev.plinth.models;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A model's {@code plinth-model.json}: what the ONNX file is and how to use its output.
 *
 * <pre>{@code
 * {"name": "bge-small-en-v1.5", "kind": "encoder", "pooling": "cls", "normalize": true,
 *  "max_tokens": 512, "dimensions": 384, "matryoshka": false,
 *  "tasks": {"retrieval.query": {"prefix": "Represent this sentence for searching relevant passages: "},
 *            "retrieval.passage": {}},
 *  "task_input": null}
 * }</pre>
 *
 * Beyond DESIGN.md's fields: {@code default_task} (the task used when a request names none), {@code
 * lowercase} (lowercase the text before tokenizing, for tokenizers whose vocabulary is lowercase
 * but whose normalizer does not say so, like bge-small-zh's), {@code quantized} (dynamic int8:
 * outputs depend on the padding of the batch, so the batcher runs equal lengths only) and {@code
 * output} (the ONNX output to read; the first output when null).
 *
 * @param name the name requests use
 * @param kind {@code encoder} or {@code cross-encoder}
 * @param pooling how token states become one vector (encoders only)
 * @param normalize whether the model's vectors are meant to be L2-normalized
 * @param maxTokens the most tokens the model takes, special tokens included
 * @param dimensions the width of the pooled vector
 * @param matryoshka whether prefixes of the vector are trained to stand alone (arXiv 2205.13147)
 * @param tasks Jina task name → prefix or task id
 * @param taskInput the ONNX input that selects a task adapter (a scalar int64), or null
 * @param defaultTask the task used when a request names none, or null for "no prefix"
 * @param lowercase lowercase inputs before tokenizing
 * @param quantized dynamically quantized (padding-sensitive)
 * @param output the ONNX output holding token states (or logits), or null for the first
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record ModelConfig(
        String name,
        Kind kind,
        Pooling.Mode pooling,
        boolean normalize,
        @JsonProperty("max_tokens") int maxTokens,
        int dimensions,
        boolean matryoshka,
        Map<String, Task> tasks,
        @JsonProperty("task_input") String taskInput,
        @JsonProperty("default_task") String defaultTask,
        boolean lowercase,
        boolean quantized,
        String output) {

    /** What a model computes. */
    public enum Kind {
        /** Token states pooled into one vector per text. */
        @JsonProperty("encoder")
        ENCODER,
        /** One relevance logit per (query, document) pair. */
        @JsonProperty("cross-encoder")
        CROSS_ENCODER
    }

    /**
     * How one Jina task maps onto this model: a text prefix, a task id for {@code task_input}, or
     * neither (the text as it is).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Task(String prefix, Integer id) {
        /** The prefix, never null. */
        public String prefixOrEmpty() {
            return prefix == null ? "" : prefix;
        }
    }

    static final ObjectMapper JSON =
            new ObjectMapper()
                    .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

    public ModelConfig {
        Objects.requireNonNull(name, "name");
        kind = kind == null ? Kind.ENCODER : kind;
        if (kind == Kind.ENCODER && pooling == null) pooling = Pooling.Mode.MEAN;
        if (maxTokens <= 0)
            throw new IllegalArgumentException(
                    name + ": max_tokens must be positive, not " + maxTokens);
        if (kind == Kind.ENCODER && dimensions <= 0)
            throw new IllegalArgumentException(
                    name + ": dimensions must be positive, not " + dimensions);
        tasks =
                tasks == null
                        ? Map.of()
                        : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
        if (defaultTask != null && !tasks.containsKey(defaultTask)) {
            throw new IllegalArgumentException(
                    name + ": default_task " + defaultTask + " is not one of " + tasks.keySet());
        }
        if (taskInput != null) {
            for (var e : tasks.entrySet()) {
                if (e.getValue().id() == null)
                    throw new IllegalArgumentException(
                            name + ": task " + e.getKey() + " needs an id for " + taskInput);
            }
        }
    }

    /** Reads a {@code plinth-model.json}. */
    public static ModelConfig read(InputStream in) throws IOException {
        return JSON.readValue(in, ModelConfig.class);
    }

    /** This config as {@code plinth-model.json} text. */
    public String toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The task a request means: {@code requested}, else the default; null when neither. */
    public Task task(String requested) {
        String chosen = requested != null ? requested : defaultTask;
        if (chosen == null) return null;
        Task task = tasks.get(chosen);
        if (task == null) {
            throw ModelException.invalid(
                    "unknown task '"
                            + chosen
                            + "' for model "
                            + name
                            + "; valid tasks: "
                            + String.join(", ", tasks.keySet()));
        }
        return task;
    }
}
