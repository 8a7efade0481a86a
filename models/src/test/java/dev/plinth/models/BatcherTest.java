package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class BatcherTest {

    /** A registry of the bundled models of its own, batching by {@code batching}. */
    static ModelRegistry bundled(BatchOptions batching) {
        return ModelRegistry.create(
                ModelRegistry.Options.defaults().withFolders(List.of()).withBatching(batching));
    }

    static final List<String> TEXTS =
            List.of(
                    "short",
                    "a somewhat longer sentence about batching",
                    "tiny",
                    "the longest sentence of them all, with many more words than the others have",
                    "mid length one");

    @Test
    void derivedInt8_batchesFreely_andEachTextGetsWhatItGetsAlone() {
        Model model = Shared.REGISTRY.get(Shared.EN);
        assertEquals(BatchOptions.Grouping.PADDED, model.batcher().grouping());
        List<float[]> together =
                Shared.EMBEDDER.embed(Embedder.Request.of(TEXTS).withModel(Shared.EN)).embeddings();
        for (int i = 0; i < TEXTS.size(); i++) {
            float[] alone =
                    Shared.EMBEDDER
                            .embed(Embedder.Request.of(List.of(TEXTS.get(i))).withModel(Shared.EN))
                            .embeddings()
                            .getFirst();
            float diff = Shared.maxAbsDiff(alone, together.get(i));
            assertTrue(diff < 1e-5, "text " + i + " must not depend on its batch: " + diff);
        }
    }

    @Test
    void paddedRuns_leaveDerivedInt8Alone_butShiftDynamicInt8() {
        // The derived model scales each token row by itself: padding and neighbours change nothing
        // beyond float rounding.
        assertTrue(paddingShift(Shared.EN, PoolingMode.CLS) < 1e-5);
        // The published dynamic int8 file (bge-small-zh) scales by the whole tensor: they move it,
        // slightly, which is why it runs one text at a time.
        assertEquals(
                BatchOptions.Grouping.SINGLE, Shared.REGISTRY.get(Shared.ZH).batcher().grouping());
        float zh = paddingShift(Shared.ZH, PoolingMode.CLS);
        assertTrue(zh > 1e-6, "dynamic int8 quantization sees the padding: " + zh);
        assertTrue(zh < 0.05, "but only slightly: " + zh);
    }

    /** How far padding and neighbours move the first text's vector. */
    private static float paddingShift(String name, PoolingMode mode) {
        Model model = Shared.REGISTRY.get(name);
        List<long[]> ids = new ArrayList<>();
        for (String t : TEXTS) ids.add(model.tokenizer().encode(t, 512).ids());
        OnnxEncoder.Output batch = model.encoder().run(ids, null);
        OnnxEncoder.Output alone = model.encoder().run(List.of(ids.getFirst()), null);
        int dims = model.config().dimensions();
        float[] a = Pooling.finish(batch.pooled(0, mode), dims, true);
        float[] b = Pooling.finish(alone.pooled(0, mode), dims, true);
        return Shared.maxAbsDiff(a, b);
    }

    @Test
    void requestsFromManyThreadsMergeAndGetTheirOwnResults() throws Exception {
        List<float[]> expected = new ArrayList<>();
        for (String t : TEXTS)
            expected.add(
                    Shared.EMBEDDER
                            .embed(Embedder.Request.of(List.of(t)).withModel(Shared.EN))
                            .embeddings()
                            .getFirst());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<float[]>>> futures = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                int shift = c;
                futures.add(
                        pool.submit(() -> {
                            go.await();
                            List<String> rotated = new ArrayList<>();
                            for (int i = 0; i < TEXTS.size(); i++)
                                rotated.add(TEXTS.get((i + shift) % TEXTS.size()));
                            return Shared.EMBEDDER
                                    .embed(Embedder.Request.of(rotated).withModel(Shared.EN))
                                    .embeddings();
                        }));
            }
            go.countDown();
            for (int c = 0; c < futures.size(); c++) {
                List<float[]> got = futures.get(c).get();
                for (int i = 0; i < TEXTS.size(); i++) {
                    assertArrayEquals(
                            expected.get((i + c) % TEXTS.size()),
                            got.get(i),
                            "client " + c + " text " + i);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fullQueueRefusesAtOnceWithRetryAfter() {
        ModelRegistry small =
                bundled(
                        BatchOptions.defaults()
                                .withQueue(8 * 402, java.time.Duration.ofSeconds(10)));
        try (small) {
            Model model = small.get(Shared.EN);
            long[] ids = model.tokenizer().encode("word ".repeat(400), 512).ids();
            List<long[]> six = java.util.Collections.nCopies(6, ids);
            CompletableFuture<List<float[]>> first =
                    model.batcher().submit(six, null, (o, i) -> o.pooled(i, PoolingMode.CLS));
            CompletableFuture<List<float[]>> second = null;
            ModelException e = null;
            // The worker may already have drained the first request; keep adding until the bound
            // bites.
            for (int k = 0; k < 50 && e == null; k++) {
                try {
                    second =
                            model.batcher()
                                    .submit(six, null, (o, i) -> o.pooled(i, PoolingMode.CLS));
                } catch (ModelException refused) {
                    e = refused;
                }
            }
            assertTrue(e != null, "a queue of 8 sequences' tokens must refuse at some point");
            assertEquals(ModelException.Reason.OVERLOADED, e.reason());
            assertTrue(e.retryAfterSeconds() >= 1);
            assertEquals(6, first.join().size());
            if (second != null) assertEquals(6, second.join().size());
        }
    }

    @Test
    void admit_refusesWhatSubmitWouldRefuse_withoutQueueingAnything() {
        long bound = 8 * 402;
        ModelRegistry small =
                bundled(BatchOptions.defaults().withQueue(bound, java.time.Duration.ofSeconds(10)));
        try (small) {
            Model model = small.get(Shared.EN);
            model.batcher().admit(bound); // an idle model admits up to its bound
            long[] ids = model.tokenizer().encode("word ".repeat(400), 512).ids();
            List<long[]> six = java.util.Collections.nCopies(6, ids);
            List<CompletableFuture<List<float[]>>> queued = new ArrayList<>();
            ModelException e = null;
            // The workers may drain a request at once; keep queueing until the check bites.
            for (int k = 0; k < 50 && e == null; k++) {
                try {
                    queued.add(
                            model.batcher()
                                    .submit(six, null, (o, i) -> o.pooled(i, PoolingMode.CLS)));
                    model.batcher().admit(bound);
                } catch (ModelException refused) {
                    e = refused;
                }
            }
            assertTrue(e != null, "a busy model must refuse a bound's worth of tokens");
            assertEquals(ModelException.Reason.OVERLOADED, e.reason());
            assertTrue(e.getMessage().contains("is busy"), e.getMessage());
            for (CompletableFuture<List<float[]>> f : queued) assertEquals(6, f.join().size());
            model.batcher().admit(bound); // and admits again once drained: admit queued nothing
        }
    }

    @Test
    void anIdleModel_runsASingleRunRequestOnTheCallersThread() {
        Model model = Shared.REGISTRY.get(Shared.EN);
        Batcher batcher = model.batcher();
        List<long[]> two =
                List.of(
                        model.tokenizer().encode("a short query", 512).ids(),
                        model.tokenizer().encode("another short one", 512).ids());
        Thread caller = Thread.currentThread();
        // Nothing else runs in this test class at once: the model is idle, and two short texts
        // make one run.
        List<Thread> ranOn = batcher.run(two, null, (o, i) -> Thread.currentThread());
        assertEquals(List.of(caller, caller), ranOn);
        // More texts than one run takes go to the workers.
        long[] longText = model.tokenizer().encode("word ".repeat(300), 512).ids();
        List<Thread> queued =
                batcher.run(
                        java.util.Collections.nCopies(2, longText),
                        null,
                        (o, i) -> Thread.currentThread());
        for (Thread t : queued) assertTrue(t.getName().startsWith("plinth-batcher-"), t.getName());
    }

    @Test
    void aReservation_holdsItsTokensUntilClosed_andItsPartsAreNeverRefused() {
        long bound = 8 * 402;
        ModelRegistry small =
                bundled(BatchOptions.defaults().withQueue(bound, java.time.Duration.ofSeconds(60)));
        try (small) {
            Batcher batcher = small.get(Shared.EN).batcher();
            long[] ids = small.get(Shared.EN).tokenizer().encode("word ".repeat(400), 512).ids();
            assertEquals(402, ids.length);
            List<CompletableFuture<List<float[]>>> parts = new ArrayList<>();
            try (Batcher.Reservation held = batcher.reserve(bound)) {
                // Held, though nothing is queued yet: others are refused at once.
                assertEquals(bound, batcher.pendingTokens());
                ModelException e = assertThrows(ModelException.class, () -> batcher.admit(402));
                assertEquals(ModelException.Reason.OVERLOADED, e.reason());
                // Its own parts queue unjudged, even beyond what it held (10 texts of 402).
                parts.add(
                        held.submit(
                                java.util.Collections.nCopies(4, ids),
                                null,
                                null,
                                null,
                                (o, i) -> o.pooled(i, PoolingMode.CLS)));
                parts.add(
                        held.submit(
                                java.util.Collections.nCopies(6, ids),
                                null,
                                null,
                                null,
                                (o, i) -> o.pooled(i, PoolingMode.CLS)));
            }
            assertEquals(4, parts.get(0).join().size());
            assertEquals(6, parts.get(1).join().size());
            assertEquals(0, batcher.pendingTokens(), "every token given back");
            batcher.admit(bound);
        }
    }

    @Test
    void anOverloadedRerank_isRefusedBeforeItsQueryWaitsItsTurn() {
        // One worker busy for a second or more with a batch of 16 long texts (their tokens stay
        // pending until the batch ends; a 17th makes two runs, so the request goes to the worker
        // rather than being run in place as an idle model's single run is), and a reservation
        // filling the queue to 600 tokens short of its bound: a rerank whose lower bound fits that
        // room but whose real tokens (about 820) do not is refused now, not after its query has
        // waited behind the long batch.
        long bound = 100_000;
        ModelRegistry one =
                bundled(
                        new BatchOptions(
                                16 * 512,
                                16,
                                bound,
                                java.time.Duration.ofSeconds(600),
                                BatchOptions.Grouping.PADDED,
                                1));
        try (one) {
            Model model = one.get(Shared.EN);
            Batcher batcher = model.batcher();
            long[] ids = model.tokenizer().encode("word ".repeat(600), 512).ids();
            CompletableFuture<List<float[]>> busy =
                    batcher.submit(
                            java.util.Collections.nCopies(17, ids),
                            null,
                            (o, i) -> o.pooled(i, PoolingMode.CLS));
            List<String> documents =
                    java.util.Collections.nCopies(8, "a sentence of several words ".repeat(20));
            try (Batcher.Reservation filler =
                    batcher.reserve(bound - 600 - batcher.pendingTokens())) {
                ModelException e =
                        assertThrows(
                                ModelException.class,
                                () ->
                                        new Reranker(one)
                                                .rerank(
                                                        Shared.EN,
                                                        "which sentence?",
                                                        documents,
                                                        null));
                assertEquals(ModelException.Reason.OVERLOADED, e.reason());
                assertTrue(!busy.isDone(), "refused while the long batch still runs");
            }
            assertEquals(17, busy.join().size());
            assertEquals(0, batcher.pendingTokens(), "the refused rerank left nothing behind");
        }
    }

    @Test
    void anInterruptedWait_dropsItsQueuedSequencesAtOnce() throws Exception {
        // One worker, kept busy by a long request: a second request's sequences wait in the queue
        // until its caller is interrupted (its client left), and are then gone, tokens and all.
        ModelRegistry one =
                bundled(
                        BatchOptions.defaults()
                                .withWorkers(1)
                                .withQueue(1 << 20, java.time.Duration.ofMinutes(5)));
        try (one) {
            Model model = one.get(Shared.EN);
            long[] ids = model.tokenizer().encode("word ".repeat(400), 512).ids();
            CompletableFuture<List<float[]>> busy =
                    model.batcher()
                            .submit(
                                    java.util.Collections.nCopies(64, ids),
                                    null,
                                    (o, i) -> o.pooled(i, PoolingMode.CLS));
            long busyTokens = 64L * ids.length;
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            CountDownLatch submitted = new CountDownLatch(1);
            Thread waiter =
                    Thread.ofVirtual()
                            .start(() -> {
                                try {
                                    var f =
                                            model.batcher()
                                                    .submit(
                                                            java.util.Collections.nCopies(8, ids),
                                                            null,
                                                            (o, i) -> o.pooled(i, PoolingMode.CLS));
                                    submitted.countDown();
                                    model.batcher().await(f);
                                    outcome.complete(null);
                                } catch (Throwable t) {
                                    outcome.complete(t);
                                }
                            });
            submitted.await();
            assertTrue(model.batcher().pendingTokens() > busyTokens, "both requests queued");
            waiter.interrupt();
            Throwable t = outcome.get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(t instanceof ModelException, String.valueOf(t));
            assertEquals(ModelException.Reason.CANCELLED, ((ModelException) t).reason());
            assertTrue(!busy.isDone(), "the long request is still running: the test needs it");
            assertTrue(
                    model.batcher().pendingTokens() <= busyTokens,
                    "the interrupted request's tokens left the queue at once");
            assertEquals(64, busy.join().size());
            assertEquals(0, model.batcher().pendingTokens(), "every token accounted for");
        }
    }

    @Test
    void waitBound_refusesWorkThatWouldWaitLongerThanItAllows() {
        // Room for a million tokens, but only 50 ms of waiting at the measured throughput: the
        // wait bound alone must refuse, with a Retry-After from the work ahead.
        ModelRegistry small =
                bundled(
                        BatchOptions.defaults()
                                .withQueue(1 << 20, java.time.Duration.ofMillis(50)));
        try (small) {
            Model model = small.get(Shared.EN);
            long[] ids = model.tokenizer().encode("word ".repeat(400), 512).ids();
            List<long[]> many = java.util.Collections.nCopies(16, ids);
            List<CompletableFuture<List<float[]>>> admitted = new ArrayList<>();
            ModelException e = null;
            for (int k = 0; k < 50 && e == null; k++) {
                try {
                    admitted.add(
                            model.batcher()
                                    .submit(many, null, (o, i) -> o.pooled(i, PoolingMode.CLS)));
                } catch (ModelException refused) {
                    e = refused;
                }
            }
            assertTrue(e != null, "6k tokens ahead are far more than 50 ms of work");
            assertEquals(ModelException.Reason.OVERLOADED, e.reason());
            assertTrue(e.getMessage().contains("tokens are waiting"), e.getMessage());
            assertTrue(e.retryAfterSeconds() >= 1);
            for (var a : admitted) assertEquals(16, a.join().size(), "admitted work completes");
            assertEquals(0, model.batcher().pendingTokens(), "every token accounted for");
        }
    }

    @Test
    void paddedGrouping_batchesSimilarLengthsAndBoundsPadding() {
        ModelRegistry padded =
                bundled(BatchOptions.defaults().withGrouping(BatchOptions.Grouping.PADDED));
        try (padded) {
            Model model = padded.get(Shared.EN);
            List<String> texts =
                    List.of(
                            "red green blue",
                            "the longest sentence of them all, with many more words than the rest. "
                                    .repeat(3),
                            "one two three",
                            "cats and dogs",
                            "a medium sized sentence with a few more words in it",
                            "sun moon star four");
            List<long[]> ids = new ArrayList<>();
            for (String t : texts) ids.add(model.tokenizer().encode(t, 512).ids());
            // Each result reports the padded length and size of the batch it ran in.
            List<int[]> shapes =
                    model.batcher().run(ids, null, (out, i) -> new int[] {out.seq(), out.batch()});
            for (int i = 0; i < ids.size(); i++) assertTrue(shapes.get(i)[0] >= ids.get(i).length);
            // The three 5-token texts and the 6-token one share a batch (3 padding tokens of 24,
            // under
            // 20%); the medium and the long one would push padding far past it and run alone.
            assertEquals(
                    List.of(5, 5, 5, 6),
                    List.of(
                            ids.get(0).length,
                            ids.get(2).length,
                            ids.get(3).length,
                            ids.get(5).length));
            for (int i : new int[] {0, 2, 3, 5})
                assertArrayEquals(new int[] {6, 4}, shapes.get(i), "text " + i);
            assertArrayEquals(new int[] {ids.get(4).length, 1}, shapes.get(4));
            assertArrayEquals(new int[] {ids.get(1).length, 1}, shapes.get(1));
        }
    }
}
