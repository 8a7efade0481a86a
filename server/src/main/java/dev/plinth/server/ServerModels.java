package dev.plinth.server;

import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's one {@link ModelRegistry} (bundled models plus {@code $PLINTH_MODELS} or {@code
 * ~/.plinth/models}), shared by every model API so each model has one session and one batcher
 * however many endpoints use it. Created on first use, so a reader-only process never loads ONNX
 * Runtime.
 */
final class ServerModels {

    private static final Logger LOG = LoggerFactory.getLogger(ServerModels.class);
    private static volatile ModelRegistry registry;
    private static volatile Embedder embedder;
    private static Thread preload;
    private static ModelRegistry.Options options = ModelRegistry.Options.defaults();

    private ServerModels() {}

    /**
     * Keeps DJL's platform chatter (native-library discovery at INFO, a CUDA probe warning on
     * GPU-less hosts) out of plinth's stderr; must run before DJL creates its loggers.
     */
    static void quietDjlLogs() {
        if (System.getProperty("org.slf4j.simpleLogger.log.ai.djl") == null) {
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "error");
        }
    }

    /**
     * Loads the default embedding model now, off the request path, so the first request does not
     * pay for it and a load failure shows in the log at start.
     */
    static synchronized void preloadDefault() {
        ModelRegistry models = registry();
        if (preload != null) {
            return;
        }
        preload =
                Thread.ofPlatform()
                        .name("plinth-preload")
                        .daemon(true)
                        .start(() -> {
                            try {
                                models.preload(
                                        List.of(models.defaultModel(ModelRegistry.EMBEDDINGS)));
                            } catch (RuntimeException e) {
                                LOG.warn("embeddings model not loaded: {}", e.getMessage());
                            }
                        });
    }

    /** Closes every loaded model, after a load in progress (the registry waits for it). */
    static void close() {
        ModelRegistry r = registry;
        if (r != null) {
            r.close();
        }
    }

    /**
     * Sets the registry's options (aliases, default models) before its first use; refused after,
     * since the registry is already serving with the old ones.
     */
    static synchronized void configure(ModelRegistry.Options configured) {
        if (registry != null && !configured.equals(options)) {
            throw new IllegalStateException("the model registry is already in use");
        }
        options = configured;
    }

    /** The shared registry. */
    static ModelRegistry registry() {
        ModelRegistry r = registry;
        if (r != null) return r;
        synchronized (ServerModels.class) {
            if (registry == null) {
                dev.plinth.models.Natives.silenceDjl();
                quietDjlLogs();
                if (!"1".equals(System.getenv("ORT_DISABLE_TELEMETRY"))) {
                    LOG.warn(
                            "ORT_DISABLE_TELEMETRY=1 is not set: model endpoints will refuse to load ONNX Runtime "
                                    + "(it would upload telemetry); start plinth through ./plinth or export ORT_DISABLE_TELEMETRY=1");
                }
                registry = ModelRegistry.create(options);
            }
            return registry;
        }
    }

    /** The shared embedder over {@link #registry()}. */
    static Embedder embedder() {
        Embedder e = embedder;
        if (e != null) return e;
        synchronized (ServerModels.class) {
            if (embedder == null) embedder = new Embedder(registry());
            return embedder;
        }
    }
}
