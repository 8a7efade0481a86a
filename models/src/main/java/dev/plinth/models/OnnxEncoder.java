package dev.plinth.models;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One ONNX Runtime session for one model file, shared by every caller (ORT sessions are
 * thread-safe; the {@link Batcher} is what keeps them from oversubscribing the cores).
 *
 * <p>At load the file's inputs and outputs are checked against what plinth will feed and read:
 * {@code input_ids} and {@code attention_mask} are required, {@code token_type_ids} is fed (zeros,
 * or the pair's segment ids) when the file has it, the config's {@code task_input} (jina-v3's
 * {@code task_id}) must exist and gets a scalar int64, and nothing else may be required. A mismatch
 * is an error naming what the file does have.
 *
 * <p>Closing waits for runs in progress (a read/write lock: runs share it, {@link #close} takes it
 * alone) and refuses later ones, so a native session is never freed under a running call — that
 * race is a crash in ORT, not an exception.
 *
 * <p>A {@link #run} pads the batch on the right to its longest sequence and returns the raw output:
 * per-token states {@code [batch, seq, width]} for encoders (pool them with {@link Output#pooled}
 * or read them with {@link Output#tokens}), logits {@code [batch, labels]} for cross-encoders.
 */
final class OnnxEncoder implements AutoCloseable {

    /**
     * A run's output, flat: item {@code i}'s token {@code t} starts at {@code (i*seq + t)*width}.
     *
     * @param data the output values
     * @param batch the number of sequences
     * @param seq the padded length (1 for logits)
     * @param width values per token (hidden size) or per item (labels)
     * @param lengths each sequence's real length (its attention-mask sum)
     */
    public record Output(float[] data, int batch, int seq, int width, int[] lengths) {
        /** Item {@code i}'s real tokens' states, {@code [length][width]}. */
        public float[][] tokens(int i) {
            float[][] out = new float[lengths[i]][];
            for (int t = 0; t < lengths[i]; t++) {
                int from = (i * seq + t) * width;
                out[t] = Arrays.copyOfRange(data, from, from + width);
            }
            return out;
        }

        /** Item {@code i} pooled over its real tokens (not cut, not normalized). */
        public float[] pooled(int i, PoolingMode mode) {
            return Pooling.pool(mode, data, i * seq * width, width, lengths[i]);
        }

        /** Item {@code i}'s logits (cross-encoders: {@code seq == 1}). */
        public float[] logits(int i) {
            return Arrays.copyOfRange(data, i * seq * width, (i * seq + 1) * width);
        }
    }

    private final LongAdder feedNanos = new LongAdder();
    private final LongAdder runNanos = new LongAdder();
    private final LongAdder readNanos = new LongAdder();
    private final LongAdder runs = new LongAdder();
    private final LongAdder tokens = new LongAdder();
    private final LongAdder paddedTokens = new LongAdder();

    private static final String IDS = "input_ids";
    private static final String MASK = "attention_mask";
    private static final String TYPES = "token_type_ids";

    /** Which half of a model a session (or a share of one) runs. */
    public enum Tower {
        /** Token ids in: every kind's text side. */
        TEXT,
        /** Pixels in: a CLIP model's image side. */
        VISION
    }

    private final ModelConfig config;
    private final OrtEnvironment env;
    private final OrtSession session;
    // The same file with more intra-op threads, for runs that have the model to themselves; or
    // null.
    private OrtSession lone;
    private final Tower tower;
    private final boolean ownsSession;
    private final boolean feedsMask;
    private final boolean feedsTypes;
    private final boolean scalarTask;
    private final String output;
    private final int outputRank;
    private final Map<String, long[]> fillers;
    private final ReentrantReadWriteLock use = new ReentrantReadWriteLock();
    private boolean closed;

    /**
     * Checks the session's inputs and outputs against what this tower will feed and read.
     *
     * @param fillers inputs of the other tower in a file that holds both (a CLIP export with {@code
     *     input_ids} and {@code pixel_values}), fed zeros of these shapes so ORT gets every input
     *     it requires
     */
    private OnnxEncoder(
            ModelConfig config,
            OrtEnvironment env,
            OrtSession session,
            Tower tower,
            boolean ownsSession,
            Map<String, long[]> fillers)
            throws OrtException {
        this.config = config;
        this.env = env;
        this.session = session;
        this.tower = tower;
        this.ownsSession = ownsSession;
        this.fillers = Map.copyOf(fillers);
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();

        Set<String> required = new LinkedHashSet<>();
        Set<String> optional = new LinkedHashSet<>(fillers.keySet());
        if (tower == Tower.TEXT) {
            required.add(IDS);
            optional.add(MASK);
            optional.add(TYPES);
            if (config.taskInput() != null) required.add(config.taskInput());
        } else {
            required.add(config.vision().input());
        }
        List<String> missing = new ArrayList<>();
        for (String name : required) if (!inputs.containsKey(name)) missing.add(name);
        List<String> unknown = new ArrayList<>();
        for (String name : inputs.keySet())
            if (!required.contains(name) && !optional.contains(name)) unknown.add(name);
        if (!missing.isEmpty() || !unknown.isEmpty()) {
            throw loadError(
                    "its inputs "
                            + describe(inputs)
                            + " do not match"
                            + (tower == Tower.VISION ? " the image tower" : "")
                            + ": "
                            + (missing.isEmpty() ? "" : "missing " + missing)
                            + (missing.isEmpty() || unknown.isEmpty() ? "" : ", ")
                            + (unknown.isEmpty() ? "" : "cannot feed " + unknown));
        }
        this.feedsMask = tower == Tower.TEXT && inputs.containsKey(MASK);
        this.feedsTypes = tower == Tower.TEXT && inputs.containsKey(TYPES);
        this.scalarTask =
                tower == Tower.TEXT
                        && config.taskInput() != null
                        && ((TensorInfo) inputs.get(config.taskInput()).getInfo()).getShape().length
                                == 0;
        if (tower == Tower.VISION) {
            long[] pixels = ((TensorInfo) inputs.get(config.vision().input()).getInfo()).getShape();
            if (pixels.length != 4)
                throw loadError(
                        "image input '"
                                + config.vision().input()
                                + "' has rank "
                                + pixels.length
                                + ", not 4 [batch, channels, height, width]; its inputs are "
                                + describe(inputs));
        }

        String configured = tower == Tower.TEXT ? config.output() : config.vision().output();
        String wanted = configured != null ? configured : outputs.keySet().iterator().next();
        NodeInfo info = outputs.get(wanted);
        if (info == null)
            throw loadError(
                    "it has no output '" + wanted + "'; its outputs are " + describe(outputs));
        this.output = wanted;
        long[] shape = ((TensorInfo) info.getInfo()).getShape();
        this.outputRank = shape.length;
        PoolingMode pooling =
                tower == Tower.TEXT
                        ? config.pooling()
                        : config.vision().pooling() == null
                                ? PoolingMode.NONE
                                : config.vision().pooling();
        String needs = needs(config.kind(), tower, pooling);
        int expected =
                config.kind() == ModelConfig.Kind.CROSS_ENCODER || pooling == PoolingMode.NONE
                        ? 2
                        : 3;
        if (outputRank != expected) {
            throw loadError(
                    "output '"
                            + wanted
                            + "' has rank "
                            + outputRank
                            + ", "
                            + needs
                            + " needs rank "
                            + expected
                            + (expected == 2 && config.kind().embeds()
                                    ? " (or rank 3 with a pooling other than none)"
                                    : expected == 3 && config.kind() != ModelConfig.Kind.COLBERT
                                            ? " (or rank 2 with \"pooling\": \"none\")"
                                            : "")
                            + "; its outputs are "
                            + describe(outputs));
        }
        long width = shape[shape.length - 1];
        boolean projected =
                config.kind() == ModelConfig.Kind.COLBERT && config.colbert().projection() != null;
        if (config.kind().embeds() && !projected && width > 0 && width != config.dimensions()) {
            throw loadError(
                    "output '"
                            + wanted
                            + "' is "
                            + width
                            + " wide but plinth-model.json says dimensions "
                            + config.dimensions());
        }
    }

    private static String needs(ModelConfig.Kind kind, Tower tower, PoolingMode pooling) {
        if (kind == ModelConfig.Kind.CROSS_ENCODER) return "a cross-encoder (logits [batch, n])";
        if (kind == ModelConfig.Kind.COLBERT) return "a colbert model (token vectors)";
        String side = tower == Tower.VISION ? "the image tower" : "the text tower";
        return pooling == PoolingMode.NONE
                ? side + " with \"pooling\": \"none\""
                : side + " with pooling " + pooling.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Opens the model's ONNX file for its text tower (a file, memory-mapped by ORT, or a path
     * inside a jar).
     */
    public static OnnxEncoder load(ModelConfig config, Path onnx, SessionOptions options) {
        return load(config, onnx, options, Map.of());
    }

    /** As {@link #load(ModelConfig, Path, SessionOptions)}, feeding zeros to {@code fillers}. */
    static OnnxEncoder load(
            ModelConfig config, Path onnx, SessionOptions options, Map<String, long[]> fillers) {
        return load(config, onnx, options, fillers, 0);
    }

    /**
     * As {@link #load(ModelConfig, Path, SessionOptions, Map)}, plus a second session with {@code
     * loneThreads} intra-op threads when that is more than {@code options.threads()}.
     */
    static OnnxEncoder load(
            ModelConfig config,
            Path onnx,
            SessionOptions options,
            Map<String, long[]> fillers,
            int loneThreads) {
        OrtSession session = openSession(config, onnx, options);
        OnnxEncoder encoder;
        try {
            encoder =
                    new OnnxEncoder(
                            config, Natives.onnxRuntime(), session, Tower.TEXT, true, fillers);
        } catch (RuntimeException | OrtException e) {
            closeQuietly(session);
            throw wrap(config, onnx, e);
        }
        if (loneThreads > options.threads()) {
            try {
                encoder.lone = openSession(config, onnx, options.withThreads(loneThreads));
            } catch (RuntimeException e) {
                encoder.close();
                throw e;
            }
        }
        return encoder;
    }

    /**
     * The image tower of a CLIP model: its own file, or {@code text}'s session when one file holds
     * both towers (then {@code fillers} are the text inputs to feed zeros).
     */
    static OnnxEncoder loadVision(
            ModelConfig config,
            Path onnx,
            SessionOptions options,
            OnnxEncoder text,
            Map<String, long[]> fillers) {
        boolean shared = text != null;
        OrtSession session = shared ? text.session : openSession(config, onnx, options);
        try {
            return new OnnxEncoder(
                    config, Natives.onnxRuntime(), session, Tower.VISION, !shared, fillers);
        } catch (RuntimeException | OrtException e) {
            if (!shared) closeQuietly(session);
            throw wrap(config, onnx, e);
        }
    }

    /** The names of a file's inputs, without building a tower (to lay out a shared CLIP file). */
    static Set<String> inputNames(OnnxEncoder encoder) {
        try {
            return encoder.session.getInputInfo().keySet();
        } catch (OrtException e) {
            throw new ModelException(ModelException.Reason.RUNTIME, e.getMessage(), e);
        }
    }

    private static OrtSession openSession(ModelConfig config, Path onnx, SessionOptions options) {
        OrtEnvironment env = Natives.onnxRuntime();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(Math.max(1, options.threads()));
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(options.optimization());
            so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
            so.addConfigEntry("session.inter_op.allow_spinning", "0");
            return onnx.getFileSystem() == FileSystems.getDefault()
                    ? env.createSession(onnx.toString(), so)
                    : env.createSession(Files.readAllBytes(onnx), so);
        } catch (OrtException | IOException e) {
            throw wrap(config, onnx, e);
        }
    }

    private static ModelException wrap(ModelConfig config, Path onnx, Exception e) {
        if (e instanceof ModelException m) return m;
        return new ModelException(
                ModelException.Reason.LOAD_FAILED,
                "model " + config.name() + ": cannot load " + onnx + ": " + e.getMessage(),
                e);
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException ignored) {
            // already failing with the reason that matters
        }
    }

    /** Runs single texts' ids (each with its special tokens) with the task id, or null for none. */
    public Output run(List<long[]> ids, Long taskId) {
        return run(ids, null, taskId);
    }

    /**
     * Runs a batch: {@code ids.get(i)} are sequence {@code i}'s ids, {@code typeIds} its segment
     * ids (null for zeros); padded right to the longest with id 0 under a zero mask.
     */
    public Output run(List<long[]> ids, List<long[]> typeIds, Long taskId) {
        return run(ids, typeIds, null, taskId);
    }

    /**
     * As {@link #run(List, List, Long)}, with only the first {@code attended[i]} tokens of sequence
     * {@code i} under the attention mask (null: all of them).
     */
    public Output run(List<long[]> ids, List<long[]> typeIds, int[] attended, Long taskId) {
        return run(ids, typeIds, attended, taskId, false);
    }

    /** Whether runs may take every core: a second, multi-threaded session is loaded. */
    boolean canSpread() {
        return lone != null;
    }

    /**
     * As {@link #run(List, List, int[], Long)}; {@code wide} runs on every core (the second
     * session, when loaded).
     */
    public Output run(
            List<long[]> ids, List<long[]> typeIds, int[] attended, Long taskId, boolean wide) {
        use.readLock().lock();
        try {
            if (closed) throw ModelException.unavailable("model " + config.name() + " is closed");
            return runOpen(ids, typeIds, attended, taskId, wide && lone != null ? lone : session);
        } finally {
            use.readLock().unlock();
        }
    }

    private Output runOpen(
            List<long[]> ids,
            List<long[]> typeIds,
            int[] attended,
            Long taskId,
            OrtSession session) {
        long t0 = System.nanoTime();
        int batch = ids.size();
        int seq = 0;
        int[] lengths = new int[batch];
        for (int i = 0; i < batch; i++) {
            lengths[i] = ids.get(i).length;
            seq = Math.max(seq, lengths[i]);
        }
        long[] shape = {batch, seq};
        if (!feedsMask) {
            for (int n : lengths)
                if (n != seq)
                    throw new IllegalStateException(
                            "model "
                                    + config.name()
                                    + " has no attention_mask: equal lengths only");
        }
        LongBuffer idBuf = LongBuffer.allocate(batch * seq);
        LongBuffer maskBuf = feedsMask ? LongBuffer.allocate(batch * seq) : null;
        LongBuffer typeBuf = feedsTypes ? LongBuffer.allocate(batch * seq) : null;
        for (int i = 0; i < batch; i++) {
            long[] row = ids.get(i);
            idBuf.put(i * seq, row);
            int under = attended == null ? row.length : Math.min(row.length, attended[i]);
            if (maskBuf != null) for (int t = 0; t < under; t++) maskBuf.put(i * seq + t, 1L);
            if (typeBuf != null && typeIds != null) typeBuf.put(i * seq, typeIds.get(i));
        }
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put(IDS, OnnxTensor.createTensor(env, idBuf, shape));
            if (maskBuf != null) feed.put(MASK, OnnxTensor.createTensor(env, maskBuf, shape));
            fill(feed);
            if (typeBuf != null) feed.put(TYPES, OnnxTensor.createTensor(env, typeBuf, shape));
            if (config.taskInput() != null) {
                if (taskId == null)
                    throw ModelException.invalid(
                            "model "
                                    + config.name()
                                    + " needs a task; valid tasks: "
                                    + String.join(", ", config.tasks().keySet()));
                feed.put(
                        config.taskInput(),
                        scalarTask
                                ? OnnxTensor.createTensor(env, (Object) taskId)
                                : OnnxTensor.createTensor(env, new long[] {taskId}));
            }
            Output out = runFeed(session, feed, batch, lengths, t0);
            for (int n : lengths) tokens.add(n);
            paddedTokens.add((long) batch * seq);
            return out;
        } catch (OrtException e) {
            throw new ModelException(
                    ModelException.Reason.RUNTIME,
                    "model " + config.name() + ": " + e.getMessage(),
                    e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * Runs the image tower on {@code batch} preprocessed images laid out flat, {@code [batch,
     * channels, height, width]}; one pooled vector per image.
     */
    public Output runImages(float[] pixels, long[] shape) {
        if (tower != Tower.VISION)
            throw new IllegalStateException("model " + config.name() + ": not an image tower");
        use.readLock().lock();
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            if (closed) throw ModelException.unavailable("model " + config.name() + " is closed");
            long t0 = System.nanoTime();
            feed.put(
                    config.vision().input(),
                    OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(pixels), shape));
            fill(feed);
            int batch = (int) shape[0];
            int[] lengths = new int[batch];
            Arrays.fill(lengths, 1);
            return runFeed(session, feed, batch, lengths, t0);
        } catch (OrtException e) {
            throw new ModelException(
                    ModelException.Reason.RUNTIME,
                    "model " + config.name() + ": " + e.getMessage(),
                    e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
            use.readLock().unlock();
        }
    }

    private void fill(Map<String, OnnxTensor> feed) throws OrtException {
        for (var f : fillers.entrySet()) {
            long[] shape = f.getValue();
            long n = 1;
            for (long d : shape) n *= d;
            NodeInfo info = session.getInputInfo().get(f.getKey());
            boolean floats =
                    info.getInfo() instanceof TensorInfo t
                            && t.type == ai.onnxruntime.OnnxJavaType.FLOAT;
            if (floats) {
                feed.put(
                        f.getKey(),
                        OnnxTensor.createTensor(
                                env, java.nio.FloatBuffer.allocate((int) n), shape));
            } else {
                LongBuffer values = LongBuffer.allocate((int) n);
                if (f.getKey().equals(MASK)) for (int i = 0; i < n; i++) values.put(i, 1L);
                feed.put(f.getKey(), OnnxTensor.createTensor(env, values, shape));
            }
        }
    }

    private Output runFeed(
            OrtSession session, Map<String, OnnxTensor> feed, int batch, int[] lengths, long t0)
            throws OrtException {
        long t1 = System.nanoTime();
        try (OrtSession.Result result = session.run(feed, Set.of(output))) {
            long t2 = System.nanoTime();
            OnnxTensor tensor = (OnnxTensor) result.get(0);
            long[] outShape = tensor.getInfo().getShape();
            float[] data = new float[Math.toIntExact(tensor.getInfo().getNumElements())];
            tensor.getFloatBuffer().get(data);
            long t3 = System.nanoTime();
            feedNanos.add(t1 - t0);
            runNanos.add(t2 - t1);
            readNanos.add(t3 - t2);
            runs.increment();
            if (outputRank == 3)
                return new Output(data, batch, (int) outShape[1], (int) outShape[2], lengths);
            return new Output(data, batch, 1, (int) outShape[1], lengths);
        }
    }

    /** Whether the output is token states ({@code [batch, seq, width]}) rather than one vector. */
    public boolean tokenStates() {
        return outputRank == 3;
    }

    /** Whether the task input is a scalar (jina-embeddings-v3's {@code task_id}). */
    boolean scalarTaskInput() {
        return scalarTask;
    }

    /** Whether the file takes {@code attention_mask} (without it, only equal lengths batch). */
    public boolean feedsMask() {
        return feedsMask;
    }

    /** The width of one output vector as the file declares it; -1 when dynamic. */
    public long outputWidth() {
        try {
            long[] shape = ((TensorInfo) session.getOutputInfo().get(output).getInfo()).getShape();
            return shape[shape.length - 1];
        } catch (OrtException e) {
            throw new ModelException(ModelException.Reason.RUNTIME, e.getMessage(), e);
        }
    }

    /** Where this session's time went so far. */
    public Model.Timings timings() {
        return new Model.Timings(
                feedNanos.sum(),
                runNanos.sum(),
                readNanos.sum(),
                runs.sum(),
                tokens.sum(),
                paddedTokens.sum());
    }

    /** Whether the file takes {@code token_type_ids}. */
    public boolean feedsTypeIds() {
        return feedsTypes;
    }

    /** The model this session runs. */
    public ModelConfig config() {
        return config;
    }

    private ModelException loadError(String what) {
        return new ModelException(
                ModelException.Reason.LOAD_FAILED, "model " + config.name() + ": " + what, null);
    }

    private static String describe(Map<String, NodeInfo> nodes) {
        List<String> out = new ArrayList<>();
        for (NodeInfo node : nodes.values()) {
            out.add(
                    node.getInfo() instanceof TensorInfo t
                            ? node.getName() + " " + t.type + Arrays.toString(t.getShape())
                            : node.getName());
        }
        return out.toString();
    }

    /** Waits for runs in progress, then frees the session; later runs are refused. */
    @Override
    public void close() {
        use.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            if (ownsSession) session.close();
            if (lone != null) lone.close();
        } catch (OrtException e) {
            throw new ModelException(ModelException.Reason.RUNTIME, e.getMessage(), e);
        } finally {
            use.writeLock().unlock();
        }
    }
}
