package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A ColBERT folder shaped like jina-colbert-v2 on the tiny model of
 * scripts/make-tiny-jina-models.py: {@code last_hidden_state [batch, seq, 6]} = {@code [v%3==0,
 * v%3==1, v%3==2, mask, 1, 0]}, projected beside the model by {@code projection.safetensors} to
 * {@code [r0+1, r1+1, r2+1, mask]}; {@code [QueryMarker]}/{@code [DocumentMarker]} added tokens,
 * queries of 8 tokens padded with {@code <mask>} outside the attention mask.
 */
class ColBertTest {

    private static final String MODEL = "tiny-jina-colbert";
    private static ModelRegistry registry;

    @BeforeAll
    static void load() {
        registry = TinyModels.registry();
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    /** The projected, normalized vector of token id {@code v} with attention {@code mask}. */
    private static float[] vector(long v, int mask) {
        double[] out = {1, 1, 1, mask};
        out[(int) (v % 3)] += 1;
        return TinyModels.normalized(out);
    }

    @Test
    void query_isMarkedAndAugmentedWithMasksOutsideTheAttention() {
        Tokenizer tok = registry.get(MODEL).tokenizer();
        long marker = tok.vocabularyId("[QueryMarker]");
        long mask = tok.vocabularyId("<mask>");
        long[] pieces = tok.pieces("red apple");
        long[] ids = {0, marker, pieces[0], pieces[1], 2, mask, mask, mask};
        MultiVector.Result r =
                new MultiVector(registry)
                        .embed(MODEL, List.of("red apple"), MultiVector.InputType.QUERY, null);
        float[][] got = r.embeddings().getFirst();
        assertEquals(8, got.length, "query_tokens positions, expansion included");
        for (int t = 0; t < 8; t++)
            assertArrayEquals(vector(ids[t], t < 5 ? 1 : 0), got[t], 1e-6f, "position " + t);
        assertEquals(8, r.totalTokens());
    }

    @Test
    void document_isMarkedAndDropsPunctuation() {
        Tokenizer tok = registry.get(MODEL).tokenizer();
        long marker = tok.vocabularyId("[DocumentMarker]");
        long[] pieces = tok.pieces("red apple, sweet pie.");
        assertEquals(6, pieces.length, "▁red ▁apple , ▁sweet ▁pie .");
        MultiVector.Result r =
                new MultiVector(registry)
                        .embed(
                                MODEL,
                                List.of("red apple, sweet pie."),
                                MultiVector.InputType.DOCUMENT,
                                2);
        float[][] got = r.embeddings().getFirst();
        long[] kept = {0, marker, pieces[0], pieces[1], pieces[3], pieces[4], 2};
        assertEquals(kept.length, got.length, "every real token but ',' and '.'");
        for (int t = 0; t < kept.length; t++) {
            float[] full = vector(kept[t], 1);
            assertArrayEquals(TinyModels.normalized(full[0], full[1]), got[t], 1e-6f, "token " + t);
        }
    }

    @Test
    void rerank_withAColbertModelIsMaxSimOverItsOwnVectors() {
        List<String> docs = List.of("a dog barks", "red apple pie");
        Reranker.Ranking ranking = new Reranker(registry).rerank(MODEL, "red apple", docs, null);
        MultiVector mv = new MultiVector(registry);
        float[][] q =
                mv.embed(MODEL, List.of("red apple"), MultiVector.InputType.QUERY, null)
                        .embeddings()
                        .getFirst();
        for (Reranker.Result res : ranking.results()) {
            float[][] d =
                    mv.embed(
                                    MODEL,
                                    List.of(docs.get(res.index())),
                                    MultiVector.InputType.DOCUMENT,
                                    null)
                            .embeddings()
                            .getFirst();
            assertEquals(LateInteraction.maxSim(q, d), res.score(), 1e-6);
        }
    }
}
