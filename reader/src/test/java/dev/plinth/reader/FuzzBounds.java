package dev.plinth.reader;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The invariants every fuzz target asserts: the work ends within a deadline, allocates a bounded
 * number of bytes, and throws nothing but the exceptions its API documents.
 *
 * <p>Both bounds are for the plain code that every build replays the regression inputs on. While
 * fuzzing ({@code JAZZER_FUZZ} set) Jazzer's instrumentation multiplies time and allocation many
 * times over, so there the deadline is {@link #FUZZING_DEADLINE} and memory is bounded by the
 * campaign's heap cap instead ({@code bench/fuzz-campaign} runs each JVM with {@code -Xmx1g}, so an
 * input that needs more is an {@code OutOfMemoryError}, a finding).
 *
 * <p>The work runs on one reused worker thread, so a hang is a failure at the deadline (with the
 * worker's stack) rather than a build that never ends, and the allocation count is that thread's
 * alone ({@code com.sun.management.ThreadMXBean}). Allocation, not retained heap, is what is
 * measured: it is deterministic, and a stage that allocates far more than its input is the stage
 * that exhausts the heap when inputs grow. The worker has a production-sized stack, so deep nesting
 * that would overflow a request thread overflows here too. When a deadline passes the stuck worker
 * is abandoned (it is a daemon) and a fresh one takes over.
 */
public final class FuzzBounds {

    /**
     * Longest any single fuzz input may take. Inputs are small (kilobytes); this is far beyond what
     * a linear stage needs even on a loaded machine, and far below what a hang reaches.
     */
    public static final Duration DEADLINE = Duration.ofSeconds(10);

    /** The deadline under Jazzer's instrumentation, which slows the code several times over. */
    public static final Duration FUZZING_DEADLINE = Duration.ofSeconds(30);

    private static final boolean FUZZING =
            !System.getenv().getOrDefault("JAZZER_FUZZ", "").isEmpty();

    /** Work that may throw a checked exception. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws Exception;
    }

    /**
     * The worker's stack: the JVM's default for a thread on 64-bit Linux, which is what request
     * threads get in production, not the 2 MiB the test JVMs are started with ({@code -Xss2m}).
     */
    private static final long WORKER_STACK_BYTES = 1 << 20;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static ExecutorService worker = newWorker();

    private FuzzBounds() {}

    /**
     * Runs {@code work} on {@code input}; returns its result, or null when it threw one of {@code
     * allowed}. Fails when it throws anything else, passes {@link #DEADLINE}, or allocates more
     * than {@code maxAllocatedBytes}.
     */
    @SafeVarargs
    public static <T> T check(
            byte[] input,
            long maxAllocatedBytes,
            Work<T> work,
            Class<? extends Throwable>... allowed) {
        Future<Outcome<T>> future =
                worker().submit(() -> {
                    long before = THREADS.getCurrentThreadAllocatedBytes();
                    long start = System.nanoTime();
                    try {
                        T value = work.run();
                        return new Outcome<>(value, null, allocated(before), since(start));
                    } catch (Throwable t) {
                        return new Outcome<T>(null, t, allocated(before), since(start));
                    }
                });
        Outcome<T> outcome;
        try {
            outcome = future.get(deadline().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            AssertionError hang =
                    new AssertionError(
                            "still running after "
                                    + deadline().toSeconds()
                                    + " s on "
                                    + describe(input)
                                    + "; the worker's stack is this error's");
            hang.setStackTrace(stackOfWorker());
            abandonWorker();
            throw hang;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
        if (outcome.thrown != null && !isAllowed(outcome.thrown, allowed)) {
            sneakyThrow(outcome.thrown); // the original, so the fuzzer dedups by its stack
        }
        if (!FUZZING && outcome.allocated > maxAllocatedBytes) {
            throw new AssertionError(
                    "allocated "
                            + (outcome.allocated >> 20)
                            + " MiB on "
                            + describe(input)
                            + ", over the bound of "
                            + (maxAllocatedBytes >> 20)
                            + " MiB");
        }
        return outcome.thrown == null ? outcome.value : null;
    }

    /**
     * The deadline that applies now: {@link #DEADLINE}, or {@link #FUZZING_DEADLINE} while fuzzing.
     */
    public static Duration deadline() {
        return FUZZING ? FUZZING_DEADLINE : DEADLINE;
    }

    /** A short, printable description of an input for failure messages. */
    public static String describe(byte[] input) {
        byte[] head = Arrays.copyOf(input, Math.min(input.length, 80));
        StringBuilder s = new StringBuilder();
        for (byte b : head) {
            int c = b & 0xFF;
            s.append(
                    c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return "a " + input.length + "-byte input starting \"" + s + "\"";
    }

    private record Outcome<T>(T value, Throwable thrown, long allocated, long nanos) {}

    private static boolean isAllowed(Throwable t, Class<? extends Throwable>[] allowed) {
        for (Class<? extends Throwable> type : allowed) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static long allocated(long before) {
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    private static long since(long start) {
        return System.nanoTime() - start;
    }

    private static volatile Thread workerThread;

    private static synchronized ExecutorService worker() {
        return worker;
    }

    private static synchronized void abandonWorker() {
        worker.shutdownNow();
        worker = newWorker();
    }

    private static StackTraceElement[] stackOfWorker() {
        Thread t = workerThread;
        return t == null ? new StackTraceElement[0] : t.getStackTrace();
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, "fuzz-worker", WORKER_STACK_BYTES);
            t.setDaemon(true);
            workerThread = t;
            return t;
        });
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
        throw (E) t;
    }
}
