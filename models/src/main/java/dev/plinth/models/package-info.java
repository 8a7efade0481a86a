/**
 * Embeddings, reranking, classification and segmentation on ONNX Runtime, offline.
 *
 * <p>Entry points: {@link dev.plinth.models.Embedder} (texts → vectors), beside the reranking and
 * multi-vector classes built on the same engine. Underneath, one path for every model: {@link
 * dev.plinth.models.ModelRegistry} (bundled models and model folders, a default per endpoint) →
 * {@link dev.plinth.models.Model} ({@link dev.plinth.models.ModelConfig} from {@code
 * plinth-model.json}, a {@link dev.plinth.models.Tokenizer}, one {@link
 * dev.plinth.models.OnnxEncoder} session and one {@link dev.plinth.models.Batcher}) → {@link
 * dev.plinth.models.Pooling} → {@link dev.plinth.models.EmbeddingType} on the wire. {@link
 * dev.plinth.models.Catalog} knows the installable Maven model artifacts; {@link
 * dev.plinth.models.Natives} loads the native libraries without telemetry or temp folders. Failures
 * are {@link dev.plinth.models.ModelException}s whose reason maps to an HTTP status.
 */
package dev.plinth.models;
