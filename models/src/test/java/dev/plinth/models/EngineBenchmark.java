package dev.plinth.models;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The embedding engine's stages, each timed alone on the bundled bge-small-en int8 model: the
 * tokenizer, one ORT run of a padded batch, the batcher's whole round (queue, cut, run, read) and
 * mean pooling. The end-to-end comparison with LangChain4j is {@code bench}'s EmbeddingsSpeed.
 *
 * <pre>
 * mvn -B -pl models -am test-compile
 * mvn -B -pl models exec:exec@jmh [-Djmh.args="EngineBenchmark.tokenize -f 1"]
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class EngineBenchmark {

    static final String SENTENCE =
            "Batching pays only when sequences of like length share a run, so the queue sorts by"
                    + " length before it cuts.";

    private ModelRegistry registry;
    private Model model;
    private List<long[]> batch;
    private float[] states;

    @Setup(Level.Trial)
    public void load() {
        registry = ModelRegistry.create();
        model = registry.get("bge-small-en-v1.5-int8");
        batch = new ArrayList<>();
        for (int i = 0; i < 16; i++) batch.add(model.tokenizer().encode(SENTENCE, 512).ids());
        states = new float[128 * 384];
        for (int i = 0; i < states.length; i++) states[i] = (float) Math.sin(i);
    }

    @TearDown(Level.Trial)
    public void close() {
        registry.close();
    }

    @Benchmark
    public Tokenizer.Encoded tokenize() {
        return model.tokenizer().encode(SENTENCE, 512);
    }

    @Benchmark
    public OnnxEncoder.Output runBatchOf16() {
        return model.encoder().run(batch, null);
    }

    @Benchmark
    public List<float[]> batcherRoundOf16() {
        return model.batcher().run(batch, null, (o, i) -> o.pooled(i, PoolingMode.CLS));
    }

    @Benchmark
    public float[] meanPool128Tokens() {
        return Pooling.pool(PoolingMode.MEAN, states, 0, 384, 128);
    }
}
