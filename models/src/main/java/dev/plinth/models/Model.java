package dev.plinth.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A model folder, loaded: its config, tokenizer, ONNX session and the one {@link Batcher} every
 * request for it goes through; for a CLIP model also its image tower and preprocessing, for a
 * ColBERT model its marker tokens and projection. Obtain models from {@link ModelRegistry}.
 */
public final class Model implements AutoCloseable {

    /**
     * A ColBERT model's token ids and projection, resolved at load.
     *
     * @param queryMarker the query marker's id, or -1 for none
     * @param documentMarker the document marker's id, or -1 for none
     * @param mask the id queries are padded with (the tokenizer's mask token)
     * @param skip document token ids that are dropped (bare punctuation)
     * @param projection the linear map applied to each token state, or null when the model's output
     *     is projected already
     */
    record ColBertIds(
            long queryMarker,
            long documentMarker,
            long mask,
            java.util.Set<Long> skip,
            Safetensors.Matrix projection) {}

    private final ModelConfig config;
    private final Path folder;
    private final Tokenizer tokenizer;
    private final OnnxEncoder encoder;
    private final Batcher batcher;
    private final OnnxEncoder vision;
    private final ImagePreprocessor images;
    private final ColBertIds colbert;
    private final java.util.concurrent.Semaphore imageRuns =
            new java.util.concurrent.Semaphore(1, true);
    private final java.time.Duration maxWait;

    private Model(
            ModelConfig config,
            Path folder,
            Tokenizer tokenizer,
            OnnxEncoder encoder,
            BatchOptions batching,
            OnnxEncoder vision,
            ImagePreprocessor images,
            ColBertIds colbert) {
        this.config = config;
        this.folder = folder;
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.batcher = new Batcher(encoder, batching);
        this.vision = vision;
        this.images = images;
        this.colbert = colbert;
        this.maxWait = batching.maxWait();
    }

    /** Loads a folder holding the config's ONNX file(s), {@code tokenizer.json} and the config. */
    static Model load(
            ModelConfig config, Path folder, SessionOptions session, BatchOptions batching) {
        // Each of the batcher's workers runs on its own share of the cores; a run that has the
        // model to itself takes them all (see Batcher).
        int allThreads = session.threads();
        session = session.withThreads(Math.max(1, allThreads / batching.workers()));
        Path onnx = folder.resolve(config.onnxFile());
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
        List<AutoCloseable> opened = new ArrayList<>(List.of(tokenizer));
        try {
            ImagePreprocessor images = null;
            Map<String, long[]> textFillers = Map.of();
            Path visionFile = null;
            if (config.kind() == ModelConfig.Kind.CLIP) {
                images = preprocessor(config, folder);
                String file = config.vision().file();
                visionFile = folder.resolve(file == null ? config.onnxFile() : file);
                if (visionFile.equals(onnx))
                    textFillers =
                            Map.of(
                                    config.vision().input(),
                                    new long[] {1, 3, images.height(), images.width()});
            }
            OnnxEncoder encoder = OnnxEncoder.load(config, onnx, session, textFillers, allThreads);
            opened.add(encoder);
            OnnxEncoder vision = null;
            if (visionFile != null) {
                boolean shared = visionFile.equals(onnx);
                if (!shared && !Files.isRegularFile(visionFile))
                    throw loadError(config, visionFile + " is missing");
                Map<String, long[]> fillers = new LinkedHashMap<>();
                if (shared) {
                    for (String input : OnnxEncoder.inputNames(encoder)) {
                        if (input.equals(config.vision().input())) continue;
                        fillers.put(
                                input,
                                input.equals(config.taskInput()) && encoder.scalarTaskInput()
                                        ? new long[0]
                                        : new long[] {1, 1});
                    }
                }
                vision =
                        OnnxEncoder.loadVision(
                                config, visionFile, session, shared ? encoder : null, fillers);
                opened.add(vision);
            }
            ColBertIds colbert =
                    config.kind() == ModelConfig.Kind.COLBERT
                            ? colbertIds(config, folder, tokenizer, encoder)
                            : null;
            return new Model(config, folder, tokenizer, encoder, batching, vision, images, colbert);
        } catch (RuntimeException e) {
            for (AutoCloseable c : opened.reversed()) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // the load error is the one to report
                }
            }
            throw e;
        }
    }

    private static ImagePreprocessor preprocessor(ModelConfig config, Path folder) {
        Path file = folder.resolve(config.vision().preprocessor());
        if (!Files.isRegularFile(file)) throw loadError(config, file + " is missing");
        try (InputStream in = Files.newInputStream(file)) {
            return ImagePreprocessor.read(in);
        } catch (IOException | IllegalArgumentException e) {
            throw loadError(config, file.getFileName() + ": " + e.getMessage());
        }
    }

    private static ColBertIds colbertIds(
            ModelConfig config, Path folder, Tokenizer tokenizer, OnnxEncoder encoder) {
        ModelConfig.ColBert c = config.colbert();
        long query = marker(config, tokenizer, c.queryMarker(), "query_marker");
        long document = marker(config, tokenizer, c.documentMarker(), "document_marker");
        long mask = -1;
        for (String m : List.of("[MASK]", "<mask>")) {
            mask = tokenizer.vocabularyId(m);
            if (mask >= 0) break;
        }
        if (mask < 0 && c.augmentQuery())
            throw loadError(
                    config,
                    "query augmentation needs a mask token ([MASK] or <mask>) and the tokenizer has"
                            + " neither; set \"augment_query\": false");
        java.util.Set<Long> skip = new java.util.HashSet<>();
        if (c.skipPunctuation()) {
            for (char ch : "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".toCharArray()) {
                long id = tokenizer.vocabularyId(String.valueOf(ch));
                if (id >= 0) skip.add(id);
            }
        }
        Safetensors.Matrix projection = null;
        if (c.projection() != null) {
            Path file = folder.resolve(c.projection());
            try {
                projection = Safetensors.matrix(file);
            } catch (IOException e) {
                throw loadError(config, file.getFileName() + ": " + e.getMessage());
            }
            long width = encoder.outputWidth();
            if (projection.rows() != config.dimensions()
                    || (width > 0 && projection.columns() != width))
                throw loadError(
                        config,
                        "projection "
                                + c.projection()
                                + " is ["
                                + projection.rows()
                                + ", "
                                + projection.columns()
                                + "] but the output is "
                                + width
                                + " wide and dimensions is "
                                + config.dimensions()
                                + " (it must be [dimensions, output width])");
        }
        return new ColBertIds(query, document, mask, java.util.Set.copyOf(skip), projection);
    }

    private static long marker(
            ModelConfig config, Tokenizer tokenizer, String token, String field) {
        if (token == null) return -1;
        long id = tokenizer.vocabularyId(token);
        if (id < 0)
            throw loadError(config, field + " '" + token + "' is not a token of tokenizer.json");
        return id;
    }

    private static ModelException loadError(ModelConfig config, String what) {
        return new ModelException(
                ModelException.Reason.LOAD_FAILED, "model " + config.name() + ": " + what, null);
    }

    /** The image tower, or null when the model takes no images. */
    OnnxEncoder vision() {
        return vision;
    }

    /** Whether the model embeds images (a CLIP model). */
    public boolean takesImages() {
        return vision != null;
    }

    /**
     * Runs preprocessed images through the image tower, a few at a time, one run at a time (the
     * session already spreads one run over every core); waits at most the batcher's wait bound for
     * its turn, then refuses with {@link ModelException.Reason#OVERLOADED}.
     */
    List<float[]> runImages(List<float[]> pixels) {
        if (vision == null)
            throw ModelException.invalid("model " + config.name() + " takes no images");
        int h = images.height(), w = images.width();
        List<float[]> out = new ArrayList<>(pixels.size());
        PoolingMode pooling =
                config.vision().pooling() == null ? PoolingMode.NONE : config.vision().pooling();
        for (int from = 0; from < pixels.size(); from += IMAGE_BATCH) {
            int n = Math.min(IMAGE_BATCH, pixels.size() - from);
            float[] batch = new float[n * 3 * h * w];
            for (int i = 0; i < n; i++)
                System.arraycopy(pixels.get(from + i), 0, batch, i * 3 * h * w, 3 * h * w);
            boolean acquired;
            try {
                acquired = imageRuns.tryAcquire(maxWait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw ModelException.unavailable("interrupted while waiting for the image tower");
            }
            if (!acquired)
                throw ModelException.overloaded(
                        "model "
                                + config.name()
                                + " is busy with images: no turn within "
                                + maxWait.toSeconds()
                                + " s",
                        (int) Math.max(1, maxWait.toSeconds()));
            try {
                OnnxEncoder.Output o = vision.runImages(batch, new long[] {n, 3, h, w});
                for (int i = 0; i < n; i++) out.add(o.pooled(i, pooling));
            } finally {
                imageRuns.release();
            }
        }
        return out;
    }

    /** The image preprocessing, or null when the model takes no images. */
    public ImagePreprocessor images() {
        return images;
    }

    /** A ColBERT model's markers, mask, skip list and projection; null for other kinds. */
    ColBertIds colbert() {
        return colbert;
    }

    /** Images per run of the image tower. */
    static final int IMAGE_BATCH = 8;

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
    Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The model's ONNX session; run it through {@link #batcher()} when serving. */
    OnnxEncoder encoder() {
        return encoder;
    }

    /** The model's one batcher, shared by all requests. */
    Batcher batcher() {
        return batcher;
    }

    /** How many tokens the model's tokenizer makes of {@code text}, special tokens included. */
    public int countTokens(String text) {
        return tokenizer.encode(text, Integer.MAX_VALUE).length();
    }

    /** Where the model's text session spent its time since it was loaded. */
    public Timings timings() {
        return encoder.timings();
    }

    /**
     * Where a session's time went since it was loaded, in nanoseconds: building the padded input
     * tensors, ORT's run, copying the output out; and the real and padded token counts.
     */
    public record Timings(
            long feedNanos,
            long runNanos,
            long readNanos,
            long runs,
            long tokens,
            long paddedTokens) {}

    /**
     * Closes the batcher (waiting for its run in progress), the image tower, the session and the
     * tokenizer, in that order; each waits for its calls in progress.
     */
    @Override
    public void close() {
        batcher.close();
        if (vision != null) vision.close();
        encoder.close();
        tokenizer.close();
    }
}
