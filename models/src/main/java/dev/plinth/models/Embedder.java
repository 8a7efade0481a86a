package dev.plinth.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Texts (and, for CLIP models, images) in, vectors out: the embeddings entry point shared by {@code
 * POST /v1/embeddings}, the {@code plinth embed} command and library users.
 *
 * <p>A request is validated first (at most {@value #MAX_INPUTS} inputs, a task the model knows, a
 * dimension it has, no over-long input when truncation is off — judged by characters before any
 * tokenizing, see {@link Tokenizer#MAX_CHARS_PER_TOKEN}), each text is tokenized once with its task
 * prefix, the token ids go through the model's one {@link Batcher}, and each pooled vector is cut
 * and normalized ({@link Pooling}). With {@code lateChunking} the inputs are treated as the chunks
 * of one document ({@link LateChunking}). Validation failures are {@link
 * ModelException.Reason#INVALID_INPUT} with a message fit for the caller.
 *
 * <p>Inputs come in three forms ({@link Input}): text; an image (its encoded bytes), which only a
 * CLIP model takes and which lands in the same space as its texts; and token ids, as OpenAI's API
 * allows. Token ids are read in the tokenizer of the model the client <em>named</em>: OpenAI's
 * model names ({@link #OPENAI_TOKENIZERS}) mean {@code cl100k_base} ids, which are decoded back to
 * text and re-tokenized for the model that serves (clients such as LangChain's send {@code
 * cl100k_base} ids under those names); any other name means the serving model's own ids, checked
 * against its vocabulary. Ids from some other tokenizer under a plinth model's name cannot be told
 * apart from real ones and embed as whatever those ids mean to this model.
 *
 * <pre>{@code
 * try (ModelRegistry models = ModelRegistry.create()) {
 *     Embedder embedder = new Embedder(models);
 *     float[] v = embedder.embed(Embedder.Request.of(List.of("hello"))).embeddings().getFirst();
 * }
 * }</pre>
 */
public final class Embedder {

    /** The most inputs one request may carry. */
    public static final int MAX_INPUTS = 512;

    /** Model names whose token-id inputs are OpenAI tokenizer ids, and that tokenizer. */
    public static final Map<String, String> OPENAI_TOKENIZERS =
            Map.of(
                    "text-embedding-3-small", "cl100k_base",
                    "text-embedding-3-large", "cl100k_base",
                    "text-embedding-ada-002", "cl100k_base");

    /** One input: a text, an image or token ids. */
    public sealed interface Input {
        /** A text. */
        record Text(String text) implements Input {
            public Text {
                Objects.requireNonNull(text, "text");
            }
        }

        /** An image's encoded bytes (JPEG, PNG, GIF, BMP, WebP), for CLIP models. */
        record Image(byte[] bytes) implements Input {
            public Image {
                Objects.requireNonNull(bytes, "bytes");
            }
        }

        /** Token ids without special tokens, as OpenAI's {@code input: [[id, …]]}. */
        record Tokens(long[] ids) implements Input {
            public Tokens {
                Objects.requireNonNull(ids, "ids");
            }
        }

        /** A text input. */
        static Input text(String text) {
            return new Text(text);
        }
    }

    /**
     * One embeddings request.
     *
     * @param model the model name (or an alias), or null for the registry's default
     * @param inputs the texts, images or token ids
     * @param task a Jina task name ({@code retrieval.query}, …), or null for the model's default
     * @param dimensions cut vectors to this many values (Matryoshka), or null for all
     * @param normalized L2-normalize (after the cut); default <b>true</b>
     * @param truncate cut inputs at the model's max tokens; when false an over-long input is an
     *     error; default <b>true</b>
     * @param lateChunking embed the inputs as chunks of one text; default <b>false</b>
     */
    public record Request(
            String model,
            List<Input> inputs,
            String task,
            Integer dimensions,
            boolean normalized,
            boolean truncate,
            boolean lateChunking) {
        public Request {
            inputs = List.copyOf(Objects.requireNonNull(inputs, "inputs"));
        }

        /** The texts with every default. */
        public static Request of(List<String> texts) {
            return ofInputs(texts.stream().map(Input::text).toList());
        }

        /** The inputs with every default. */
        public static Request ofInputs(List<Input> inputs) {
            return new Request(null, inputs, null, null, true, true, false);
        }

        /** This request for another model. */
        public Request withModel(String name) {
            return new Request(name, inputs, task, dimensions, normalized, truncate, lateChunking);
        }

        /** This request with another task. */
        public Request withTask(String name) {
            return new Request(model, inputs, name, dimensions, normalized, truncate, lateChunking);
        }

        /** This request cut to {@code n} dimensions. */
        public Request withDimensions(Integer n) {
            return new Request(model, inputs, task, n, normalized, truncate, lateChunking);
        }

        /** This request with truncation on or off. */
        public Request withTruncate(boolean on) {
            return new Request(model, inputs, task, dimensions, normalized, on, lateChunking);
        }

        /** This request with late chunking on or off. */
        public Request withLateChunking(boolean on) {
            return new Request(model, inputs, task, dimensions, normalized, truncate, on);
        }
    }

    /**
     * The vectors, in input order.
     *
     * @param model the model that made them (an alias resolved to what served it)
     * @param embeddings one vector per input
     * @param tokens the tokens actually embedded (after truncation, special tokens and prefixes
     *     included; images count none)
     */
    public record Result(String model, List<float[]> embeddings, int tokens) {}

    private final ModelRegistry registry;

    /** An embedder over the registry's models. */
    public Embedder(ModelRegistry registry) {
        this.registry = registry;
    }

    /** The registry this embedder serves from. */
    public ModelRegistry registry() {
        return registry;
    }

    /** Embeds a request (blocks while it runs). */
    public Result embed(Request request) {
        String requested =
                request.model() != null
                        ? request.model()
                        : registry.defaultModel(ModelRegistry.EMBEDDINGS);
        String name = registry.resolve(requested);
        Model model = registry.get(name);
        ModelConfig config = model.config();
        if (!config.kind().embeds()) {
            throw ModelException.invalid(
                    "model "
                            + name
                            + " is a "
                            + config.kind().wireName()
                            + ", not an embedding model");
        }
        List<Input> inputs = request.inputs();
        if (inputs.isEmpty()) throw ModelException.invalid("input must hold at least one text");
        if (inputs.size() > MAX_INPUTS) {
            throw ModelException.invalid(
                    "input holds "
                            + inputs.size()
                            + " texts; at most "
                            + MAX_INPUTS
                            + " per request");
        }
        int dimensions = MultiVector.checkDimensions(config, request.dimensions());
        ModelConfig.Task task = config.task(request.task());
        String prefix = task == null ? "" : task.prefixOrEmpty();
        Long taskId = task == null || task.id() == null ? null : task.id().longValue();
        if (config.taskInput() != null && taskId == null) {
            throw ModelException.invalid(
                    "model "
                            + name
                            + " needs a task; valid tasks: "
                            + String.join(", ", config.tasks().keySet()));
        }
        inputs = readTokenInputs(inputs, requested);
        // Every input is judged before any is tokenized or decoded: a refusal costs nothing.
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            if (in instanceof Input.Image && !model.takesImages()) {
                throw ModelException.invalid(
                        "input["
                                + i
                                + "] is an image but model "
                                + name
                                + " (a "
                                + config.kind().wireName()
                                + ") takes no images; image inputs need a clip model");
            }
            if (in instanceof Input.Image && request.lateChunking())
                throw ModelException.invalid(
                        "late_chunking takes texts only; input[" + i + "] is an image");
            if (!request.truncate()
                    && in instanceof Input.Text t
                    && Tokenizer.overCharacterBound(prefix + t.text(), config.maxTokens()))
                throw tooManyCharacters(i, t.text().length(), config);
        }

        // An overloaded model refuses before any text is tokenized, on a lower bound of its tokens.
        long least = 0;
        for (Input in : inputs) {
            least +=
                    switch (in) {
                        case Input.Text t ->
                                Tokenizer.leastTokens(t.text().length(), config.maxTokens());
                        case Input.Tokens t -> Math.min(t.ids().length, config.maxTokens());
                        case Input.Image img -> 0;
                    };
        }
        model.batcher().admit(least);

        List<float[]> pooled;
        int tokens;
        if (request.lateChunking()) {
            if (!model.encoder().tokenStates())
                throw ModelException.invalid(
                        "model "
                                + name
                                + " pools inside its ONNX graph (its output is one vector per"
                                + " text), so it cannot late-chunk");
            LateChunking.Layout layout = layOut(model, inputs, prefix, request.truncate());
            pooled = LateChunking.embed(model, layout, taskId);
            tokens = layout.ids().length;
        } else {
            List<long[]> ids = new ArrayList<>();
            List<Integer> textAt = new ArrayList<>();
            List<float[]> pixels = new ArrayList<>();
            List<Integer> imageAt = new ArrayList<>();
            tokens = 0;
            for (int i = 0; i < inputs.size(); i++) {
                switch (inputs.get(i)) {
                    case Input.Text t -> {
                        Tokenizer.Encoded e =
                                model.tokenizer().encode(prefix + t.text(), config.maxTokens());
                        if (!request.truncate() && e.truncated())
                            throw tooLong(i, e.fullLength(), config);
                        ids.add(e.ids());
                        textAt.add(i);
                        tokens += e.length();
                    }
                    case Input.Tokens t -> {
                        Tokenizer.Encoded e =
                                model.tokenizer().encodeIds(t.ids(), config.maxTokens());
                        if (!request.truncate() && e.truncated())
                            throw tooLong(i, e.fullLength(), config);
                        ids.add(e.ids());
                        textAt.add(i);
                        tokens += e.length();
                    }
                    case Input.Image img -> {
                        pixels.add(imagePixels(model, img, i));
                        imageAt.add(i);
                    }
                }
            }
            float[][] out = new float[inputs.size()][];
            PoolingMode mode = config.pooling();
            List<float[]> texts = model.batcher().run(ids, taskId, (o, i) -> o.pooled(i, mode));
            for (int k = 0; k < texts.size(); k++) out[textAt.get(k)] = texts.get(k);
            List<float[]> images = pixels.isEmpty() ? List.of() : model.runImages(pixels);
            for (int k = 0; k < images.size(); k++) out[imageAt.get(k)] = images.get(k);
            pooled = Arrays.asList(out);
        }
        List<float[]> vectors = new ArrayList<>(pooled.size());
        for (float[] v : pooled) vectors.add(Pooling.finish(v, dimensions, request.normalized()));
        return new Result(name, vectors, tokens);
    }

    /** One image's pixel tensor; a 422 naming the input when it cannot be decoded. */
    static float[] imagePixels(Model model, Input.Image image, int index) {
        try {
            return model.images().pixels(image.bytes());
        } catch (ModelException e) {
            throw ModelException.invalid("input[" + index + "]: " + e.getMessage());
        }
    }

    /**
     * Token inputs under one of OpenAI's model names are that model's tokenizer's ids: decoded here
     * to text, which the serving model then tokenizes itself.
     */
    private static List<Input> readTokenInputs(List<Input> inputs, String requested) {
        String tokenizer = OPENAI_TOKENIZERS.get(requested);
        if (tokenizer == null || inputs.stream().noneMatch(i -> i instanceof Input.Tokens))
            return inputs;
        List<Input> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) instanceof Input.Tokens t) {
                out.add(new Input.Text(Segmenter.decode(tokenizer, t.ids(), "input[" + i + "]")));
            } else {
                out.add(inputs.get(i));
            }
        }
        return out;
    }

    private static LateChunking.Layout layOut(
            Model model, List<Input> inputs, String prefix, boolean truncate) {
        Tokenizer tok = model.tokenizer();
        long[] leading = tok.leading();
        long[] trailing = tok.trailing();
        int room = model.config().maxTokens() - leading.length - trailing.length;
        List<long[]> pieces = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            long[] p =
                    switch (inputs.get(i)) {
                        case Input.Text t -> {
                            if (!truncate && Tokenizer.overCharacterBound(t.text(), room))
                                throw tooManyCharacters(i, t.text().length(), model.config());
                            yield tok.pieces(t.text(), room);
                        }
                        case Input.Tokens t -> {
                            tok.encodeIds(t.ids(), Integer.MAX_VALUE); // checks the vocabulary
                            yield t.ids();
                        }
                        case Input.Image img -> throw new IllegalStateException("checked before");
                    };
            if (p.length > room) {
                if (!truncate)
                    throw tooLong(i, p.length + leading.length + trailing.length, model.config());
                p = Arrays.copyOf(p, room);
            }
            pieces.add(p);
        }
        long[] prefixIds = prefix.isEmpty() ? new long[0] : tok.pieces(prefix);
        return LateChunking.layout(leading, prefixIds, pieces, trailing);
    }

    private static ModelException tooLong(int index, int tokens, ModelConfig config) {
        return ModelException.invalid(
                "input["
                        + index
                        + "] has "
                        + tokens
                        + " tokens; model "
                        + config.name()
                        + " takes at most "
                        + config.maxTokens()
                        + " (set truncate to true to cut it)");
    }

    private static ModelException tooManyCharacters(int index, int chars, ModelConfig config) {
        return ModelException.invalid(
                "input["
                        + index
                        + "] has "
                        + chars
                        + " characters; model "
                        + config.name()
                        + " takes at most "
                        + config.maxTokens()
                        + " tokens, and inputs over "
                        + Tokenizer.characterBound(config.maxTokens())
                        + " characters ("
                        + Tokenizer.MAX_CHARS_PER_TOKEN
                        + " a token) are refused without tokenizing (set truncate to true to cut"
                        + " it)");
    }
}
