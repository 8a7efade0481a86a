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
import java.util.List;
import java.util.Locale;
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
 * outputs depend on the padding of the batch, so the batcher runs equal lengths only), {@code
 * output} (the ONNX output to read; the first output when null), {@code file} (the ONNX file, or
 * the text tower's; {@code model.onnx} when null), {@code aliases} (more names requests may use),
 * {@code activation} (a cross-encoder's score: {@code sigmoid} of its logit, or the logit itself
 * with {@code none}), {@code vision} (a CLIP model's image tower, see {@link Vision}) and {@code
 * colbert} (a ColBERT model's markers and projection, see {@link ColBert}).
 *
 * @param name the name requests use
 * @param kind {@code encoder}, {@code cross-encoder}, {@code clip} or {@code colbert}
 * @param pooling how token states become one vector; {@code none} when the output is one vector per
 *     input already (rank 2)
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
 * @param file the ONNX file in the folder (the text tower's for CLIP), or null for {@code
 *     model.onnx}
 * @param aliases more names for this model
 * @param activation how a cross-encoder's logit becomes its score; null for {@code sigmoid}
 * @param vision a CLIP model's image tower, or null
 * @param colbert a ColBERT model's query and document handling, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record ModelConfig(
        String name,
        Kind kind,
        PoolingMode pooling,
        boolean normalize,
        @JsonProperty("max_tokens") int maxTokens,
        int dimensions,
        boolean matryoshka,
        Map<String, Task> tasks,
        @JsonProperty("task_input") String taskInput,
        @JsonProperty("default_task") String defaultTask,
        boolean lowercase,
        boolean quantized,
        String output,
        String file,
        List<String> aliases,
        Activation activation,
        Vision vision,
        ColBert colbert) {

    /** What a model computes. */
    public enum Kind {
        /** Token states pooled into one vector per text. */
        @JsonProperty("encoder")
        ENCODER,
        /** One relevance logit per (query, document) pair. */
        @JsonProperty("cross-encoder")
        CROSS_ENCODER,
        /** A text tower and an image tower embedding into one space. */
        @JsonProperty("clip")
        CLIP,
        /** One vector per token, for late interaction (MaxSim). */
        @JsonProperty("colbert")
        COLBERT;

        /** The name as {@code plinth-model.json} writes it. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** Whether this kind embeds texts into vectors (everything but a cross-encoder). */
        public boolean embeds() {
            return this != CROSS_ENCODER;
        }
    }

    /** How a cross-encoder's logit becomes the score it answers. */
    public enum Activation {
        /** 1 / (1 + e^-logit), in (0, 1): what Jina's and most rerankers' APIs answer. */
        @JsonProperty("sigmoid")
        SIGMOID,
        /** The logit itself. */
        @JsonProperty("none")
        NONE
    }

    /**
     * A CLIP model's image tower. Images are preprocessed as the folder's {@code
     * preprocessor_config.json} says ({@link ImagePreprocessor}).
     *
     * @param file the tower's ONNX file; null (or the text tower's file) when one file holds both
     * @param input the pixel input, {@code float [batch, 3, height, width]}; null for {@code
     *     pixel_values}
     * @param output the image-embedding output; null for the file's first output
     * @param pooling how a rank-3 output becomes one vector; {@code none} for a rank-2 output
     * @param preprocessor the preprocessing config file; null for {@code preprocessor_config.json}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Vision(
            String file, String input, String output, PoolingMode pooling, String preprocessor) {
        public Vision {
            input = input == null ? "pixel_values" : input;
            preprocessor = preprocessor == null ? "preprocessor_config.json" : preprocessor;
        }
    }

    /**
     * How a ColBERT model reads queries and documents (Khattab &amp; Zaharia, arXiv 2004.12832;
     * Santhanam et al., ColBERTv2, arXiv 2112.01488).
     *
     * @param queryMarker the token put after the leading special token of a query ({@code [Q]},
     *     {@code [QueryMarker]}), or null for none
     * @param documentMarker the same for documents ({@code [D]}, {@code [DocumentMarker]})
     * @param queryTokens a query's length: shorter queries are padded with the mask token (query
     *     augmentation) when {@code augmentQuery}, longer ones cut
     * @param augmentQuery pad queries with mask tokens up to {@code queryTokens}; default true
     * @param attendToExpansion whether the mask tokens are under the attention mask
     *     (jina-colbert-v2 and PyLate's {@code attend_to_expansion_tokens}); default false, as
     *     original ColBERT
     * @param skipPunctuation drop document tokens that are bare ASCII punctuation; default true
     * @param projection a safetensors file beside the model holding the linear projection {@code
     *     [dimensions, hidden]} applied to each token state, or null when the ONNX output is
     *     projected already
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ColBert(
            @JsonProperty("query_marker") String queryMarker,
            @JsonProperty("document_marker") String documentMarker,
            @JsonProperty("query_tokens") int queryTokens,
            @JsonProperty("augment_query") Boolean augmentQuery,
            @JsonProperty("attend_to_expansion") Boolean attendToExpansion,
            @JsonProperty("skip_punctuation") Boolean skipPunctuation,
            String projection) {
        public ColBert {
            queryTokens = queryTokens <= 0 ? 32 : queryTokens;
            augmentQuery = augmentQuery == null || augmentQuery;
            attendToExpansion = attendToExpansion != null && attendToExpansion;
            skipPunctuation = skipPunctuation == null || skipPunctuation;
        }
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
        if (kind.embeds() && pooling == null) pooling = PoolingMode.MEAN;
        if (maxTokens <= 0)
            throw new IllegalArgumentException(
                    name + ": max_tokens must be positive, not " + maxTokens);
        if (kind.embeds() && dimensions <= 0)
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
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        if (kind == Kind.CLIP && vision == null)
            throw new IllegalArgumentException(
                    name + ": a clip model needs \"vision\": {\"file\", \"input\", \"output\"}");
        if (kind != Kind.CLIP && vision != null)
            throw new IllegalArgumentException(
                    name + ": \"vision\" is for kind clip, not " + kind.wireName());
        if (kind == Kind.COLBERT && colbert == null)
            colbert = new ColBert(null, null, 0, null, null, null, null);
        if (kind != Kind.COLBERT && colbert != null)
            throw new IllegalArgumentException(
                    name + ": \"colbert\" is for kind colbert, not " + kind.wireName());
        if (activation != null && kind != Kind.CROSS_ENCODER)
            throw new IllegalArgumentException(
                    name + ": \"activation\" is for kind cross-encoder, not " + kind.wireName());
    }

    /** The fields every model folder had before CLIP, ColBERT and aliases. */
    public ModelConfig(
            String name,
            Kind kind,
            PoolingMode pooling,
            boolean normalize,
            int maxTokens,
            int dimensions,
            boolean matryoshka,
            Map<String, Task> tasks,
            String taskInput,
            String defaultTask,
            boolean lowercase,
            boolean quantized,
            String output) {
        this(
                name,
                kind,
                pooling,
                normalize,
                maxTokens,
                dimensions,
                matryoshka,
                tasks,
                taskInput,
                defaultTask,
                lowercase,
                quantized,
                output,
                null,
                null,
                null,
                null,
                null);
    }

    /** The ONNX file of the model (the text tower's for CLIP). */
    public String onnxFile() {
        return file == null ? "model.onnx" : file;
    }

    /** The cross-encoder score function, {@link Activation#SIGMOID} unless configured. */
    public Activation scoreActivation() {
        return activation == null ? Activation.SIGMOID : activation;
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
