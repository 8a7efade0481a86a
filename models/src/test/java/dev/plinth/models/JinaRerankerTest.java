package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cross-encoder with jina-reranker-v2-base-multilingual's signature ({@code input_ids}, {@code
 * attention_mask}, no {@code token_type_ids} → {@code logits [batch, 1]}, XLM-R's pair template
 * {@code <s> q </s></s> d </s>}) on the tiny model of scripts/make-tiny-jina-models.py: logit =
 * (document tokens whose word is in the query) − 2, the document being what follows the first
 * {@code </s>}. Without segment ids the model can only tell query from document by the template, so
 * a right score proves the layout too.
 */
class JinaRerankerTest {

    private static final String MODEL = "tiny-jina-reranker";
    private static ModelRegistry registry;

    @BeforeAll
    static void load() {
        registry = TinyModels.registry();
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    private static int overlap(String query, String document) {
        Tokenizer tok = registry.get(MODEL).tokenizer();
        Set<Long> q = new HashSet<>();
        for (long id : tok.pieces(query)) q.add(id);
        int n = 0;
        for (long id : tok.pieces(document)) if (q.contains(id)) n++;
        return n;
    }

    @Test
    void scores_areSigmoidOfTheLogitInTheJinaShape() {
        String query = "what is the capital of france";
        List<String> docs =
                List.of("a cat sleeps", "paris is the capital of france", "berlin is a city");
        Reranker.Ranking ranking = new Reranker(registry).rerank(MODEL, query, docs, null);
        assertEquals(MODEL, ranking.model());
        assertEquals(1, ranking.results().getFirst().index());
        for (Reranker.Result r : ranking.results()) {
            double logit = overlap(query, docs.get(r.index())) - 2;
            assertEquals(1 / (1 + Math.exp(-logit)), r.score(), 1e-6, "doc " + r.index());
        }
        assertEquals(5, overlap(query, docs.get(1)), "is the capital of france");
    }

    @Test
    void longDocument_keepsItsBestWindowWithinTheModelsOwnMaxLength() {
        // 32-token windows: the matching words sit far past the first window.
        String doc = "a cat sleeps and a dog barks ".repeat(10) + "paris is the capital of france";
        Reranker.Ranking ranking =
                new Reranker(registry)
                        .rerank(MODEL, "capital of france", List.of(doc, "a dog"), null);
        assertEquals(0, ranking.results().getFirst().index());
        assertEquals(1 / (1 + Math.exp(-(3 - 2))), ranking.results().getFirst().score(), 1e-6);
    }

    @Test
    void activationNone_answersTheRawLogit(@TempDir Path dir) throws Exception {
        TinyModels.copyWithConfig(
                "tiny-jina-reranker",
                dir,
                "{\"name\": \"raw-reranker\", \"kind\": \"cross-encoder\", \"max_tokens\": 32,"
                        + " \"output\": \"logits\", \"activation\": \"none\"}");
        try (ModelRegistry r =
                ModelRegistry.create(
                        ModelRegistry.Options.defaults()
                                .withFolders(List.of(dir))
                                .withBundled(false))) {
            Reranker.Ranking ranking =
                    new Reranker(r)
                            .rerank(
                                    "raw-reranker",
                                    "capital of france",
                                    List.of("the capital of france", "a cat"),
                                    null);
            assertEquals(1.0, ranking.results().get(0).score(), 1e-6);
            assertEquals(-2.0, ranking.results().get(1).score(), 1e-6);
            assertTrue(ranking.results().get(1).score() < 0, "no sigmoid");
        }
    }
}
