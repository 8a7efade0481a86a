package dev.plinth.models;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A model's own tokenizer as the {@link Segmenter} needs it: ids with the character span each came
 * from. The spans come from the HuggingFace tokenizer (DJL), which counts in Unicode code points;
 * they are turned into Java string offsets here. Loaded from the model folder's {@code
 * tokenizer.json} on first use, without loading the ONNX model, and kept.
 */
final class ModelPieces implements Segmenter.Tokenizer {

    private static final Map<String, ModelPieces> LOADED = new ConcurrentHashMap<>();

    private final HuggingFaceTokenizer tokenizer;
    private final boolean lowercase;

    private ModelPieces(HuggingFaceTokenizer tokenizer, boolean lowercase) {
        this.tokenizer = tokenizer;
        this.lowercase = lowercase;
    }

    /** The tokenizer of the registry's model {@code name}, if there is such a model. */
    static Optional<Segmenter.Tokenizer> of(ModelRegistry registry, String requested) {
        String name = registry.resolve(requested);
        for (ModelRegistry.Available a : registry.available()) {
            if (!a.config().name().equals(name)) continue;
            return Optional.of(
                    LOADED.computeIfAbsent(
                            a.folder().toAbsolutePath() + "|" + name, key -> load(a)));
        }
        return Optional.empty();
    }

    private static ModelPieces load(ModelRegistry.Available model) {
        Natives.silenceDjl();
        try (InputStream in = Files.newInputStream(model.folder().resolve("tokenizer.json"))) {
            return new ModelPieces(
                    HuggingFaceTokenizer.newInstance(
                            in,
                            Map.of(
                                    "truncation",
                                    "false",
                                    "padding",
                                    "false",
                                    "addSpecialTokens",
                                    "false")),
                    model.config().lowercase());
        } catch (IOException | RuntimeException e) {
            throw new ModelException(
                    ModelException.Reason.LOAD_FAILED,
                    "model "
                            + model.config().name()
                            + ": cannot read its tokenizer: "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public List<Segmenter.Piece> pieces(String text) {
        String input = text;
        if (lowercase) {
            String lower = text.toLowerCase(Locale.ROOT);
            if (lower.length() == text.length())
                input = lower; // spans must still index the original
        }
        Encoding encoding = tokenizer.encode(input, false, false);
        long[] ids = encoding.getIds();
        CharSpan[] spans = encoding.getCharTokenSpans();
        int codePoints = text.codePointCount(0, text.length());
        List<Segmenter.Piece> pieces = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            CharSpan span = spans[i];
            int start = span == null ? 0 : Math.min(codePoints, Math.max(0, span.getStart()));
            int end = span == null ? start : Math.min(codePoints, Math.max(start, span.getEnd()));
            pieces.add(
                    new Segmenter.Piece(
                            text.offsetByCodePoints(0, start),
                            text.offsetByCodePoints(0, end),
                            new int[] {Math.toIntExact(ids[i])}));
        }
        return pieces;
    }
}
