package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.Segmenter;
import io.javalin.Javalin;
import io.javalin.http.Context;

/**
 * {@code POST /v1/segment}: token counts, tokens and chunks, Jina's Segmenter API. Body {@code
 * {content, tokenizer?, return_tokens?, return_chunks?, max_chunk_length?, head?, tail?}}; see
 * {@link SegmentResponse} for the answer.
 */
final class SegmentRoutes implements RouteGroup {

    private final Segmenter segmenter;

    SegmentRoutes(Segmenter segmenter) {
        this.segmenter = segmenter;
    }

    @Override
    public void register(Javalin app) {
        app.post("/v1/segment", this::segment);
    }

    private void segment(Context ctx) {
        ObjectNode body = ModelRequests.body(ctx);
        String content = ModelRequests.requiredString(body, "content");
        Integer maxChunkLength = ModelRequests.integer(body, "max_chunk_length");
        Segmenter.Segmentation result =
                ModelRequests.call(
                        ctx,
                        () ->
                                segmenter.segment(
                                        content,
                                        new Segmenter.Options(
                                                ModelRequests.string(
                                                        body,
                                                        "tokenizer",
                                                        Segmenter.DEFAULT_TOKENIZER),
                                                ModelRequests.bool(body, "return_tokens", false),
                                                ModelRequests.bool(body, "return_chunks", false),
                                                maxChunkLength == null
                                                        ? Segmenter.DEFAULT_MAX_CHUNK_LENGTH
                                                        : maxChunkLength,
                                                ModelRequests.integer(body, "head"),
                                                ModelRequests.integer(body, "tail"))));
        ctx.json(SegmentResponse.of(result));
    }
}
