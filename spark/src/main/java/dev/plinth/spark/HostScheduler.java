package dev.plinth.spark;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Polite fetching for one partition: items in, results out, with at most {@code perHost} requests
 * in flight to any host, request starts to one host at least {@code interval} apart, and failed
 * attempts retried later with backoff, all while other hosts keep the workers busy.
 *
 * <p>Why it holds across the whole job. The job partitions URLs by host, so every URL of a host is
 * in one partition, and a partition runs in one task at a time; a bound kept here is therefore the
 * bound the host sees from the job. (A retried task starts over after the failed one is gone.)
 *
 * <p>How. The consumer's thread (Spark's task thread, calling {@link #hasNext}) is the only one
 * that touches the scheduling state; workers just run attempts and post completions on a queue.
 *
 * <ol>
 *   <li><b>Window.</b> At most {@code window} items are taken from the source and not yet returned,
 *       so a partition of millions of URLs never sits in memory; the window should hold many hosts
 *       (the job spreads each partition's hosts by sorting on a hash of the URL).
 *   <li><b>Hosts.</b> Each host keeps its waiting items (retries ordered by when they may run) and
 *       counts its attempts in flight and the time its next request may start.
 *   <li><b>Timeline.</b> A priority queue of (time, host): when the host may start its next
 *       request. Entries are pushed whenever that may have changed (an item arrived, an attempt
 *       finished) and checked when popped, so a stale entry costs one pop; every pop either starts
 *       an attempt or drops or re-dates an entry, so the work is O(attempts × log).
 *   <li><b>Attempts.</b> An attempt returns a result or asks to be retried after a delay (a 429's
 *       {@code Retry-After}, or exponential backoff); retries go back to their host's queue with
 *       that time and count against the same bounds. After {@code maxAttempts} the last result is
 *       returned as it is.
 * </ol>
 *
 * Results come out in completion order. {@link #close} stops the workers (a cancelled task).
 */
final class HostScheduler<T, R> implements Iterator<R>, AutoCloseable {

    /**
     * Politeness settings.
     *
     * @param perHost most attempts in flight to one host
     * @param interval least time between two request starts to one host
     * @param concurrency most attempts in flight in all
     * @param window most items taken from the source and not yet returned
     * @param maxAttempts attempts per item, the first included
     * @param backoff the delay before the first retry, doubled for each next one
     */
    record Limits(
            int perHost,
            Duration interval,
            int concurrency,
            int window,
            int maxAttempts,
            Duration backoff) {
        Limits {
            if (perHost < 1 || concurrency < 1 || window < 1 || maxAttempts < 1) {
                throw new IllegalArgumentException(
                        "perHost, concurrency, window and maxAttempts must be at least 1: " + this);
            }
        }
    }

    /** What an attempt gave: a result, or a result to keep only if no retry is left. */
    record Step<R>(R result, Duration retryAfter) {
        static <R> Step<R> done(R result) {
            return new Step<>(result, null);
        }

        /**
         * Retry after {@code after} (null: the scheduler's backoff); {@code result} if none left.
         */
        static <R> Step<R> retry(R result, Duration after) {
            return new Step<>(result, after == null ? Duration.ZERO : after);
        }

        boolean wantsRetry() {
            return retryAfter != null;
        }
    }

    /** One attempt at an item; must not throw (a throw fails the task, as a bug should). */
    @FunctionalInterface
    interface Attempt<T, R> {
        Step<R> run(T item, int attempt);
    }

    private final Iterator<T> source;
    private final Function<T, String> hostOf;
    private final Attempt<T, R> attempt;
    private final Limits limits;
    private final long intervalNanos;
    private final ExecutorService workers;
    private final long origin = System.nanoTime();

    private final Map<String, Host> hosts = new HashMap<>();
    private final PriorityQueue<Slot> timeline = new PriorityQueue<>();
    private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    private final ArrayDeque<R> results = new ArrayDeque<>();
    private int open; // taken from the source, not yet in results
    private int inFlight;
    private long order;

    HostScheduler(
            Iterator<T> source, Function<T, String> hostOf, Attempt<T, R> attempt, Limits limits) {
        this.source = source;
        this.hostOf = hostOf;
        this.attempt = attempt;
        this.limits = limits;
        this.intervalNanos = limits.interval().toNanos();
        this.workers =
                Executors.newFixedThreadPool(
                        limits.concurrency(),
                        r -> {
                            Thread t = new Thread(r, "plinth-fetch");
                            t.setDaemon(true);
                            return t;
                        });
    }

    @Override
    public boolean hasNext() {
        while (true) {
            if (!results.isEmpty()) {
                return true;
            }
            for (Completion c; (c = completions.poll()) != null; ) {
                finish(c);
            }
            if (!results.isEmpty()) {
                return true;
            }
            fill();
            long now = now();
            dispatch(now);
            if (open == 0) {
                return false; // fill() found the source empty and nothing is waiting
            }
            long wait =
                    inFlight >= limits.concurrency() || timeline.isEmpty()
                            ? TimeUnit.SECONDS.toNanos(1)
                            : Math.max(0, timeline.peek().at - now);
            try {
                Completion c = completions.poll(wait, TimeUnit.NANOSECONDS);
                if (c != null) {
                    finish(c);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("interrupted while fetching", e);
            }
        }
    }

    @Override
    public R next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        open--;
        return results.poll();
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }

    // ---- scheduling, on the consumer's thread only ----

    private void fill() {
        while (open < limits.window() && source.hasNext()) {
            T item = source.next();
            String key = hostOf.apply(item);
            Host host = hosts.computeIfAbsent(key == null ? "" : key, Host::new);
            host.waiting.add(new Item<>(item, 1, 0, order++));
            open++;
            schedule(host);
        }
    }

    private void dispatch(long now) {
        while (inFlight < limits.concurrency() && !timeline.isEmpty()) {
            Slot slot = timeline.peek();
            if (slot.at > now) {
                return;
            }
            timeline.poll();
            Host host = slot.host;
            if (host.waiting.isEmpty() || host.active >= limits.perHost()) {
                continue; // stale: a completion will schedule the host again
            }
            long at = host.readyAt();
            if (at > now) {
                timeline.add(new Slot(at, host));
                continue;
            }
            Item<T> item = host.poll();
            host.active++;
            host.nextStart = now + intervalNanos;
            inFlight++;
            workers.execute(() -> completions.add(run(host, item)));
            schedule(host);
        }
    }

    private Completion run(Host host, Item<T> item) {
        try {
            return new Completion(host, item, attempt.run(item.value, item.attempt), null);
        } catch (Throwable e) {
            return new Completion(host, item, null, e);
        }
    }

    private void finish(Completion c) {
        if (c.crash != null) {
            close();
            throw new IllegalStateException("a fetch attempt failed unexpectedly", c.crash);
        }
        Host host = c.host;
        host.active--;
        inFlight--;
        @SuppressWarnings("unchecked")
        Step<R> step = (Step<R>) c.step;
        if (step.wantsRetry() && c.item.attempt < limits.maxAttempts()) {
            long delay = backoff(c.item.attempt, step.retryAfter);
            host.waiting.add(new Item<>(c.item.value, c.item.attempt + 1, now() + delay, order++));
        } else {
            results.add(step.result);
        }
        schedule(host);
    }

    /** The delay before attempt {@code attempt + 1}: the server's ask, or doubling backoff. */
    private long backoff(int attempt, Duration asked) {
        long base = limits.backoff().toNanos() << Math.min(attempt - 1, 20);
        return Math.max(base, asked.toNanos());
    }

    /** Nanoseconds since this scheduler started: never negative, so 0 means "at once". */
    private long now() {
        return System.nanoTime() - origin;
    }

    private void schedule(Host host) {
        if (!host.waiting.isEmpty() && host.active < limits.perHost()) {
            timeline.add(new Slot(host.readyAt(), host));
        }
    }

    // ---- state ----

    private static final class Host {
        final String name;
        final PriorityQueue<Item<?>> waiting = new PriorityQueue<>();
        int active;
        long nextStart;

        Host(String name) {
            this.name = name;
        }

        /** When this host may start its next request: its interval and its first item's time. */
        long readyAt() {
            long first = waiting.isEmpty() ? 0 : waiting.peek().notBefore;
            return Math.max(nextStart, first);
        }

        @SuppressWarnings("unchecked")
        <T> Item<T> poll() {
            return (Item<T>) waiting.poll();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** An item's next attempt: not before {@code notBefore} ({@link #now}), in arrival order. */
    private record Item<T>(T value, int attempt, long notBefore, long order)
            implements Comparable<Item<?>> {
        @Override
        public int compareTo(Item<?> o) {
            int c = Long.compare(notBefore, o.notBefore);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private record Slot(long at, Host host) implements Comparable<Slot> {
        @Override
        public int compareTo(Slot o) {
            return Long.compare(at, o.at);
        }
    }

    private record Completion(Host host, Item<?> item, Step<?> step, Throwable crash) {}
}
