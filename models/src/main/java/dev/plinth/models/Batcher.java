package dev.plinth.models;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one queue in front of a model's ONNX session: every request's sequences go in, batches of
 * similar length come out, run by a fixed set of workers, by default one per core, each run on its
 * worker's thread alone (the session gets one intra-op thread per worker's share of the cores).
 *
 * <p>Why this shape. An encoder's cost is (batch × padded length) tokens, so batching pays only
 * when sequences of like length share a batch. Under load, cores are kept busy by running different
 * batches on them, not by splitting each operator of one run across them: a small encoder's
 * operators last microseconds, and ORT's per-operator hand-off between threads then costs more than
 * it saves (idle threads sleep, or spin and steal the CPU from the server's own work); worse,
 * beside a busy neighbour every operator waits for the thread on the shared core. Independent runs
 * have no hand-off, and a worker slowed by a neighbour simply takes fewer batches. An idle model,
 * where latency is all that counts, is the exception:
 *
 * <ul>
 *   <li>A short request that makes one run (a lone query) runs on the caller's own thread: handing
 *       it to a worker and back costs two thread wake-ups. A 16-token query through HTTP, p50:
 *       5.6–7.0 ms handed to a worker that ran it on both cores; 4.8–5.6 ms run in place on one.
 *   <li>A run that has the model to itself (in place, or a worker's that finds nothing else running
 *       or queued) may take every core, through the session's second, multi-threaded ORT session.
 *       Whether it does is measured, per size of run, by {@link Spread}: on two free cores a
 *       16-token query takes 3.2 ms spread and 4.2 ms on one, a 512-token text 83 ms and 158 ms;
 *       beside a busy neighbour the spread query takes 8–11 ms through HTTP, and is not chosen.
 * </ul>
 *
 * LangChain4j's one-text-per-call, many-callers model oversubscribes instead: each call spreads
 * over every core. So:
 *
 * <ol>
 *   <li>Callers {@link #submit} a request's sequences and get a future. The queue is bounded twice,
 *       as TEI bounds its own: by tokens waiting (queued or in the round being run) and by the wait
 *       they mean at the measured throughput. A request that would pass either bound is refused at
 *       once with {@link ModelException.Reason#OVERLOADED} and a retry-after estimate, never
 *       buffered; only an idle model takes any request whatever its size (the caller's own limits
 *       bound that). A request none of whose sequences has started after twice the wait bound (the
 *       throughput estimate was wrong, a slower model) is refused then rather than run late.
 *   <li>A free worker drains <em>everything</em> queued once the batches cut before are taken
 *       (requests from different clients merge here; whatever arrives while a round runs forms the
 *       next round, so a lone query never waits for a timer), sorts it by task and token length,
 *       and cuts it into batches whose padded size (count × longest) stays under the token budget
 *       and whose padding stays under {@value #MAX_PADDING_SHARE} of it — sorted neighbours differ
 *       little, so batches stay big.
 *   <li>Dynamically quantized models (the published int8 files, {@code quantized} in their config)
 *       compute their activation scales over the whole input tensor, so their output for one text
 *       moves with what else is in the batch (padding and neighbours alike). For them the grouping
 *       is {@link BatchOptions.Grouping#SINGLE} by default: one text per run, the same result
 *       whoever else is asking. plinth's own int8 models ({@link Quantizer}) scale each token row
 *       by itself, so they batch like fp32: a text's vector is the same, to float rounding (about
 *       1e-6), in any batch, from any worker.
 *   <li>Each batch's output is read per sequence by the caller's {@link Readout} (pooled vector,
 *       token states, logits) on the worker thread, and a request's future completes when its last
 *       sequence is read.
 * </ol>
 *
 * Round-based draining keeps it fair: a long sequence queued now runs in the next round whatever
 * keeps arriving after it.
 */
final class Batcher implements AutoCloseable {

    /** Reads sequence {@code index}'s result out of a run's output (on the worker thread). */
    @FunctionalInterface
    public interface Readout<T> {
        /** The result for one sequence. */
        T read(OnnxEncoder.Output output, int index);
    }

    /** A padded batch closes before padding would pass this share of its tokens. */
    static final double MAX_PADDING_SHARE = 0.2;

    private final OnnxEncoder encoder;
    private final BatchOptions options;
    private final BatchOptions.Grouping grouping;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition nonEmpty = lock.newCondition();
    private final ArrayList<Item> queue = new ArrayList<>();
    // Batches cut from the last round and not yet taken by a worker.
    private final ArrayDeque<List<Item>> ready = new ArrayDeque<>();
    private final List<Thread> workers = new ArrayList<>();
    // Chooses one core or all for runs that have the model to themselves; null when the encoder
    // has no multi-threaded session.
    private final Spread spread;
    private volatile boolean closed;
    // Tokens submitted and not yet read out or failed: the queue plus the round being run.
    private long pendingTokens;
    // Batches being run now.
    private int running;

    // Throughput estimate for admission and Retry-After: tokens per second of recent runs.
    private volatile double tokensPerSecond = 5_000;

    Batcher(OnnxEncoder encoder, BatchOptions options) {
        this.encoder = encoder;
        this.options = options;
        BatchOptions.Grouping chosen =
                options.grouping() != null
                        ? options.grouping()
                        : encoder.config().quantized()
                                ? BatchOptions.Grouping.SINGLE
                                : BatchOptions.Grouping.PADDED;
        // Without an attention mask a model would read padding as text: never pad it.
        this.grouping =
                chosen == BatchOptions.Grouping.PADDED && !encoder.feedsMask()
                        ? BatchOptions.Grouping.EQUAL_LENGTH
                        : chosen;
        this.spread = encoder.canSpread() ? new Spread() : null;
        for (int w = 0; w < options.workers(); w++) {
            Thread t =
                    Thread.ofPlatform()
                            .daemon()
                            .name("plinth-batcher-" + encoder.config().name() + "-" + w)
                            .unstarted(this::loop);
            workers.add(t);
            t.start();
        }
    }

    /**
     * Refuses at once, as {@link #submit} would, when {@code tokens} more could not be queued.
     * Callers check a lower bound of a request's tokens before tokenizing it, so that an overloaded
     * model refuses for the cost of reading the request and never spends the cores that {@code
     * /health} and the admitted requests need.
     */
    void admit(long tokens) {
        lock.lock();
        try {
            refuseWhenFull(tokens);
        } finally {
            lock.unlock();
        }
    }

    /** The admission rule; the caller holds the lock. */
    private void refuseWhenFull(long tokens) {
        double tps = tokensPerSecond;
        double waitSeconds = pendingTokens / tps;
        if (pendingTokens > 0
                && (pendingTokens + tokens > options.queueTokens()
                        || waitSeconds > options.maxWait().toMillis() / 1000.0)) {
            int retry = (int) Math.max(1, Math.ceil((pendingTokens + tokens) / tps));
            throw ModelException.overloaded(
                    "model "
                            + encoder.config().name()
                            + " is busy: "
                            + pendingTokens
                            + " tokens are waiting (about "
                            + Math.round(waitSeconds)
                            + " s of work, bounds "
                            + options.queueTokens()
                            + " tokens and "
                            + options.maxWait().toSeconds()
                            + " s); retry in "
                            + retry
                            + " s",
                    retry);
        }
    }

    /**
     * Holds {@code tokens} against the queue's bounds for a request queued in parts, one after
     * another (a query, then its documents a slice at a time), refusing as {@link #submit} would.
     * Judged part by part, such a request could be refused halfway, after its first part had waited
     * its turn: late, and for nothing. Judged whole and held, it is refused at once or never. The
     * caller knows its exact tokens (it has tokenized every part) and closes the reservation when
     * its last part is queued, which gives back what it did not use.
     */
    Reservation reserve(long tokens) {
        lock.lock();
        try {
            if (closed) throw closedError();
            refuseWhenFull(tokens);
            pendingTokens += tokens;
            return new Reservation(tokens);
        } finally {
            lock.unlock();
        }
    }

    /** Tokens held by {@link #reserve}; its parts are queued through it without being judged. */
    final class Reservation implements AutoCloseable {
        private long held;

        private Reservation(long held) {
            this.held = held;
        }

        /** As {@link Batcher#submit(List, List, int[], Long, Readout)}, never refused as full. */
        <T> CompletableFuture<List<T>> submit(
                List<long[]> sequences,
                List<long[]> typeIds,
                int[] attended,
                Long taskId,
                Readout<T> readout) {
            return enqueue(sequences, typeIds, attended, taskId, this, readout);
        }

        /** Gives back the tokens no part used. */
        @Override
        public void close() {
            lock.lock();
            try {
                pendingTokens -= held;
                held = 0;
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Queues sequences (each with its special tokens) for one run of the model with the same task
     * id (null when the model has none); the future gets one result per sequence, in order. Refuses
     * at once with {@link ModelException.Reason#OVERLOADED} when the queue is full. A short request
     * that finds the model idle and makes a single run is run on this thread before this returns.
     */
    public <T> CompletableFuture<List<T>> submit(
            List<long[]> sequences, Long taskId, Readout<T> readout) {
        return submit(sequences, null, taskId, readout);
    }

    /** As {@link #submit(List, Long, Readout)}, with segment ids per sequence (pairs) or null. */
    public <T> CompletableFuture<List<T>> submit(
            List<long[]> sequences, List<long[]> typeIds, Long taskId, Readout<T> readout) {
        return submit(sequences, typeIds, null, taskId, readout);
    }

    /**
     * As {@link #submit(List, Long, Readout)}, where only the first {@code attended[i]} tokens of
     * sequence {@code i} are under the attention mask (ColBERT's query expansion); null: all.
     */
    public <T> CompletableFuture<List<T>> submit(
            List<long[]> sequences,
            List<long[]> typeIds,
            int[] attended,
            Long taskId,
            Readout<T> readout) {
        return enqueue(sequences, typeIds, attended, taskId, null, readout);
    }

    /** Queues a request, judged against the bounds now, or drawn from a reservation held for it. */
    private <T> CompletableFuture<List<T>> enqueue(
            List<long[]> sequences,
            List<long[]> typeIds,
            int[] attended,
            Long taskId,
            Reservation reservation,
            Readout<T> readout) {
        Ticket<T> ticket = new Ticket<>(sequences.size(), readout);
        if (sequences.isEmpty()) {
            ticket.future.complete(List.of());
            return ticket.future;
        }
        long tokens = 0;
        List<Item> items = new ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) {
            tokens += sequences.get(i).length;
            items.add(
                    new Item(
                            sequences.get(i),
                            typeIds == null ? null : typeIds.get(i),
                            attended == null ? sequences.get(i).length : attended[i],
                            taskId,
                            ticket,
                            i));
        }
        boolean here;
        lock.lock();
        try {
            if (closed) throw closedError();
            if (reservation == null) {
                refuseWhenFull(tokens);
                pendingTokens += tokens;
            } else { // already counted as far as it was held
                long drawn = Math.min(reservation.held, tokens);
                reservation.held -= drawn;
                pendingTokens += tokens - drawn;
            }
            // Only a short run: one on the caller's thread (a server's virtual thread) holds its
            // carrier while ORT runs.
            here =
                    running == 0
                            && queue.isEmpty()
                            && ready.isEmpty()
                            && tokens <= options.tokenBudget()
                            && oneRun(items);
            if (here) {
                running++;
            } else {
                queue.addAll(items);
                nonEmpty.signal();
            }
        } finally {
            lock.unlock();
        }
        if (here) runCounted(items, true);
        return ticket.future;
    }

    /** Whether one request's sequences make a single run by the rules of {@link #cut}. */
    private boolean oneRun(List<Item> items) {
        List<Item> sorted = new ArrayList<>(items);
        sorted.sort(Comparator.comparingInt(i -> i.ids.length));
        return cut(sorted).size() == 1;
    }

    /** {@link #submit} and {@link #await}. */
    public <T> List<T> run(List<long[]> sequences, Long taskId, Readout<T> readout) {
        return await(submit(sequences, taskId, readout));
    }

    /**
     * Waits for a future from {@link #submit}; rethrows the run's {@link ModelException}. An
     * interrupted caller (a server's client that left) withdraws the request: its sequences still
     * queued are dropped at once, so no worker spends time on an answer nobody will read, and the
     * wait ends with {@link ModelException.Reason#CANCELLED} and the interrupt kept.
     */
    public <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            withdraw(future);
            Thread.currentThread().interrupt();
            throw new ModelException(
                    ModelException.Reason.CANCELLED, "the request was cancelled", null);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ModelException m) throw m;
            throw new ModelException(
                    ModelException.Reason.RUNTIME, String.valueOf(e.getCause()), e.getCause());
        }
    }

    /**
     * Fails {@code future}'s request and takes its sequences out of the queue and out of the
     * batches no worker has taken yet; a batch already running finishes, its results unread.
     */
    private void withdraw(CompletableFuture<?> future) {
        future.cancel(false);
        lock.lock();
        try {
            queue.removeIf(item -> dropped(item, future));
            for (List<Item> batch : ready) batch.removeIf(item -> dropped(item, future));
            ready.removeIf(List::isEmpty);
        } finally {
            lock.unlock();
        }
    }

    // Under the lock: whether item belongs to future's request, releasing its tokens if so.
    private boolean dropped(Item item, CompletableFuture<?> future) {
        if (item.ticket.future != future) return false;
        pendingTokens -= item.ids.length;
        return true;
    }

    /** How sequences share a run in this batcher. */
    public BatchOptions.Grouping grouping() {
        return grouping;
    }

    /** Sequences waiting now (queued, or cut into batches no worker has taken yet). */
    public int queued() {
        lock.lock();
        try {
            int n = queue.size();
            for (List<Item> b : ready) n += b.size();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Tokens submitted and not yet done: queued, or in the round being run. */
    public long pendingTokens() {
        lock.lock();
        try {
            return pendingTokens;
        } finally {
            lock.unlock();
        }
    }

    // ---- the worker ----

    private void loop() {
        while (true) {
            List<Item> batch;
            boolean alone;
            lock.lock();
            try {
                while (ready.isEmpty() && queue.isEmpty() && !closed)
                    nonEmpty.awaitUninterruptibly();
                if (closed) return;
                if (ready.isEmpty()) {
                    List<Item> round = new ArrayList<>(queue);
                    queue.clear();
                    round.sort(
                            Comparator.<Item, Long>comparing(
                                            i -> i.task,
                                            Comparator.nullsFirst(Comparator.naturalOrder()))
                                    .thenComparingInt(i -> i.ids.length));
                    ready.addAll(cut(round));
                }
                batch = ready.poll();
                if (!ready.isEmpty()) nonEmpty.signal(); // another worker may take the next
                alone = running == 0 && ready.isEmpty() && queue.isEmpty();
                running++;
            } finally {
                lock.unlock();
            }
            runCounted(batch, alone);
        }
    }

    /** {@link #runBatch}, for a run already counted in {@code running}. */
    private void runCounted(List<Item> batch, boolean alone) {
        try {
            runBatch(batch, alone);
        } finally {
            lock.lock();
            try {
                running--;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Splits a sorted round into runs: same task, grouping rules, token budget, batch cap. */
    private List<List<Item>> cut(List<Item> sorted) {
        List<List<Item>> batches = new ArrayList<>();
        List<Item> current = new ArrayList<>();
        long real = 0;
        for (Item item : sorted) {
            if (!current.isEmpty()) {
                Item first = current.getFirst();
                int longest = item.ids.length; // sorted ascending: the newcomer is the longest
                long paddedSize = (long) (current.size() + 1) * longest;
                boolean fits =
                        Objects.equals(first.task, item.task)
                                && current.size() < options.maxBatch()
                                && paddedSize <= options.tokenBudget()
                                && paddedSize - (real + longest) <= MAX_PADDING_SHARE * paddedSize
                                && switch (grouping) {
                                    case PADDED -> true;
                                    case EQUAL_LENGTH -> first.ids.length == item.ids.length;
                                    case SINGLE -> false;
                                };
                if (!fits) {
                    batches.add(current);
                    current = new ArrayList<>();
                    real = 0;
                }
            }
            current.add(item);
            real += item.ids.length;
        }
        if (!current.isEmpty()) batches.add(current);
        return batches;
    }

    private void runBatch(List<Item> batch, boolean alone) {
        List<Item> live = new ArrayList<>(batch.size());
        long now = System.nanoTime();
        long late = 2 * options.maxWait().toNanos();
        for (Item item : batch) {
            Ticket<?> t = item.ticket;
            if (!t.started && !t.future.isDone() && now - t.submitted > late) {
                t.future.completeExceptionally(
                        ModelException.overloaded(
                                "model "
                                        + encoder.config().name()
                                        + " is busy: the request waited "
                                        + (now - t.submitted) / 1_000_000_000
                                        + " s without starting; retry later",
                                (int) Math.max(1, Math.ceil(pendingTokens() / tokensPerSecond))));
            }
            if (t.future.isDone()) release(item);
            else live.add(item);
        }
        if (live.isEmpty()) return;
        for (Item item : live) item.ticket.started = true;
        List<long[]> ids = new ArrayList<>(live.size());
        boolean pairs = false;
        int tokens = 0;
        for (Item item : live) {
            ids.add(item.ids);
            tokens += item.ids.length;
            pairs |= item.typeIds != null;
        }
        List<long[]> types = null;
        if (pairs) {
            types = new ArrayList<>(live.size());
            for (Item item : live)
                types.add(item.typeIds != null ? item.typeIds : new long[item.ids.length]);
        }
        int[] attended = new int[live.size()];
        int longest = 0;
        for (int i = 0; i < live.size(); i++) {
            attended[i] = live.get(i).attended;
            longest = Math.max(longest, live.get(i).ids.length);
        }
        long padded = (long) longest * live.size();
        boolean wide = alone && spread != null && spread.wide(padded);
        long start = System.nanoTime();
        OnnxEncoder.Output output;
        try {
            output = encoder.run(ids, types, attended, live.getFirst().task, wide);
        } catch (RuntimeException e) {
            fail(live, e);
            return;
        }
        long nanos = System.nanoTime() - start;
        if (alone && spread != null) spread.record(padded, wide, nanos);
        double seconds = nanos / 1e9;
        // Workers run side by side: the batcher's throughput is about theirs added up.
        if (seconds > 0)
            tokensPerSecond = 0.8 * tokensPerSecond + 0.2 * (tokens / seconds) * options.workers();
        for (int i = 0; i < live.size(); i++) {
            Item item = live.get(i);
            release(item); // before the result: a caller that sees it done sees the queue without
            // it
            try {
                item.ticket.put(item.slot, output, i);
            } catch (RuntimeException e) {
                item.ticket.future.completeExceptionally(e);
            }
        }
    }

    private void fail(List<Item> items, RuntimeException e) {
        for (Item item : items) {
            release(item);
            item.ticket.future.completeExceptionally(e);
        }
    }

    private void release(Item item) {
        lock.lock();
        try {
            pendingTokens -= item.ids.length;
        } finally {
            lock.unlock();
        }
    }

    private ModelException closedError() {
        return ModelException.unavailable("model " + encoder.config().name() + " is closed");
    }

    /**
     * Refuses new work, fails what is queued, and waits for the run in progress to end, so the
     * session can be closed after this returns.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            List<Item> waiting = new ArrayList<>(queue);
            for (List<Item> b : ready) waiting.addAll(b);
            for (Item item : waiting) {
                item.ticket.future.completeExceptionally(closedError());
                pendingTokens -= item.ids.length;
            }
            queue.clear();
            ready.clear();
            nonEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        for (Thread worker : workers) {
            if (worker == Thread.currentThread()) continue;
            while (worker.isAlive()) {
                try {
                    worker.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    // ---- helpers ----

    private record Item(
            long[] ids, long[] typeIds, int attended, Long task, Ticket<?> ticket, int slot) {}

    /** One request: its results fill in as its sequences' batches run. */
    private static final class Ticket<T> {
        final CompletableFuture<List<T>> future = new CompletableFuture<>();
        final long submitted = System.nanoTime();
        volatile boolean started;
        final Object[] results;
        final AtomicInteger remaining;
        final Readout<T> readout;

        Ticket(int size, Readout<T> readout) {
            this.results = new Object[size];
            this.remaining = new AtomicInteger(size);
            this.readout = readout;
        }

        @SuppressWarnings("unchecked")
        void put(int slot, OnnxEncoder.Output output, int index) {
            results[slot] = readout.read(output, index);
            if (remaining.decrementAndGet() == 0) future.complete((List<T>) Arrays.asList(results));
        }
    }
}
