package dev.plinth.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model folder, loaded: its config, tokenizer, ONNX session and (for encoders) the one {@link
 * Batcher} every request for it goes through. Obtain models from {@link ModelRegistry}.
 */
public final class Model implements AutoCloseable {

    private final ModelConfig config;
    private final Path folder;
    private final Tokenizer tokenizer;
    private final OnnxEncoder encoder;
    private final Batcher batcher;

    private Model(
            ModelConfig config,
            Path folder,
            Tokenizer tokenizer,
            OnnxEncoder encoder,
            Batcher.Options batching) {
        this.config = config;
        this.folder = folder;
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.batcher = new Batcher(encoder, batching);
    }

    /** Loads a folder holding {@code model.onnx}, {@code tokenizer.json} and the given config. */
    static Model load(
            ModelConfig config,
            Path folder,
            OnnxEncoder.Options session,
            Batcher.Options batching) {
        Path onnx = folder.resolve("model.onnx");
        Path json = folder.resolve("tokenizer.json");
        for (Path p : new Path[] {onnx, json}) {
            if (!Files.isRegularFile(p)) {
                throw new ModelException(
                        ModelException.Reason.LOAD_FAILED,
                        "model " + config.name() + ": " + p + " is missing",
                        null);
            }
        }
        Tokenizer tokenizer;
        try {
            tokenizer = Tokenizer.load(Files.readAllBytes(json), config.lowercase());
        } catch (IOException | RuntimeException e) {
            throw new ModelException(
                    ModelException.Reason.LOAD_FAILED,
                    "model " + config.name() + ": cannot read " + json + ": " + e.getMessage(),
                    e);
        }
        OnnxEncoder encoder;
        try {
            encoder = OnnxEncoder.load(config, onnx, session);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return new Model(config, folder, tokenizer, encoder, batching);
    }

    /** The model's {@code plinth-model.json}. */
    public ModelConfig config() {
        return config;
    }

    /** The model's name. */
    public String name() {
        return config.name();
    }

    /** Where the model was loaded from (a folder, or a folder inside a jar). */
    public Path folder() {
        return folder;
    }

    /** The model's tokenizer. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The model's ONNX session; run it through {@link #batcher()} when serving. */
    public OnnxEncoder encoder() {
        return encoder;
    }

    /** The model's one batcher, shared by all requests. */
    public Batcher batcher() {
        return batcher;
    }

    @Override
    public void close() {
        batcher.close();
        encoder.close();
        tokenizer.close();
    }
}
