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
 * <p>A {@link #run} pads the batch on the right to its longest sequence and returns the raw output:
 * per-token states {@code [batch, seq, width]} for encoders (pool them with {@link Output#pooled}
 * or read them with {@link Output#tokens}), logits {@code [batch, labels]} for cross-encoders.
 */
public final class OnnxEncoder implements AutoCloseable {

    /**
     * Session settings. {@code threads} is ORT's intra-op pool (default: the machine's cores);
     * {@code spinning} lets idle ORT threads busy-wait for the next op; {@code optimization} is
     * ORT's graph optimisation level.
     *
     * <p>Spinning is on by default, as in ORT itself: a small encoder's ops last microseconds, and
     * waking sleeping threads for each one costs more than the op (on an idle 2-core machine it
     * takes the int8 bge model from 1.95× to 4.5× LangChain4j's throughput and one query from 3.6
     * ms to 2.3 ms; EmbeddingsSpeed in bench). On a host whose cores are shared with other busy
     * processes the spinning threads steal from them instead: turn it off there with {@code
     * -Dplinth.ort.spinning=false}.
     */
    public record Options(
            int threads, boolean spinning, OrtSession.SessionOptions.OptLevel optimization) {
        /**
         * The defaults: all cores, spinning unless {@code plinth.ort.spinning=false}, every graph
         * optimisation.
         */
        public static Options defaults() {
            return new Options(
                    Runtime.getRuntime().availableProcessors(),
                    Boolean.parseBoolean(System.getProperty("plinth.ort.spinning", "true")),
                    OrtSession.SessionOptions.OptLevel.ALL_OPT);
        }
    }

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
        public float[] pooled(int i, Pooling.Mode mode) {
            return Pooling.pool(mode, data, i * seq * width, width, lengths[i]);
        }

        /** Item {@code i}'s logits (cross-encoders: {@code seq == 1}). */
        public float[] logits(int i) {
            return Arrays.copyOfRange(data, i * seq * width, (i * seq + 1) * width);
        }
    }

    /**
     * Where this session's time went since it was loaded, in nanoseconds: building the padded input
     * tensors, ORT's run, copying the output out; and the real and padded token counts.
     */
    public record Timings(
            long feedNanos,
            long runNanos,
            long readNanos,
            long runs,
            long tokens,
            long paddedTokens) {}

    private final LongAdder feedNanos = new LongAdder();
    private final LongAdder runNanos = new LongAdder();
    private final LongAdder readNanos = new LongAdder();
    private final LongAdder runs = new LongAdder();
    private final LongAdder tokens = new LongAdder();
    private final LongAdder paddedTokens = new LongAdder();

    private static final String IDS = "input_ids";
    private static final String MASK = "attention_mask";
    private static final String TYPES = "token_type_ids";

    private final ModelConfig config;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final boolean feedsTypes;
    private final boolean scalarTask;
    private final String output;
    private final int outputRank;

    private OnnxEncoder(ModelConfig config, OrtEnvironment env, OrtSession session)
            throws OrtException {
        this.config = config;
        this.env = env;
        this.session = session;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        Set<String> fed = new LinkedHashSet<>(List.of(IDS, MASK));
        if (config.taskInput() != null) fed.add(config.taskInput());
        List<String> missing = new ArrayList<>();
        for (String name : fed) if (!inputs.containsKey(name)) missing.add(name);
        List<String> unknown = new ArrayList<>();
        for (String name : inputs.keySet())
            if (!fed.contains(name) && !name.equals(TYPES)) unknown.add(name);
        if (!missing.isEmpty() || !unknown.isEmpty()) {
            throw loadError(
                    "its inputs "
                            + describe(inputs)
                            + " do not match: "
                            + (missing.isEmpty() ? "" : "missing " + missing + " ")
                            + (unknown.isEmpty() ? "" : "cannot feed " + unknown));
        }
        this.feedsTypes = inputs.containsKey(TYPES);
        this.scalarTask =
                config.taskInput() != null
                        && ((TensorInfo) inputs.get(config.taskInput()).getInfo()).getShape().length
                                == 0;

        String wanted =
                config.output() != null ? config.output() : outputs.keySet().iterator().next();
        NodeInfo info = outputs.get(wanted);
        if (info == null)
            throw loadError(
                    "it has no output '" + wanted + "'; its outputs are " + describe(outputs));
        this.output = wanted;
        this.outputRank = ((TensorInfo) info.getInfo()).getShape().length;
        int expected = config.kind() == ModelConfig.Kind.ENCODER ? 3 : 2;
        if (outputRank != expected) {
            throw loadError(
                    "output '"
                            + wanted
                            + "' has rank "
                            + outputRank
                            + ", a "
                            + config.kind().name().toLowerCase()
                            + " needs rank "
                            + expected
                            + "; its outputs are "
                            + describe(outputs));
        }
        long[] shape = ((TensorInfo) info.getInfo()).getShape();
        long width = shape[shape.length - 1];
        if (config.kind() == ModelConfig.Kind.ENCODER
                && width > 0
                && width != config.dimensions()) {
            throw loadError(
                    "output '"
                            + wanted
                            + "' is "
                            + width
                            + " wide but plinth-model.json says dimensions "
                            + config.dimensions());
        }
    }

    /** Opens {@code model.onnx} (a file, memory-mapped by ORT, or a path inside a jar). */
    public static OnnxEncoder load(ModelConfig config, Path onnx, Options options) {
        OrtEnvironment env = Natives.onnxRuntime();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(Math.max(1, options.threads()));
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(options.optimization());
            so.addConfigEntry("session.intra_op.allow_spinning", options.spinning() ? "1" : "0");
            so.addConfigEntry("session.inter_op.allow_spinning", "0");
            OrtSession session =
                    onnx.getFileSystem() == FileSystems.getDefault()
                            ? env.createSession(onnx.toString(), so)
                            : env.createSession(Files.readAllBytes(onnx), so);
            try {
                return new OnnxEncoder(config, env, session);
            } catch (RuntimeException | OrtException e) {
                session.close();
                throw e;
            }
        } catch (OrtException | IOException e) {
            throw new ModelException(
                    ModelException.Reason.LOAD_FAILED,
                    "model " + config.name() + ": cannot load " + onnx + ": " + e.getMessage(),
                    e);
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
        long t0 = System.nanoTime();
        int batch = ids.size();
        int seq = 0;
        int[] lengths = new int[batch];
        for (int i = 0; i < batch; i++) {
            lengths[i] = ids.get(i).length;
            seq = Math.max(seq, lengths[i]);
        }
        long[] shape = {batch, seq};
        LongBuffer idBuf = LongBuffer.allocate(batch * seq);
        LongBuffer maskBuf = LongBuffer.allocate(batch * seq);
        LongBuffer typeBuf = feedsTypes ? LongBuffer.allocate(batch * seq) : null;
        for (int i = 0; i < batch; i++) {
            long[] row = ids.get(i);
            idBuf.put(i * seq, row);
            for (int t = 0; t < row.length; t++) maskBuf.put(i * seq + t, 1L);
            if (typeBuf != null && typeIds != null) typeBuf.put(i * seq, typeIds.get(i));
        }
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put(IDS, OnnxTensor.createTensor(env, idBuf, shape));
            feed.put(MASK, OnnxTensor.createTensor(env, maskBuf, shape));
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
                for (int n : lengths) tokens.add(n);
                paddedTokens.add((long) batch * seq);
                if (outputRank == 3)
                    return new Output(data, batch, (int) outShape[1], (int) outShape[2], lengths);
                return new Output(data, batch, 1, (int) outShape[1], lengths);
            }
        } catch (OrtException e) {
            throw new ModelException(
                    ModelException.Reason.RUNTIME,
                    "model " + config.name() + ": " + e.getMessage(),
                    e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    /** Where this session's time went so far. */
    public Timings timings() {
        return new Timings(
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

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new ModelException(ModelException.Reason.RUNTIME, e.getMessage(), e);
        }
    }
}
