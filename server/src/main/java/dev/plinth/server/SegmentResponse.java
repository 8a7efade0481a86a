package dev.plinth.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.plinth.models.Segmenter;
import java.util.List;

/**
 * The body of a {@code /v1/segment} answer: {@code {num_tokens, tokenizer, usage: {tokens},
 * num_chunks, chunk_positions, chunks, tokens}}. Chunk fields appear only when chunks were asked
 * for; {@code tokens} only when tokens were, as {@code [text, [ids]]} pairs — a flat list, or one
 * list per chunk when chunks were asked too.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record SegmentResponse(
        @JsonProperty("num_tokens") int numTokens,
        String tokenizer,
        Usage usage,
        @JsonProperty("num_chunks") Integer numChunks,
        @JsonProperty("chunk_positions") List<int[]> chunkPositions,
        List<String> chunks,
        List<?> tokens) {

    /** What the request used. */
    record Usage(int tokens) {}

    static SegmentResponse of(Segmenter.Segmentation result) {
        List<Segmenter.Chunk> chunks = result.chunks();
        List<?> tokens = null;
        if (result.tokens() != null) {
            List<List<List<Object>>> perList =
                    result.tokens().stream().map(SegmentResponse::pairs).toList();
            tokens = chunks == null ? perList.getFirst() : perList;
        }
        return new SegmentResponse(
                result.numTokens(),
                result.tokenizer(),
                new Usage(result.numTokens()),
                chunks == null ? null : chunks.size(),
                chunks == null
                        ? null
                        : chunks.stream().map(c -> new int[] {c.start(), c.end()}).toList(),
                chunks == null ? null : chunks.stream().map(Segmenter.Chunk::text).toList(),
                tokens);
    }

    private static List<List<Object>> pairs(List<Segmenter.Token> tokens) {
        return tokens.stream().map(t -> List.<Object>of(t.text(), t.ids())).toList();
    }
}
