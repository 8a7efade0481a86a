package dev.plinth.models;

import ai.onnxruntime.OrtSession;

/**
 * How a model's ONNX Runtime sessions run. {@code threads} is ORT's intra-op pool (default: the
 * machine's cores; a model's {@link Batcher} divides them among its workers, so by default each run
 * has one, and a second session with every core serves runs that have the model to themselves, see
 * {@link OnnxEncoder#run(List, List, int[], Long, boolean)}); {@code spinning} lets idle pool
 * threads busy-wait for the next op; {@code optimization} is ORT's graph optimisation level.
 *
 * <p>Spinning is on by default, as in ORT, but it only happens in runs with more than one thread,
 * which the batcher starts only for a run that finds nothing else queued or running for the model,
 * and only where {@link Spread} measured such runs faster than single-threaded ones at that size:
 * on free cores, where waking a sleeping thread for each op would cost more than spinning saves.
 * Under load every run is single-threaded and nothing spins; beside a busy neighbour spread runs
 * measure slower and stop. {@code -Dplinth.ort.spinning=false} turns it off anyway.
 */
public record SessionOptions(
        int threads, boolean spinning, OrtSession.SessionOptions.OptLevel optimization) {
    /**
     * The defaults: all cores, spinning unless {@code plinth.ort.spinning=false}, every graph
     * optimisation.
     */
    public static SessionOptions defaults() {
        return new SessionOptions(
                Runtime.getRuntime().availableProcessors(),
                Boolean.parseBoolean(System.getProperty("plinth.ort.spinning", "true")),
                OrtSession.SessionOptions.OptLevel.ALL_OPT);
    }

    /** These options with another intra-op thread count. */
    public SessionOptions withThreads(int n) {
        return new SessionOptions(n, spinning, optimization);
    }
}
