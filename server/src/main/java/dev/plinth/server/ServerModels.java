package dev.plinth.server;

import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's one {@link ModelRegistry} (bundled models plus {@code $PLINTH_MODELS} or
 * {@code ~/.plinth/models}), shared by every model API so each model has one session and one
 * batcher however many endpoints use it. Created on first use, so a reader-only process never
 * loads ONNX Runtime.
 */
final class ServerModels {

    private static final Logger LOG = LoggerFactory.getLogger(ServerModels.class);
    private static volatile ModelRegistry registry;
    private static volatile Embedder embedder;

    private ServerModels() {
    }

    /** The shared registry. */
    static ModelRegistry registry() {
        ModelRegistry r = registry;
        if (r != null) return r;
        synchronized (ServerModels.class) {
            if (registry == null) {
                dev.plinth.models.Natives.silenceDjl();
                if (!"1".equals(System.getenv("ORT_DISABLE_TELEMETRY"))) {
                    LOG.warn("ORT_DISABLE_TELEMETRY=1 is not set: model endpoints will refuse to load ONNX Runtime "
                            + "(it would upload telemetry); start plinth through ./plinth or export ORT_DISABLE_TELEMETRY=1");
                }
                registry = ModelRegistry.create();
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
