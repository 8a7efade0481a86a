package dev.plinth.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control for reads: at most {@code slots} run at once, at most {@code queue} more wait
 * for a slot, and anything beyond is refused at once with 429 rather than piling up. A read holds
 * its slot for the fetch and the conversion, since parsing a large page is what costs memory.
 *
 * <p>With virtual threads a waiting request costs a few hundred bytes, so the queue bound is not
 * about threads: it keeps latency honest (a request that would wait minutes is told to retry) and
 * keeps heap bounded, as every admitted read may hold a page of up to the fetcher's byte cap.
 */
final class ReadSlots {

    /** Work done while holding a slot. */
    @FunctionalInterface
    interface Work<T, E extends Exception> {
        T run() throws E;
    }

    private final Semaphore slots;
    private final int limit;
    private final int queue;
    private final long maxWaitMillis;
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * {@code slots} concurrent reads, {@code queue} waiting ones, each waiting at most {@code
     * maxWaitMillis}.
     */
    ReadSlots(int slots, int queue, long maxWaitMillis) {
        this.slots = new Semaphore(slots, true);
        this.limit = slots;
        this.queue = queue;
        this.maxWaitMillis = maxWaitMillis;
    }

    /**
     * Runs {@code work} in a slot, waiting in the queue if need be; 429 when the queue is full or
     * the wait too long.
     */
    <T, E extends Exception> T run(Work<T, E> work) throws E {
        if (!slots.tryAcquire()) {
            if (waiting.incrementAndGet() > queue) {
                waiting.decrementAndGet();
                throw ApiException.tooManyRequests(
                        "the server is at capacity ("
                                + limit
                                + " reads running, "
                                + queue
                                + " waiting); retry shortly",
                        1);
            }
            boolean acquired;
            try {
                acquired = slots.tryAcquire(maxWaitMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException(
                        503, "ServiceUnavailableError", "the server is shutting down");
            } finally {
                waiting.decrementAndGet();
            }
            if (!acquired) {
                throw ApiException.tooManyRequests(
                        "waited " + maxWaitMillis / 1000 + " s for a free read slot; retry shortly",
                        1);
            }
        }
        try {
            return work.run();
        } finally {
            slots.release();
        }
    }

    /** Reads waiting for a slot now. */
    int waiting() {
        return waiting.get();
    }

    /** Reads running now. */
    int active() {
        return limit - slots.availablePermits();
    }
}
