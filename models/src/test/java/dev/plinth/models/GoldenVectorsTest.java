package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallzhv15q.BgeSmallZhV15QuantizedEmbeddingModel;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Each bundled model against an independent path: LangChain4j's own model class for the same
 * artifact (its own session, one text per call, its own pooling). Agreement to 1e-4 per value.
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

    @Test
    void bgeSmallEnInt8_matchesLangChain4j() {
        compare(Shared.EN, new BgeSmallEnV15QuantizedEmbeddingModel(), ENGLISH, false);
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
