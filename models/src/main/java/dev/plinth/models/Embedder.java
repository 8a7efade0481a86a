package dev.plinth.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Texts in, vectors out: the embeddings entry point shared by {@code POST /v1/embeddings}, the
 * {@code plinth embed} command and library users.
 *
 * <p>A request is validated first (at most {@value #MAX_INPUTS} inputs, a task the model knows, a
 * dimension it has, no over-long input when truncation is off), each text is tokenized once with
 * its task prefix, the token ids go through the model's one {@link Batcher}, and each pooled vector
 * is cut and normalized ({@link Pooling}). With {@code lateChunking} the inputs are treated as the
 * chunks of one document ({@link LateChunking}). Validation failures are {@link
 * ModelException.Reason#INVALID_INPUT} with a message fit for the caller.
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

    /**
     * One embeddings request.
     *
     * @param model the model name, or null for the registry's default
     * @param inputs the texts
     * @param task a Jina task name ({@code retrieval.query}, …), or null for the model's default
     * @param dimensions cut vectors to this many values (Matryoshka), or null for all
     * @param normalized L2-normalize (after the cut); default <b>true</b>
     * @param truncate cut inputs at the model's max tokens; when false an over-long input is an
     *     error; default <b>true</b>
     * @param lateChunking embed the inputs as chunks of one text; default <b>false</b>
     */
    public record Request(
            String model,
            List<String> inputs,
            String task,
            Integer dimensions,
            boolean normalized,
            boolean truncate,
            boolean lateChunking) {
        public Request {
            inputs = List.copyOf(Objects.requireNonNull(inputs, "inputs"));
        }

        /** The texts with every default. */
        public static Request of(List<String> inputs) {
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
    }

    /**
     * The vectors, in input order.
     *
     * @param model the model that made them
     * @param embeddings one vector per input
     * @param tokens the tokens actually embedded (after truncation, special tokens and prefixes
     *     included)
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
        String name =
                request.model() != null
                        ? request.model()
                        : registry.defaultModel(ModelRegistry.EMBEDDINGS);
        Model model = registry.get(name);
        ModelConfig config = model.config();
        if (config.kind() != ModelConfig.Kind.ENCODER) {
            throw ModelException.invalid(
                    "model "
                            + name
                            + " is a "
                            + config.kind().name().toLowerCase().replace('_', '-')
                            + ", not an embedding model");
        }
        List<String> inputs = request.inputs();
        if (inputs.isEmpty()) throw ModelException.invalid("input must hold at least one text");
        if (inputs.size() > MAX_INPUTS) {
            throw ModelException.invalid(
                    "input holds "
                            + inputs.size()
                            + " texts; at most "
                            + MAX_INPUTS
                            + " per request");
        }
        int dimensions = config.dimensions();
        if (request.dimensions() != null) {
            if (request.dimensions() < 1 || request.dimensions() > config.dimensions()) {
                throw ModelException.invalid(
                        "dimensions must be between 1 and "
                                + config.dimensions()
                                + " for model "
                                + name
                                + ", not "
                                + request.dimensions());
            }
            dimensions = request.dimensions();
        }
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

        List<float[]> pooled;
        int tokens;
        if (request.lateChunking()) {
            LateChunking.Layout layout = layOut(model, inputs, prefix, request.truncate());
            pooled = LateChunking.embed(model, layout, taskId);
            tokens = layout.ids().length;
        } else {
            List<long[]> ids = new ArrayList<>(inputs.size());
            tokens = 0;
            for (int i = 0; i < inputs.size(); i++) {
                Tokenizer.Encoded e =
                        model.tokenizer().encode(prefix + inputs.get(i), config.maxTokens());
                if (!request.truncate() && e.truncated()) throw tooLong(i, e.fullLength(), config);
                ids.add(e.ids());
                tokens += e.length();
            }
            Pooling.Mode mode = config.pooling();
            pooled = model.batcher().run(ids, taskId, (out, i) -> out.pooled(i, mode));
        }
        List<float[]> vectors = new ArrayList<>(pooled.size());
        for (float[] v : pooled) vectors.add(Pooling.finish(v, dimensions, request.normalized()));
        return new Result(name, vectors, tokens);
    }

    private static LateChunking.Layout layOut(
            Model model, List<String> inputs, String prefix, boolean truncate) {
        Tokenizer tok = model.tokenizer();
        long[] leading = tok.leading();
        long[] trailing = tok.trailing();
        int room = model.config().maxTokens() - leading.length - trailing.length;
        List<long[]> pieces = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            long[] p = tok.pieces(inputs.get(i));
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
}
