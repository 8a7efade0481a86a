package dev.plinth.reader;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where CPU-heavy reader work runs — parsing, selectors, extraction, Markdown, PDF layout — under a
 * deadline, never on the caller's thread.
 *
 * <p>Why a pool of its own. A server answers on virtual threads, whose carriers are as many as
 * there are cores: CPU-bound work on them starves everything else, {@code /health} included. Here
 * such work runs on a fixed set of platform threads (one per core by default), so at most that many
 * pages are being converted at once and the carriers stay free. The caller waits, unmounted, until
 * the work is done, its deadline passes, or the caller is interrupted (a client that left); in the
 * last two cases the worker is interrupted and the work stops at its next {@link
 * Cancellation#checkpoint()}.
 */
public final class CpuPool implements AutoCloseable {

    private static final CpuPool SHARED = new CpuPool(Runtime.getRuntime().availableProcessors());

    private final ExecutorService workers;

    /** A pool of {@code threads} platform threads. */
    public CpuPool(int threads) {
        AtomicInteger n = new AtomicInteger();
        this.workers =
                Executors.newFixedThreadPool(
                        threads,
                        r ->
                                Thread.ofPlatform()
                                        .name("plinth-cpu-" + n.incrementAndGet())
                                        .daemon(true)
                                        .unstarted(r));
    }

    /** The JVM-wide pool, one thread per core: what readers use unless given another. */
    public static CpuPool shared() {
        return SHARED;
    }

    /**
     * Runs {@code work} on the pool and waits for it at most {@code deadline} (queueing included);
     * past it, or when this thread is interrupted, the work is cancelled and {@code what} named in
     * the error.
     */
    public <T> T run(Callable<T> work, Duration deadline, String what) throws ReaderException {
        Future<T> future = workers.submit(work);
        try {
            return future.get(Math.max(0, deadline.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new ReaderException(
                    ReaderException.Kind.UNREADABLE,
                    what + " took longer than the " + seconds(deadline) + " s limit");
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new ReaderException(ReaderException.Kind.UNREADABLE, "the read was cancelled");
        } catch (CancellationException e) {
            throw new ReaderException(ReaderException.Kind.UNREADABLE, "the read was cancelled");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ReaderException re) {
                throw re;
            }
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0
                ? Long.toString(d.toSeconds())
                : String.format("%.1f", d.toMillis() / 1000.0);
    }

    /** Stops the workers (not for {@link #shared()}, which lives as long as the JVM). */
    @Override
    public void close() {
        if (this != SHARED) {
            workers.shutdownNow();
        }
    }
}
