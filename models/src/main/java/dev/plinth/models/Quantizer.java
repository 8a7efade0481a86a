package dev.plinth.models;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Derives plinth's int8 encoder from an fp32 BERT-family ONNX export (bge, MiniLM, e5): at build
 * time for the bundled model, at {@code plinth models add} for the others. Every output row depends
 * on its own sequence only, so the batcher may put any texts in one run.
 *
 * <p>Why not the published int8 files: they are dynamically quantized, one activation scale per
 * whole input tensor, so a text's vector moves with whatever else (and whatever padding) shares its
 * run (1−cos up to 3·10⁻² against fp32 for all-MiniLM-L6-v2). Here the scale is per token row:
 *
 * <ol>
 *   <li><b>Weights</b>: every MatMul by a constant {@code [K, N]} matrix gets int8 weights with one
 *       symmetric scale per output column.
 *   <li><b>Activations</b>: its input is quantized per row, {@code q = round(127·x/max|x_row|) +
 *       128} (Abs, ReduceMax over the last axis, Div, QuantizeLinear), and ORT's {@code
 *       MatMulIntegerToFloat} (u8×s8, VNNI where the CPU has it) is scaled back by the column
 *       scales and then by each row's {@code max|x_row|/127} (Mul). Rows never see each other, so a
 *       padded batch gives each text what it gets alone.
 *   <li><b>LayerNorm</b>: the export spells LayerNorm out in nine ops. Every one whose input is a
 *       residual sum becomes one {@code SkipLayerNormalization}, folding the residual Add and the
 *       dense layer's bias Add into it: ORT 1.29's own {@code LayerNormalization} kernel costs
 *       about 4× as much per element, and its fusion does not fire on these exports (their reshapes
 *       hide the hidden size from shape inference).
 *   <li><b>Word embeddings</b>: the {@code [vocab, hidden]} table is stored int8 with one scale per
 *       row (gathered and rescaled per token), which keeps the file near the published int8 size.
 * </ol>
 *
 * GELU stays exact (ORT fuses the bias Add and erf-GELU into {@code BiasGelu}); attention runs in
 * fp32 as exported. {@link #check} compares the result with the fp32 model on seeded random
 * sequences and refuses a derivation whose pooled vectors drift past {@link #MIN_COSINE}.
 */
public final class Quantizer {

    /**
     * The lowest cosine a derived model's mean-pooled vector may have against fp32's, on random
     * token sequences (harsher than text: all-MiniLM-L6-v2 scores 0.991 there, and a mean 1−cos of
     * 2.6e-3 on real sentences and paragraphs).
     */
    static final double MIN_COSINE = 0.98;

    /** The ms domain of ORT's contrib ops. */
    private static final String MS = "com.microsoft";

    private Quantizer() {}

    /** What the derivation did, for the build log. */
    public record Report(int layerNorms, int matMuls, int embeddings, double worstCosine) {}

    /**
     * The build step: {@code Quantizer <fp32.onnx> <out.onnx>} (skipped when the output is newer
     * than the input).
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Quantizer FP32.onnx OUT.onnx");
            System.exit(2);
        }
        Path in = Path.of(args[0]), out = Path.of(args[1]);
        if (Files.exists(out)
                && Files.getLastModifiedTime(out).compareTo(Files.getLastModifiedTime(in)) > 0) {
            return;
        }
        Report r = derive(in, out);
        System.out.printf(
                "derived %s: %d LayerNorms fused, %d MatMuls and %d embedding tables int8,"
                        + " worst cosine to fp32 %.5f%n",
                out, r.layerNorms(), r.matMuls(), r.embeddings(), r.worstCosine());
    }

    /** Writes the int8 model derived from {@code fp32} to {@code out}, checked against it. */
    public static Report derive(Path fp32, Path out) throws IOException {
        byte[] source = Files.readAllBytes(fp32);
        OnnxFile.Model model = OnnxFile.read(source);
        Rewrite r = new Rewrite(model.graph);
        int layerNorms = r.fuseLayerNorms();
        int embeddings = r.quantizeEmbeddings();
        int matMuls = r.quantizeMatMuls();
        if (matMuls == 0)
            throw new IllegalArgumentException(fp32 + " has no MatMul by a constant matrix");
        model.requireOpset(MS, 1);
        byte[] derived = OnnxFile.write(model);
        double worst = check(source, derived);
        if (worst < MIN_COSINE)
            throw new IllegalStateException(
                    "the int8 model derived from "
                            + fp32
                            + " drifts from fp32: worst cosine "
                            + worst
                            + " < "
                            + MIN_COSINE);
        Path tmp = out.resolveSibling(out.getFileName() + ".part");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(tmp, derived);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
        return new Report(layerNorms, matMuls, embeddings, worst);
    }

    // ---- the rewrite ----

    private static final class Rewrite {
        final OnnxFile.Graph graph;
        final Map<String, OnnxFile.Tensor> initializers = new HashMap<>();
        final Map<String, OnnxFile.Tensor> constants = new HashMap<>();
        final Map<String, OnnxFile.Node> producer = new HashMap<>();
        final Map<String, List<OnnxFile.Node>> consumers = new HashMap<>();
        final Set<String> names = new HashSet<>();

        Rewrite(OnnxFile.Graph graph) {
            this.graph = graph;
            index();
        }

        private void index() {
            initializers.clear();
            constants.clear();
            producer.clear();
            consumers.clear();
            for (OnnxFile.Tensor t : graph.initializers) {
                initializers.put(t.name, t);
                names.add(t.name);
            }
            for (OnnxFile.Node n : graph.nodes) {
                for (String o : n.outputs) {
                    producer.put(o, n);
                    names.add(o);
                }
                for (String i : n.inputs)
                    consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
                OnnxFile.Attribute value = n.attribute("value");
                if (n.opType.equals("Constant") && value != null && value.t() != null)
                    constants.put(n.outputs.getFirst(), value.t());
            }
        }

        boolean isConstant(String name) {
            return initializers.containsKey(name) || constants.containsKey(name);
        }

        OnnxFile.Tensor constant(String name) {
            OnnxFile.Tensor t = initializers.get(name);
            return t != null ? t : constants.get(name);
        }

        /** The single consumer of {@code name} with op {@code op}, or null. */
        OnnxFile.Node only(String name, String op) {
            List<OnnxFile.Node> c = consumers.getOrDefault(name, List.of());
            return c.size() == 1 && c.getFirst().opType.equals(op) ? c.getFirst() : null;
        }

        String other(OnnxFile.Node n, String name) {
            return n.input(0).equals(name) ? n.input(1) : n.input(0);
        }

        String fresh(String base) {
            String name = base;
            for (int k = 1; names.contains(name); k++) name = base + "_" + k;
            names.add(name);
            return name;
        }

        String addInitializer(OnnxFile.Tensor t) {
            t.name = fresh(t.name);
            graph.initializers.add(t);
            initializers.put(t.name, t);
            return t.name;
        }

        /**
         * ReduceMean → Sub → Pow → ReduceMean → Add(ε) → Sqrt → Div → Mul(γ) → Add(β) over the last
         * axis, whose input is Add(a, b) of two computed tensors, becomes SkipLayerNormalization(a,
         * b, γ, β[, bias]); when {@code a} is Add(MatMul, bias) used only here, that bias moves
         * into the fused op.
         */
        int fuseLayerNorms() {
            Map<OnnxFile.Node, OnnxFile.Node> replace = new IdentityHashMap<>();
            Set<OnnxFile.Node> remove =
                    java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (OnnxFile.Node mean : graph.nodes) {
                if (!mean.opType.equals("ReduceMean") || !lastAxis(mean)) continue;
                String x = mean.input(0);
                OnnxFile.Node sub = null;
                for (OnnxFile.Node c : consumers.getOrDefault(mean.outputs.getFirst(), List.of()))
                    if (c.opType.equals("Sub") && c.input(0).equals(x)) sub = c;
                if (sub == null) continue;
                OnnxFile.Node pow = null, div = null;
                for (OnnxFile.Node c : consumers.getOrDefault(sub.outputs.getFirst(), List.of())) {
                    if (c.opType.equals("Pow") && isTwo(c.input(1))) pow = c;
                    if (c.opType.equals("Div") && c.input(0).equals(sub.outputs.getFirst()))
                        div = c;
                }
                if (pow == null || div == null) continue;
                OnnxFile.Node var = only(pow.outputs.getFirst(), "ReduceMean");
                if (var == null || !lastAxis(var)) continue;
                OnnxFile.Node addEps = only(var.outputs.getFirst(), "Add");
                if (addEps == null) continue;
                String eps = other(addEps, var.outputs.getFirst());
                OnnxFile.Node sqrt = only(addEps.outputs.getFirst(), "Sqrt");
                if (!isConstant(eps) || constant(eps).size() != 1 || sqrt == null) continue;
                if (!div.input(1).equals(sqrt.outputs.getFirst())) continue;
                OnnxFile.Node mul = only(div.outputs.getFirst(), "Mul");
                if (mul == null) continue;
                String gamma = other(mul, div.outputs.getFirst());
                OnnxFile.Node addBeta = only(mul.outputs.getFirst(), "Add");
                if (addBeta == null || !initializers.containsKey(gamma)) continue;
                String beta = other(addBeta, mul.outputs.getFirst());
                if (!initializers.containsKey(beta)) continue;
                OnnxFile.Node residual = producer.get(x);
                if (residual == null
                        || !residual.opType.equals("Add")
                        || isConstant(residual.input(0))
                        || isConstant(residual.input(1))
                        || consumers.get(x).size() != 2) continue;
                String a = residual.input(0), b = residual.input(1), bias = null;
                for (int side = 0; side < 2 && bias == null; side++) {
                    String s = residual.input(side);
                    OnnxFile.Node dense = producer.get(s);
                    if (dense == null
                            || !dense.opType.equals("Add")
                            || consumers.get(s).size() != 1) continue;
                    for (int k = 0; k < 2; k++) {
                        String c = dense.input(k), m = dense.input(1 - k);
                        OnnxFile.Node mm = producer.get(m);
                        if (initializers.containsKey(c)
                                && initializers.get(c).dims.length == 1
                                && mm != null
                                && mm.opType.equals("MatMul")) {
                            bias = c;
                            a = m;
                            b = residual.input(1 - side);
                            remove.add(dense);
                            break;
                        }
                    }
                }
                float epsilon = constant(eps).floats()[0];
                List<String> inputs = new ArrayList<>(List.of(a, b, gamma, beta));
                if (bias != null) inputs.add(bias);
                OnnxFile.Node fused =
                        new OnnxFile.Node(
                                        "SkipLayerNormalization",
                                        MS,
                                        inputs,
                                        List.of(addBeta.outputs.getFirst()))
                                .with(OnnxFile.Attribute.ofFloat("epsilon", epsilon));
                fused.name = fresh(addBeta.outputs.getFirst() + "_skipln");
                replace.put(addBeta, fused);
                remove.addAll(List.of(residual, mean, sub, pow, var, addEps, sqrt, div, mul));
            }
            List<OnnxFile.Node> out = new ArrayList<>(graph.nodes.size());
            for (OnnxFile.Node n : graph.nodes) {
                if (replace.containsKey(n)) out.add(replace.get(n));
                else if (!remove.contains(n)) out.add(n);
            }
            graph.nodes.clear();
            graph.nodes.addAll(out);
            dropUnused();
            index();
            return replace.size();
        }

        private boolean lastAxis(OnnxFile.Node reduce) {
            OnnxFile.Attribute axes = reduce.attribute("axes");
            return axes != null && axes.ints().length == 1 && axes.ints()[0] == -1;
        }

        private boolean isTwo(String name) {
            OnnxFile.Tensor t = isConstant(name) ? constant(name) : null;
            return t != null
                    && t.dataType == OnnxFile.FLOAT
                    && t.size() == 1
                    && t.floats()[0] == 2f;
        }

        /**
         * Gather from a float {@code [vocab ≥ 1000, hidden]} table → Gather from its int8 copy,
         * Cast, times the gathered row scale.
         */
        int quantizeEmbeddings() {
            int count = 0;
            List<OnnxFile.Node> out = new ArrayList<>();
            for (OnnxFile.Node n : graph.nodes) {
                OnnxFile.Tensor table = initializers.get(n.input(0));
                OnnxFile.Attribute axis = n.attribute("axis");
                if (!n.opType.equals("Gather")
                        || table == null
                        || table.dataType != OnnxFile.FLOAT
                        || table.dims.length != 2
                        || table.dims[0] < 1000
                        || (axis != null && axis.i() != 0)) {
                    out.add(n);
                    continue;
                }
                int rows = (int) table.dims[0], width = (int) table.dims[1];
                float[] w = table.floats();
                byte[] q = new byte[w.length];
                float[] scales = new float[rows];
                for (int r = 0; r < rows; r++) {
                    float max = 0;
                    for (int c = 0; c < width; c++) max = Math.max(max, Math.abs(w[r * width + c]));
                    float s = max == 0 ? 1 : max / 127;
                    scales[r] = s;
                    for (int c = 0; c < width; c++)
                        q[r * width + c] = (byte) Math.round(w[r * width + c] / s);
                }
                String base = n.outputs.getFirst();
                String tq =
                        addInitializer(
                                OnnxFile.Tensor.ofBytes(
                                        table.name + "_int8", table.dims, OnnxFile.INT8, q));
                String ts =
                        addInitializer(
                                OnnxFile.Tensor.ofFloats(
                                        table.name + "_scale", new long[] {rows, 1}, scales));
                String rowsQ = fresh(base + "_int8"),
                        rowsF = fresh(base + "_float"),
                        rowScale = fresh(base + "_scale");
                out.add(new OnnxFile.Node("Gather", "", List.of(tq, n.input(1)), List.of(rowsQ)));
                out.add(
                        new OnnxFile.Node("Cast", "", List.of(rowsQ), List.of(rowsF))
                                .with(OnnxFile.Attribute.ofInt("to", OnnxFile.FLOAT)));
                out.add(
                        new OnnxFile.Node(
                                "Gather", "", List.of(ts, n.input(1)), List.of(rowScale)));
                out.add(new OnnxFile.Node("Mul", "", List.of(rowsF, rowScale), List.of(base)));
                count++;
            }
            graph.nodes.clear();
            graph.nodes.addAll(out);
            dropUnused();
            index();
            return count;
        }

        /** MatMul(x, W const [K, N]) → per-row int8 x, per-column int8 W (see the class notes). */
        int quantizeMatMuls() {
            String one =
                    addInitializer(
                            OnnxFile.Tensor.ofFloats("q8_one", new long[0], new float[] {1}));
            String inv127 =
                    addInitializer(
                            OnnxFile.Tensor.ofFloats(
                                    "q8_inv127", new long[0], new float[] {1f / 127}));
            String zero =
                    addInitializer(
                            OnnxFile.Tensor.ofBytes(
                                    "q8_zero128",
                                    new long[0],
                                    OnnxFile.UINT8,
                                    new byte[] {(byte) 128}));
            Map<String, String[]> quantized = new HashMap<>(); // x → {q, rowMax}
            List<OnnxFile.Node> out = new ArrayList<>();
            int count = 0;
            for (OnnxFile.Node n : graph.nodes) {
                OnnxFile.Tensor w = initializers.get(n.input(1));
                if (!n.opType.equals("MatMul")
                        || w == null
                        || w.dataType != OnnxFile.FLOAT
                        || w.dims.length != 2) {
                    out.add(n);
                    continue;
                }
                String x = n.input(0);
                String[] qx = quantized.get(x);
                if (qx == null) {
                    String abs = fresh(x + "_abs"),
                            max = fresh(x + "_rowmax"),
                            unit = fresh(x + "_unit"),
                            q = fresh(x + "_q8");
                    out.add(new OnnxFile.Node("Abs", "", List.of(x), List.of(abs)));
                    out.add(
                            new OnnxFile.Node("ReduceMax", "", List.of(abs), List.of(max))
                                    .with(OnnxFile.Attribute.ofInts("axes", -1))
                                    .with(OnnxFile.Attribute.ofInt("keepdims", 1)));
                    // A row of zeros divides to NaN, quantizes to some byte, and is multiplied
                    // back by its max of 0: it still comes out 0.
                    out.add(new OnnxFile.Node("Div", "", List.of(x, max), List.of(unit)));
                    out.add(
                            new OnnxFile.Node(
                                    "QuantizeLinear", "", List.of(unit, inv127, zero), List.of(q)));
                    qx = new String[] {q, max};
                    quantized.put(x, qx);
                }
                int k = (int) w.dims[0], cols = (int) w.dims[1];
                float[] v = w.floats();
                float[] colScale = new float[cols];
                for (int r = 0; r < k; r++)
                    for (int c = 0; c < cols; c++)
                        colScale[c] = Math.max(colScale[c], Math.abs(v[r * cols + c]));
                for (int c = 0; c < cols; c++)
                    colScale[c] = colScale[c] == 0 ? 1 : colScale[c] / 127;
                byte[] q = new byte[v.length];
                for (int r = 0; r < k; r++)
                    for (int c = 0; c < cols; c++)
                        q[r * cols + c] = (byte) Math.round(v[r * cols + c] / colScale[c]);
                // Scaled back: acc · colScale · rowMax/127; the 1/127 rides with colScale.
                float[] back = new float[cols];
                for (int c = 0; c < cols; c++) back[c] = colScale[c] / 127;
                String wq =
                        addInitializer(
                                OnnxFile.Tensor.ofBytes(
                                        w.name + "_int8", w.dims, OnnxFile.INT8, q));
                String ws =
                        addInitializer(
                                OnnxFile.Tensor.ofFloats(
                                        w.name + "_scale", new long[] {cols}, back));
                String y = fresh(n.outputs.getFirst() + "_int8");
                out.add(
                        new OnnxFile.Node(
                                "MatMulIntegerToFloat",
                                MS,
                                List.of(qx[0], wq, one, ws, zero),
                                List.of(y)));
                out.add(
                        new OnnxFile.Node(
                                "Mul", "", List.of(y, qx[1]), List.of(n.outputs.getFirst())));
                count++;
            }
            graph.nodes.clear();
            graph.nodes.addAll(out);
            dropUnused();
            index();
            return count;
        }

        private void dropUnused() {
            Set<String> used = new HashSet<>();
            for (OnnxFile.Node n : graph.nodes) used.addAll(n.inputs);
            graph.initializers.removeIf(t -> !used.contains(t.name));
            // Constant nodes whose output nobody reads (a fused LayerNorm's ε and exponent).
            boolean changed = true;
            while (changed) {
                changed = false;
                for (var it = graph.nodes.iterator(); it.hasNext(); ) {
                    OnnxFile.Node n = it.next();
                    if (n.opType.equals("Constant") && !used.contains(n.outputs.getFirst())) {
                        it.remove();
                        changed = true;
                    }
                }
            }
        }
    }

    // ---- the check ----

    /**
     * The worst cosine, over seeded random sequences of several lengths (batched together, padded),
     * between the mean-pooled outputs of the two models.
     */
    static double check(byte[] fp32, byte[] derived) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            try (OrtSession a = env.createSession(fp32, so);
                    OrtSession b = env.createSession(derived, so)) {
                int[] lengths = {5, 17, 64, 130};
                int batch = lengths.length, seq = 130;
                long[] ids = new long[batch * seq], mask = new long[batch * seq];
                Random random = new Random(19);
                for (int i = 0; i < batch; i++) {
                    ids[i * seq] = 101;
                    for (int t = 1; t < lengths[i]; t++)
                        ids[i * seq + t] = 1000 + random.nextInt(20000);
                    ids[i * seq + lengths[i] - 1] = 102;
                    for (int t = 0; t < lengths[i]; t++) mask[i * seq + t] = 1;
                }
                float[][] pa = pooled(env, a, ids, mask, batch, seq);
                float[][] pb = pooled(env, b, ids, mask, batch, seq);
                double worst = 1;
                for (int i = 0; i < batch; i++) {
                    double dot = 0, na = 0, nb = 0;
                    for (int d = 0; d < pa[i].length; d++) {
                        dot += pa[i][d] * pb[i][d];
                        na += pa[i][d] * pa[i][d];
                        nb += pb[i][d] * pb[i][d];
                    }
                    worst = Math.min(worst, dot / Math.sqrt(na * nb));
                }
                return worst;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cannot run the derived model: " + e.getMessage(), e);
        }
    }

    private static float[][] pooled(
            OrtEnvironment env, OrtSession s, long[] ids, long[] mask, int batch, int seq)
            throws OrtException {
        long[] shape = {batch, seq};
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            if (s.getInputNames().contains("attention_mask"))
                feed.put(
                        "attention_mask",
                        OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (s.getInputNames().contains("token_type_ids"))
                feed.put(
                        "token_type_ids",
                        OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape));
            try (OrtSession.Result r = s.run(feed)) {
                float[][][] states = (float[][][]) r.get(0).getValue();
                float[][] out = new float[batch][];
                for (int i = 0; i < batch; i++) {
                    int width = states[i][0].length, n = 0;
                    float[] sum = new float[width];
                    for (int t = 0; t < seq; t++) {
                        if (mask[i * seq + t] == 0) continue;
                        n++;
                        for (int d = 0; d < width; d++) sum[d] += states[i][t][d];
                    }
                    for (int d = 0; d < width; d++) sum[d] /= n;
                    out[i] = sum;
                }
                return out;
            }
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }
}
