package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.models.Reranker.Ranking;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cross-encoder path against the tiny model of scripts/make-tiny-cross-encoder.py, whose logit
 * is (document tokens also in the query) - 2 over a 32-token window.
 */
class RerankerTest {

    private static ModelRegistry registry;
    private static Reranker reranker;

    @BeforeAll
    static void load() throws Exception {
        Path folders =
                Path.of(
                                RerankerTest.class
                                        .getResource("/tiny-cross-encoder/plinth-model.json")
                                        .toURI())
                        .getParent()
                        .getParent();
        registry =
                ModelRegistry.create(
                        ModelRegistry.Options.defaults().withFolders(List.of(folders)));
        reranker = new Reranker(registry);
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    @Test
    void crossEncoder_scoresPairsAsTheModelDefines() {
        Ranking ranking =
                reranker.rerank(
                        "tiny-cross-encoder",
                        "apple pie",
                        List.of("banana", "apple pie with red apple", "red apple", "Apple PIE"),
                        null);
        assertEquals("tiny-cross-encoder", ranking.model());
        assertEquals(
                List.of(1, 3, 2, 0),
                ranking.results().stream().map(Reranker.Result::index).toList());
        assertEquals(sigmoid(3 - 2), ranking.results().get(0).score(), 1e-6);
        assertEquals(sigmoid(2 - 2), ranking.results().get(1).score(), 1e-6);
        assertEquals(sigmoid(1 - 2), ranking.results().get(2).score(), 1e-6);
        assertEquals(sigmoid(0 - 2), ranking.results().get(3).score(), 1e-6);
        // [CLS] q [SEP] d [SEP]: 3 specials + 2 query tokens + each document's tokens.
        assertEquals(4 * 5 + 1 + 5 + 2 + 2, ranking.totalTokens());
    }

    @Test
    void crossEncoder_keepsTheBestWindowOfALongDocument() {
        // Window 32: 3 specials + 1 query token leave 28 document tokens; windows slide by 21.
        String document = "the ".repeat(40) + "apple apple";
        Ranking ranking =
                reranker.rerank("tiny-cross-encoder", "apple", List.of(document, "apple"), null);
        Reranker.Result first = ranking.results().getFirst();
        assertEquals(
                0, first.index(), "two matches in the second window beat one in a short document");
        assertEquals(sigmoid(2 - 2), first.score(), 1e-6);
        assertEquals((3 + 1 + 28) + (3 + 1 + 21) + (3 + 1 + 1), ranking.totalTokens());
    }

    @Test
    void crossEncoder_capsTheQueryAtHalfTheRoom() {
        // Room 29 → at most 14 query tokens: 'banana', the 15th, is cut away.
        String query = "the ".repeat(14) + "banana";
        Ranking ranking = reranker.rerank("tiny-cross-encoder", query, List.of("banana"), null);
        assertEquals(sigmoid(0 - 2), ranking.results().getFirst().score(), 1e-6);
        Ranking shortQuery =
                reranker.rerank("tiny-cross-encoder", "the banana", List.of("banana"), null);
        assertEquals(sigmoid(1 - 2), shortQuery.results().getFirst().score(), 1e-6);
    }

    @Test
    void crossEncoder_batchesManyDocumentsAlike() {
        List<String> documents =
                new java.util.ArrayList<>(Collections.nCopies(300, "green banana"));
        documents.set(123, "red apple pie");
        Ranking ranking = reranker.rerank("tiny-cross-encoder", "apple pie", documents, 2);
        assertEquals(2, ranking.results().size());
        assertEquals(123, ranking.results().getFirst().index());
        assertEquals(sigmoid(0), ranking.results().getFirst().score(), 1e-6);
        assertEquals(0, ranking.results().get(1).index(), "ties keep request order");
    }

    @Test
    void refusesBadRequests() {
        var unknown =
                assertThrows(
                        ModelException.class,
                        () -> reranker.rerank("nope", "q", List.of("d"), null));
        assertEquals(ModelException.Reason.UNKNOWN_MODEL, unknown.reason());
        assertTrue(unknown.getMessage().contains("tiny-cross-encoder"), unknown.getMessage());
        assertEquals(
                ModelException.Reason.INVALID_INPUT,
                assertThrows(
                                ModelException.class,
                                () -> reranker.rerank("tiny-cross-encoder", "q", List.of(), null))
                        .reason());
        assertEquals(
                ModelException.Reason.INVALID_INPUT,
                assertThrows(
                                ModelException.class,
                                () ->
                                        reranker.rerank(
                                                "tiny-cross-encoder",
                                                "q",
                                                Collections.nCopies(2049, "d"),
                                                null))
                        .reason());
        assertEquals(
                ModelException.Reason.INVALID_INPUT,
                assertThrows(
                                ModelException.class,
                                () -> reranker.rerank("tiny-cross-encoder", "q", List.of("d"), 0))
                        .reason());
    }

    @Test
    void relevanceIsSigmoidOrLastClassProbability() {
        assertEquals(
                0.5, CrossEncoder.relevance(new float[] {0}, ModelConfig.Activation.SIGMOID), 1e-9);
        assertEquals(
                Math.exp(2) / (Math.exp(1) + Math.exp(2)),
                CrossEncoder.relevance(new float[] {1, 2}, ModelConfig.Activation.SIGMOID),
                1e-9);
    }
}
