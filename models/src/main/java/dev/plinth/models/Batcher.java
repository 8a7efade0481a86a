package dev.plinth.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one queue in front of a model's ONNX session: every request's sequences go in, batches of
 * similar length come out, one batch at a time, on one worker thread.
 *
 * <p>Why this shape. An encoder's cost is (batch × padded length) tokens, so batching pays only
 * when sequences of like length share a batch; and ORT already spreads one run over every core, so
 * two concurrent runs would just fight over them (LangChain4j's one-text-per-call, many-callers
 * model oversubscribes exactly this way). So:
 *
 * <ol>
 *   <li>Callers {@link #submit} a request's sequences and get a future. The queue is bounded (in
 *       sequences): when a request does not fit, it is refused at once with {@link
 *       ModelException.Reason#OVERLOADED} and a retry-after estimate, never buffered.
 *   <li>The worker drains <em>everything</em> queued (requests from different clients merge here;
 *       whatever arrives while a round runs forms the next round, so a lone query never waits for a
 *       timer), sorts it by task and token length, and cuts it into batches whose padded size
 *       (count × longest) stays under the token budget and whose padding stays under {@value
 *       #MAX_PADDING_SHARE} of it — sorted neighbours differ little, so batches stay big.
 *   <li>Dynamically quantized models compute their activation scales over the whole input tensor,
 *       so their output for one text moves with what else is in the batch (padding and neighbours
 *       alike). For them the grouping is {@link Grouping#SINGLE} by default: one text per run, the
 *       same result whoever else is asking. {@link Grouping#EQUAL_LENGTH} removes padding but not
 *       the neighbour effect; EmbeddingsSpeed in bench measures both.
 *   <li>Each batch's output is read per sequence by the caller's {@link Readout} (pooled vector,
 *       token states, logits) on the worker thread, and a request's future completes when its last
 *       sequence is read.
 * </ol>
 *
 * Round-based draining keeps it fair: a long sequence queued now runs in the next round whatever
 * keeps arriving after it.
 */
public final class Batcher implements AutoCloseable {

    /** How sequences may share a run. */
    public enum Grouping {
        /** Any lengths, padded to the longest, under the token budget. */
        PADDED,
        /** Only sequences of exactly the same length (no padding; neighbours still share a run). */
        EQUAL_LENGTH,
        /** One sequence per run. */
        SINGLE
    }

    /**
     * Batching settings.
     *
     * @param tokenBudget most padded tokens (count × longest) per run; default <b>8192</b>
     * @param maxBatch most sequences per run; default <b>128</b>
     * @param queueCapacity most sequences waiting; default <b>8192</b> (16 full requests)
     * @param grouping how sequences may share a run; null picks by the model ({@link
     *     Grouping#SINGLE} for quantized models, else {@link Grouping#PADDED})
     */
    public record Options(int tokenBudget, int maxBatch, int queueCapacity, Grouping grouping) {
        /** The defaults. */
        public static Options defaults() {
            return new Options(8192, 128, 8192, null);
        }

        /** These options with another grouping. */
        public Options withGrouping(Grouping g) {
            return new Options(tokenBudget, maxBatch, queueCapacity, g);
        }
    }

    /** Reads sequence {@code index}'s result out of a run's output (on the worker thread). */
    @FunctionalInterface
    public interface Readout<T> {
        /** The result for one sequence. */
        T read(OnnxEncoder.Output output, int index);
    }

    /** A padded batch closes before padding would pass this share of its tokens. */
    static final double MAX_PADDING_SHARE = 0.2;

    private final OnnxEncoder encoder;
    private final Options options;
    private final Grouping grouping;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition nonEmpty = lock.newCondition();
    private final ArrayList<Item> queue = new ArrayList<>();
    private final Thread worker;
    private boolean closed;

    // Throughput estimate for Retry-After: tokens per second of recent runs.
    private volatile double tokensPerSecond = 5_000;

    Batcher(OnnxEncoder encoder, Options options) {
        this.encoder = encoder;
        this.options = options;
        this.grouping =
                options.grouping() != null
                        ? options.grouping()
                        : encoder.config().quantized() ? Grouping.SINGLE : Grouping.PADDED;
        this.worker =
                Thread.ofPlatform()
                        .daemon()
                        .name("plinth-batcher-" + encoder.config().name())
                        .unstarted(this::loop);
        worker.start();
    }

    /**
     * Queues sequences (each with its special tokens) for one run of the model with the same task
     * id (null when the model has none); the future gets one result per sequence, in order. Refuses
     * at once with {@link ModelException.Reason#OVERLOADED} when the queue is full.
     */
    public <T> CompletableFuture<List<T>> submit(
            List<long[]> sequences, Long taskId, Readout<T> readout) {
        return submit(sequences, null, taskId, readout);
    }

    /** As {@link #submit(List, Long, Readout)}, with segment ids per sequence (pairs) or null. */
    public <T> CompletableFuture<List<T>> submit(
            List<long[]> sequences, List<long[]> typeIds, Long taskId, Readout<T> readout) {
        Ticket<T> ticket = new Ticket<>(sequences.size(), readout);
        if (sequences.isEmpty()) {
            ticket.future.complete(List.of());
            return ticket.future;
        }
        lock.lock();
        try {
            if (closed)
                throw new ModelException(
                        ModelException.Reason.RUNTIME,
                        "model " + encoder.config().name() + " is closed",
                        null);
            if (queue.size() + sequences.size() > options.queueCapacity()) {
                long queuedTokens = 0;
                for (Item item : queue) queuedTokens += item.ids.length;
                int wait = (int) Math.max(1, Math.ceil(queuedTokens / tokensPerSecond));
                throw ModelException.overloaded(
                        "model "
                                + encoder.config().name()
                                + " is busy: "
                                + queue.size()
                                + " sequences queued; retry in "
                                + wait
                                + " s",
                        wait);
            }
            for (int i = 0; i < sequences.size(); i++) {
                queue.add(
                        new Item(
                                sequences.get(i),
                                typeIds == null ? null : typeIds.get(i),
                                taskId,
                                ticket,
                                i));
            }
            nonEmpty.signal();
        } finally {
            lock.unlock();
        }
        return ticket.future;
    }

    /** {@link #submit} and wait; rethrows the run's {@link ModelException}. */
    public <T> List<T> run(List<long[]> sequences, Long taskId, Readout<T> readout) {
        try {
            return submit(sequences, taskId, readout).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof ModelException m) throw m;
            throw new ModelException(
                    ModelException.Reason.RUNTIME, String.valueOf(e.getCause()), e.getCause());
        }
    }

    /** How sequences share a run in this batcher. */
    public Grouping grouping() {
        return grouping;
    }

    /** Sequences waiting now. */
    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    // ---- the worker ----

    private void loop() {
        while (true) {
            List<Item> round;
            lock.lock();
            try {
                while (queue.isEmpty() && !closed) nonEmpty.awaitUninterruptibly();
                if (closed) return;
                round = new ArrayList<>(queue);
                queue.clear();
            } finally {
                lock.unlock();
            }
            round.sort(
                    Comparator.<Item, Long>comparing(
                                    i -> i.task, Comparator.nullsFirst(Comparator.naturalOrder()))
                            .thenComparingInt(i -> i.ids.length));
            for (List<Item> batch : cut(round)) runBatch(batch);
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

    private void runBatch(List<Item> batch) {
        List<Item> live = new ArrayList<>(batch.size());
        for (Item item : batch) if (!item.ticket.future.isDone()) live.add(item);
        if (live.isEmpty()) return;
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
        long start = System.nanoTime();
        OnnxEncoder.Output output;
        try {
            output = encoder.run(ids, types, live.getFirst().task);
        } catch (RuntimeException e) {
            for (Item item : live) item.ticket.future.completeExceptionally(e);
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (seconds > 0) tokensPerSecond = 0.8 * tokensPerSecond + 0.2 * (tokens / seconds);
        for (int i = 0; i < live.size(); i++) {
            Item item = live.get(i);
            try {
                item.ticket.put(item.slot, output, i);
            } catch (RuntimeException e) {
                item.ticket.future.completeExceptionally(e);
            }
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (Item item : queue) {
                item.ticket.future.completeExceptionally(
                        new ModelException(
                                ModelException.Reason.RUNTIME,
                                "model " + encoder.config().name() + " closed",
                                null));
            }
            queue.clear();
            nonEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- helpers ----

    private record Item(long[] ids, long[] typeIds, Long task, Ticket<?> ticket, int slot) {}

    /** One request: its results fill in as its sequences' batches run. */
    private static final class Ticket<T> {
        final CompletableFuture<List<T>> future = new CompletableFuture<>();
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
