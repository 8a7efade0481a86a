package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link ModelRegistry#close} at any moment: during a model load (a SIGTERM in the first seconds
 * crashed the JVM in ORT's createSession), while batches run, and before a later request.
 */
class RegistryCloseTest {

    private static ModelRegistry bundled() {
        return ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()));
    }

    @Test
    void closeDuringALoad_waitsForItAndTheLoadFailsCleanly() throws Exception {
        ModelRegistry registry = bundled();
        CountDownLatch loading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        registry.beforeLoad =
                () -> {
                    loading.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
        // Own threads: the common pool may have one worker, which the held load would occupy.
        var threads = java.util.concurrent.Executors.newFixedThreadPool(2);
        CompletableFuture<Model> load =
                CompletableFuture.supplyAsync(() -> registry.get(Shared.EN), threads);
        assertTrue(loading.await(30, TimeUnit.SECONDS), "the load started");
        CompletableFuture<Void> close = CompletableFuture.runAsync(registry::close, threads);
        Thread.sleep(300);
        assertFalse(close.isDone(), "close waits for the load in progress");
        release.countDown(); // createSession now runs for real, with close waiting on it
        close.get(60, TimeUnit.SECONDS);
        CompletionException e = assertThrows(CompletionException.class, load::join);
        assertEquals(ModelException.Reason.UNAVAILABLE, ((ModelException) e.getCause()).reason());
        ModelException later = assertThrows(ModelException.class, () -> registry.get(Shared.EN));
        assertEquals(ModelException.Reason.UNAVAILABLE, later.reason());
        assertTrue(later.getMessage().contains("closed"), later.getMessage());
        threads.shutdown();
    }

    @Test
    void closeWhileBatchesRun_endsEveryRequestAndRefusesLaterOnes() throws Exception {
        ModelRegistry registry = bundled();
        Embedder embedder = new Embedder(registry);
        embedder.embed(Embedder.Request.of(List.of("warm")).withModel(Shared.EN));
        List<CompletableFuture<Embedder.Result>> running = new ArrayList<>();
        var threads = java.util.concurrent.Executors.newFixedThreadPool(8);
        for (int c = 0; c < 8; c++) {
            running.add(
                    CompletableFuture.supplyAsync(
                            () ->
                                    embedder.embed(
                                            Embedder.Request.of(
                                                            java.util.Collections.nCopies(
                                                                    32, "a sentence to embed " + 7))
                                                    .withModel(Shared.EN)),
                            threads));
        }
        Thread.sleep(50);
        registry.close();
        for (var r : running) {
            try {
                assertEquals(32, r.join().embeddings().size());
            } catch (CompletionException e) {
                ModelException m = (ModelException) e.getCause();
                assertEquals(ModelException.Reason.UNAVAILABLE, m.reason(), m.getMessage());
            }
        }
        ModelException later =
                assertThrows(
                        ModelException.class,
                        () ->
                                embedder.embed(
                                        Embedder.Request.of(List.of("x")).withModel(Shared.EN)));
        assertEquals(ModelException.Reason.UNAVAILABLE, later.reason());
        registry.close(); // twice is fine
        threads.shutdown();
    }
}
