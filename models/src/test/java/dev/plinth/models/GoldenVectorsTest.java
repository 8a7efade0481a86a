package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallzhv15q.BgeSmallZhV15QuantizedEmbeddingModel;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Each bundled model against an independent path: LangChain4j's own model class (its own session,
 * one text per call, its own pooling). bge-small-zh's int8 file is the artifact's own: agreement to
 * 1e-4 per value. bge-small-en's is derived from the fp32 export (Quantizer), so it is held to
 * LangChain4j's fp32 model by cosine.
 */
class GoldenVectorsTest {

    static final List<String> ENGLISH =
            List.of(
                    "A man is playing a guitar.",
                    "The quick brown fox jumps over the lazy dog, while the farmer watches from the porch and wonders why.",
                    "ok",
                    "Embeddings turn text into vectors so that similar meanings land close together in space.");
    static final List<String> CHINESE =
            List.of("一个男人在弹吉他。", "今天天气很好，我们去公园散步吧，顺便买点水果回家。", "openai 发布了新的模型");

    /**
     * The least cosine a derived int8 vector may have to the fp32 model's (the shortest text, "ok",
     * is the hardest: 0.985 for all-MiniLM-L6-v2, 0.998 for bge-small-en).
     */
    static final double MIN_COSINE = 0.98;

    @Test
    void bgeSmallEnInt8_staysCloseToLangChain4jFp32() {
        compareCosine(Shared.EN, new BgeSmallEnV15EmbeddingModel(), ENGLISH, Shared.EMBEDDER);
    }

    /** As {@link #compare}, by cosine: an int8 model against the fp32 model it was derived from. */
    static void compareCosine(
            String name, EmbeddingModel fp32, List<String> texts, Embedder embedder) {
        List<float[]> ours =
                embedder.embed(Embedder.Request.of(texts).withModel(name)).embeddings();
        for (int i = 0; i < texts.size(); i++) {
            float[] theirs = fp32.embed(texts.get(i)).content().vector();
            double cos = Shared.dot(ours.get(i), theirs); // both unit length
            assertTrue(cos > MIN_COSINE, name + " text " + i + ": cosine " + cos);
            // And far from every other text: the vector is this text's, not an average.
            for (int j = 0; j < texts.size(); j++)
                if (j != i)
                    assertTrue(
                            Shared.dot(ours.get(i), fp32.embed(texts.get(j)).content().vector())
                                    < cos - 0.05,
                            name + " text " + i + " is as close to text " + j);
        }
    }

    @Test
    void bgeSmallZhInt8_matchesLangChain4jOnLowercasedText() {
        // LangChain4j feeds text as is; plinth lowercases for this model, so give both lowercase
        // text.
        compare(Shared.ZH, new BgeSmallZhV15QuantizedEmbeddingModel(), CHINESE, true);
    }

    static void compare(
            String name, EmbeddingModel reference, List<String> texts, boolean lowercase) {
        compare(name, reference, texts, lowercase, Shared.EMBEDDER);
    }

    static void compare(
            String name,
            EmbeddingModel reference,
            List<String> texts,
            boolean lowercase,
            Embedder embedder) {
        // One request with every text: batched together, and still equal to one-by-one.
        List<float[]> ours =
                embedder.embed(Embedder.Request.of(texts).withModel(name)).embeddings();
        for (int i = 0; i < texts.size(); i++) {
            String t = lowercase ? texts.get(i).toLowerCase(Locale.ROOT) : texts.get(i);
            float[] theirs = reference.embed(t).content().vector();
            float diff = Shared.maxAbsDiff(ours.get(i), theirs);
            assertTrue(diff < 1e-4, name + " text " + i + ": max |diff| " + diff);
        }
    }
}
