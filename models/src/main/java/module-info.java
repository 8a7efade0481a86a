/**
 * The models: embeddings, reranking, late interaction, zero-shot classification and segmentation on
 * ONNX Runtime.
 *
 * <p>One package; its entry points are {@code ModelRegistry} (which models exist and loading them),
 * {@code Embedder}, {@code Reranker}, {@code MultiVector}, {@code Classifier} and {@code
 * Segmenter}, with their option and result records. The engine beneath (tokenizer, ONNX session,
 * batcher, pooling) is package-private.
 */
module dev.plinth.models {
    requires transitive com.fasterxml.jackson.databind;
    requires com.microsoft.onnxruntime;
    requires ai.djl.tokenizers;
    requires ai.djl.api;
    requires com.google.protobuf;
    requires jtokkit;
    requires java.desktop; // ImageIO for the image tower's pixels
    requires java.logging;

    exports dev.plinth.models;

    // Model configs are records read by Jackson.
    opens dev.plinth.models to
            com.fasterxml.jackson.databind;
}
