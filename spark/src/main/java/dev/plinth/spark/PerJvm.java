package dev.plinth.spark;

import ai.onnxruntime.OrtSession;
import dev.plinth.models.BatchOptions;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.SessionOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;

/**
 * What an executor JVM holds once for every task it runs: one reader per network policy and one
 * model registry (hence one ONNX Runtime session per model) per models folder. Each is made on
 * first use and closed when the JVM shuts down, so tasks never pay for loading and never leak
 * sessions.
 *
 * <p>ONNX Runtime threads. The registry's sessions are shared by every task slot of the executor,
 * and a model's {@code Batcher} runs one batch at a time, so a run may use the cores of all the
 * slots: the intra-op pool is sized to the executor's cores ({@code spark.executor.cores}, or N of
 * {@code local[N]}), which is the task's cores ({@code spark.task.cpus}) times the slots. Threads
 * do not spin while idle: the same cores read pages between batches.
 */
final class PerJvm {

    private static final Map<Object, AutoCloseable> OPEN = new LinkedHashMap<>();
    private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(?:,\\d+)?]");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(PerJvm::closeAll, "plinth-close"));
    }

    private record ReaderKey(boolean allowPrivateNetwork, Duration timeout) {}

    private record ModelsKey(String folder) {}

    private PerJvm() {}

    /** This JVM's reader for the network policy. */
    static synchronized PageReading reading(boolean allowPrivateNetwork, Duration timeout) {
        return (PageReading)
                OPEN.computeIfAbsent(
                        new ReaderKey(allowPrivateNetwork, timeout),
                        k -> new PageReading(allowPrivateNetwork, timeout));
    }

    /**
     * This JVM's embedder over the bundled models and {@code folder} (null: {@code $PLINTH_MODELS}
     * or {@code ~/.plinth/models}). Model files come with the job (in the jar, or a folder shipped
     * with {@code --archives}); nothing is downloaded.
     */
    static synchronized Embedder embedder(String folder) {
        Registry registry =
                (Registry)
                        OPEN.computeIfAbsent(
                                new ModelsKey(folder), k -> new Registry(openRegistry(folder)));
        return registry.embedder;
    }

    private static ModelRegistry openRegistry(String folder) {
        Path dir = folder == null ? ModelRegistry.defaultModelsDir() : Path.of(folder);
        SessionOptions session =
                new SessionOptions(
                        executorCores(), false, OrtSession.SessionOptions.OptLevel.ALL_OPT);
        return ModelRegistry.create(
                ModelRegistry.Options.defaults()
                        .withFolders(List.of(dir))
                        .withSession(session)
                        .withBatching(batching()));
    }

    /**
     * A job's batching: the server's queue bounds (a 429 rather than a long wait) would fail rows
     * whenever the executor's tasks together queue more than ten seconds of work, which a batch job
     * does by design. Its queue is bounded instead by the job itself: each task holds one request
     * of {@link Vectors#BATCH} rows at a time.
     */
    static BatchOptions batching() {
        return BatchOptions.defaults()
                .withQueue(Long.MAX_VALUE, Duration.ofDays(1))
                .withWorkers(executorCores());
    }

    /** The cores this executor runs tasks on. */
    static int executorCores() {
        SparkEnv env = SparkEnv.get();
        int machine = Runtime.getRuntime().availableProcessors();
        if (env == null) {
            return machine;
        }
        SparkConf conf = env.conf();
        if (conf.contains("spark.executor.cores")) {
            return Math.max(1, conf.getInt("spark.executor.cores", 1));
        }
        Matcher local = LOCAL.matcher(conf.get("spark.master", ""));
        if (local.matches()) {
            return local.group(1).equals("*")
                    ? machine
                    : Math.max(1, Integer.parseInt(local.group(1)));
        }
        return machine; // standalone executors take every core of their worker by default
    }

    private static synchronized void closeAll() {
        List<AutoCloseable> all = new ArrayList<>(OPEN.values());
        OPEN.clear();
        for (AutoCloseable c : all.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("plinth: closing " + c + " failed: " + e);
            }
        }
    }

    /** A registry and the embedder over it, closed together. */
    private static final class Registry implements AutoCloseable {
        final ModelRegistry models;
        final Embedder embedder;

        Registry(ModelRegistry models) {
            this.models = Objects.requireNonNull(models);
            this.embedder = new Embedder(models);
        }

        @Override
        public void close() {
            models.close();
        }
    }
}
