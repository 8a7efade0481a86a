package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Late interaction, multi-vector and zero-shot classification over the bundled English model. */
class LateInteractionTest {

    private static final String MODEL = "bge-small-en-v1.5-int8";
    private static ModelRegistry registry;

    @BeforeAll
    static void load() {
        registry = ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()));
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    @Test
    void maxSim_averagesEachQueryTokensBestMatch() {
        float[][] query = {{1, 0}, {0, 1}};
        float[][] document = {{1, 0}, {0.6f, 0.8f}};
        assertEquals((1 + 0.8) / 2, LateInteraction.maxSim(query, document), 1e-6);
        assertEquals(0, LateInteraction.maxSim(new float[0][], document));
        assertEquals(0.5 * 0.3 + 0.5 * 0.9, LateInteraction.fuse(0.3, 0.9), 1e-9);
    }

    @Test
    void multiVector_returnsOneUnitVectorPerTokenOfTheText() {
        MultiVector multiVector = new MultiVector(registry);
        String text = "Late interaction keeps every token.";
        MultiVector.Result result =
                multiVector.embed(MODEL, List.of(text), MultiVector.InputType.DOCUMENT, null);
        float[][] tokens = result.embeddings().getFirst();
        int pieces = registry.get(MODEL).tokenizer().pieces(text).length;
        assertEquals(pieces, tokens.length, "no [CLS]/[SEP] vectors");
        assertEquals(pieces + 2, result.totalTokens(), "usage counts what ran, specials included");
        for (float[] t : tokens) {
            assertEquals(384, t.length);
            assertEquals(1.0, LateInteraction.cosine(t, t), 1e-4);
        }
    }

    @Test
    void multiVector_dropsTheQueryPrefixAndCutsDimensions() {
        MultiVector multiVector = new MultiVector(registry);
        String text = "capital of France";
        MultiVector.Result query =
                multiVector.embed(MODEL, List.of(text), MultiVector.InputType.QUERY, 64);
        float[][] tokens = query.embeddings().getFirst();
        assertEquals(registry.get(MODEL).tokenizer().pieces(text).length, tokens.length);
        String prefix = registry.get(MODEL).config().task("retrieval.query").prefix();
        assertEquals(
                registry.get(MODEL).tokenizer().pieces(prefix + text).length + 2,
                query.totalTokens(),
                "the instruction prefix ran with the query");
        assertTrue(tokens.length < query.totalTokens() - 2 - 5);
        for (float[] t : tokens) {
            assertEquals(64, t.length);
            assertEquals(1.0, LateInteraction.cosine(t, t), 1e-4, "renormalized after the cut");
        }
        var tooWide =
                assertThrows(
                        ModelException.class,
                        () ->
                                multiVector.embed(
                                        MODEL, List.of(text), MultiVector.InputType.QUERY, 385));
        assertEquals(ModelException.Reason.INVALID_INPUT, tooWide.reason());
    }

    @Test
    void rerank_everyScoringPutsTheAnswerFirst() {
        Reranker reranker = new Reranker(registry);
        List<String> documents =
                List.of(
                        "Bananas are a yellow fruit rich in potassium.",
                        "Paris is the capital and largest city of France.",
                        "The Thames flows through London.");
        for (Reranker.Scoring scoring :
                List.of(Reranker.Scoring.COSINE, Reranker.Scoring.MAXSIM, Reranker.Scoring.FUSED)) {
            Reranker.Ranking ranking =
                    reranker.rerank(
                            MODEL + scoring.suffix(),
                            "What is the capital of France?",
                            documents,
                            null);
            assertEquals(1, ranking.results().getFirst().index(), scoring.name());
            assertEquals(3, ranking.results().size());
            assertTrue(ranking.results().get(0).score() > ranking.results().get(1).score());
            assertTrue(
                    ranking.totalTokens() > 30,
                    "query and documents counted: " + ranking.totalTokens());
        }
        assertEquals(MODEL + Reranker.DEFAULT_SCORING.suffix(), reranker.defaultModel());
        Reranker.Ranking byDefault =
                reranker.rerank(null, "Which river runs through London?", documents, 1);
        assertEquals(reranker.defaultModel(), byDefault.model());
        assertEquals(List.of(2), byDefault.results().stream().map(Reranker.Result::index).toList());
    }

    @Test
    void classify_predictsTheRightLabelWithScoresSummingToOne() {
        Classifier classifier = new Classifier(new Embedder(registry));
        List<String> labels = List.of("sports", "cooking", "finance");
        Classifier.Result result =
                classifier.classify(
                        null,
                        List.of(
                                "The striker scored twice in the final match.",
                                "Whisk the eggs and fold in the flour.",
                                "The central bank raised interest rates again."),
                        labels);
        assertEquals(MODEL, result.model());
        assertEquals(
                List.of("sports", "cooking", "finance"),
                result.data().stream().map(Classifier.Prediction::prediction).toList());
        for (Classifier.Prediction p : result.data()) {
            assertEquals(
                    1.0,
                    p.predictions().stream().mapToDouble(Classifier.LabelScore::score).sum(),
                    1e-9);
            assertEquals(
                    labels, p.predictions().stream().map(Classifier.LabelScore::label).toList());
            assertTrue(p.score() > 1.0 / labels.size());
        }
        assertEquals(
                ModelException.Reason.INVALID_INPUT,
                assertThrows(
                                ModelException.class,
                                () -> classifier.classify(null, List.of("x"), List.of("only one")))
                        .reason());
        assertEquals(
                ModelException.Reason.INVALID_INPUT,
                assertThrows(
                                ModelException.class,
                                () -> classifier.classify(null, List.of("x"), List.of("a", "a")))
                        .reason());
    }
}
