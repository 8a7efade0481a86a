package dev.plinth.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token-level embeddings: every token of a text keeps its own unit vector instead of being pooled
 * into one. The engine behind {@code POST /v1/multi-vector} and the late-interaction reranker.
 *
 * <p>Notes. One forward pass through the model's shared {@link Batcher} gives both views of a text:
 * the token states (ColBERT-style multi-vector, Khattab &amp; Zaharia, arXiv 2004.12832) and the
 * pooled vector the bi-encoder would return, so scoring with both costs one pass. A query is
 * encoded with the model's {@code retrieval.query} task and a document with {@code
 * retrieval.passage} (when the model has them: a prefix such as bge's instruction, or a task id),
 * exactly as {@code /v1/embeddings} would; the vectors returned are those of the text's own tokens
 * — the special tokens ({@code [CLS]}, {@code [SEP]}) and the task prefix give the text its context
 * but are not part of it. Each token vector is cut to {@code dimensions} and normalized to unit
 * length, so a dot product is a cosine. Texts longer than the model's window are cut to it (the
 * tokens counted are those embedded).
 *
 * <p>A model folder of kind {@code colbert} is read the way ColBERT reads (Khattab &amp; Zaharia;
 * ColBERTv2, Santhanam et al., arXiv 2112.01488): a marker token after the leading special token
 * ({@code [CLS] [Q] query [SEP]}, {@code [CLS] [D] document [SEP]}); a query padded with mask
 * tokens to its fixed length (query augmentation: the mask positions learn to stand for terms the
 * query implies, and take part in MaxSim), under the attention mask or not as the model was
 * trained; every position's vector kept for a query; for a document every real token's except bare
 * punctuation (ColBERT's skip list); each token state passed through the linear projection when it
 * is kept beside the ONNX file, then cut and normalized.
 */
public final class MultiVector {

    /** Which side of a search a text is on. */
    public enum InputType {
        /** A search query: the {@code retrieval.query} task. */
        QUERY("retrieval.query"),
        /** A document or passage: the {@code retrieval.passage} task. */
        DOCUMENT("retrieval.passage");

        private final String task;

        InputType(String task) {
            this.task = task;
        }

        /** The Jina task name this side is encoded with. */
        public String task() {
            return task;
        }
    }

    /**
     * One text, encoded.
     *
     * @param tokens the text's token vectors, each unit length, {@code [tokens][dimensions]}
     * @param pooled the bi-encoder vector of the same pass, unit length, {@code [dimensions]}
     * @param length the tokens run through the model, special tokens and prefix included
     */
    public record Encoded(float[][] tokens, float[] pooled, int length) {}

    /** The answer of {@link #embed}: one token matrix per input, and the tokens used. */
    public record Result(String model, List<float[][]> embeddings, int totalTokens) {}

    /** The most texts one call takes. */
    public static final int MAX_INPUTS = 512;

    /**
     * The most values (tokens × dimensions) one {@link #embed} answers with: 8 M floats, about 80
     * MB of JSON. A request over it is refused before the model runs, never buffered.
     */
    public static final long MAX_VALUES = 8L << 20;

    private final ModelRegistry registry;

    public MultiVector(ModelRegistry registry) {
        this.registry = registry;
    }

    /**
     * Token embeddings of {@code texts} with {@code model} (null: the embeddings default), cut to
     * {@code dimensions} (null: the model's width).
     */
    public Result embed(String model, List<String> texts, InputType type, Integer dimensions) {
        if (texts.size() > MAX_INPUTS) {
            throw ModelException.invalid("at most " + MAX_INPUTS + " inputs, got " + texts.size());
        }
        String name =
                registry.resolve(
                        model != null ? model : registry.defaultModel(ModelRegistry.MULTI_VECTOR));
        Model loaded = registry.get(name);
        if (!loaded.config().kind().embeds()) {
            throw ModelException.invalid(
                    "model "
                            + name
                            + " is a "
                            + loaded.config().kind().wireName()
                            + ", not an encoder: it has no token embeddings");
        }
        List<Encoded> encoded = encode(loaded, texts, type, dimensions, MAX_VALUES);
        List<float[][]> embeddings = new ArrayList<>(encoded.size());
        int tokens = 0;
        for (Encoded e : encoded) {
            embeddings.add(e.tokens());
            tokens += e.length();
        }
        return new Result(name, embeddings, tokens);
    }

    /**
     * Encodes {@code texts} as {@code type} through the model's batcher: token vectors and pooled
     * vector from one pass, each cut to {@code dimensions} (null: full width) and normalized.
     */
    public static List<Encoded> encode(
            Model model, List<String> texts, InputType type, Integer dimensions) {
        return encode(model, texts, type, dimensions, Long.MAX_VALUE);
    }

    private static List<Encoded> encode(
            Model model, List<String> texts, InputType type, Integer dimensions, long maxValues) {
        // An overloaded model refuses before any text is tokenized.
        model.batcher().admit(Tokenizer.leastTokens(texts, model.config().maxTokens()));
        Prepared prepared = prepare(model, texts, type, dimensions);
        checkValues(prepared.tokens() * prepared.width(), maxValues);
        try (Batcher.Reservation held = model.batcher().reserve(prepared.tokens())) {
            return run(model, prepared, held);
        }
    }

    /**
     * Texts tokenized for one {@link #run}, with what the run needs to read them back: the tokens
     * they will cost are known before any of them is queued.
     *
     * @param attended per sequence, how many tokens are under the attention mask (null: all)
     * @param head the tokens before the text's own (special tokens, the task prefix) that are not
     *     part of it; a {@code colbert} folder keeps them and skips punctuation instead
     */
    record Prepared(
            InputType type,
            int width,
            List<long[]> sequences,
            int[] attended,
            Long taskId,
            int head) {
        /** Tokens run, special tokens and prefixes included. */
        long tokens() {
            long n = 0;
            for (long[] ids : sequences) n += ids.length;
            return n;
        }
    }

    /** Tokenizes {@code texts} as {@code type}, cut to the model's window. */
    static Prepared prepare(Model model, List<String> texts, InputType type, Integer dimensions) {
        ModelConfig config = model.config();
        int width = checkDimensions(config, dimensions);
        if (!model.encoder().tokenStates())
            throw ModelException.invalid(
                    "model "
                            + config.name()
                            + " pools inside its ONNX graph: it has no token embeddings");
        if (config.kind() == ModelConfig.Kind.COLBERT)
            return ColBertReader.prepare(model, texts, type, width);
        ModelConfig.Task task =
                config.tasks().containsKey(type.task())
                        ? config.task(type.task())
                        : config.task(null);
        String prefix = task == null ? "" : task.prefixOrEmpty();
        Long taskId = task == null || task.id() == null ? null : task.id().longValue();
        List<long[]> sequences = new ArrayList<>(texts.size());
        for (String text : texts)
            sequences.add(model.tokenizer().encode(prefix + text, config.maxTokens()).ids());
        int head = model.tokenizer().leading().length + prefixLength(model, prefix);
        return new Prepared(type, width, sequences, null, taskId, head);
    }

    /** Runs prepared texts, drawing their tokens from {@code held}. */
    static List<Encoded> run(Model model, Prepared prepared, Batcher.Reservation held) {
        if (model.config().kind() == ModelConfig.Kind.COLBERT) {
            List<float[][]> states =
                    model.batcher()
                            .await(
                                    held.submit(
                                            prepared.sequences(),
                                            null,
                                            prepared.attended(),
                                            null,
                                            OnnxEncoder.Output::tokens));
            return ColBertReader.read(model, prepared, states);
        }
        PoolingMode pooling = model.config().pooling();
        List<Raw> raw =
                model.batcher()
                        .await(
                                held.submit(
                                        prepared.sequences(),
                                        null,
                                        null,
                                        prepared.taskId(),
                                        (out, i) ->
                                                new Raw(out.tokens(i), out.pooled(i, pooling))));
        int width = prepared.width();
        int trailing = model.tokenizer().trailing().length;
        List<Encoded> encoded = new ArrayList<>(raw.size());
        for (Raw r : raw) {
            float[][] states = r.states();
            int from = Math.min(states.length, prepared.head());
            int to = Math.max(from, states.length - trailing);
            if (from == to) { // an empty text: its special tokens are all there is
                from = 0;
                to = states.length;
            }
            float[][] tokens = new float[to - from][];
            for (int t = from; t < to; t++)
                tokens[t - from] = Pooling.finish(states[t], width, true);
            encoded.add(
                    new Encoded(tokens, Pooling.finish(r.pooled(), width, true), states.length));
        }
        return encoded;
    }

    /** A 422 before the model runs when the answer would pass {@code maxValues}. */
    static void checkValues(long values, long maxValues) {
        if (values > maxValues) {
            throw ModelException.invalid(
                    "the answer would hold "
                            + values
                            + " values (tokens × dimensions), more than the limit of "
                            + maxValues
                            + "; send fewer or shorter inputs, or ask for fewer dimensions");
        }
    }

    /**
     * The width to cut to: {@code dimensions} when valid, else the model's; a 422 when out of
     * range.
     */
    static int checkDimensions(ModelConfig config, Integer dimensions) {
        if (dimensions == null) return config.dimensions();
        if (dimensions < 1 || dimensions > config.dimensions()) {
            throw ModelException.invalid(
                    "dimensions must be between 1 and "
                            + config.dimensions()
                            + " for model "
                            + config.name()
                            + ", not "
                            + dimensions);
        }
        return dimensions;
    }

    record Raw(float[][] states, float[] pooled) {}

    private static final Map<String, Integer> PREFIX_LENGTHS = new ConcurrentHashMap<>();

    /**
     * How many tokens a task prefix takes (word-level pre-tokenizers never merge across its end).
     */
    private static int prefixLength(Model model, String prefix) {
        if (prefix.isEmpty()) return 0;
        return PREFIX_LENGTHS.computeIfAbsent(
                model.name() + '\u0000' + prefix, key -> model.tokenizer().pieces(prefix).length);
    }
}
