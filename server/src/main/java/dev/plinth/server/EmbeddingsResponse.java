package dev.plinth.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The {@code POST /v1/embeddings} answer, Jina/OpenAI shaped: {@code
 * {"model","object":"list","usage":{"total_tokens","prompt_tokens"},
 * "data":[{"object":"embedding","index","embedding"}]}}. {@code embedding} is a number array, a
 * base64 string or an int array, or an object keyed by type when several types were asked for.
 */
record EmbeddingsResponse(String model, String object, Usage usage, List<Item> data) {

    /** Tokens embedded (both fields carry the same count, as Jina's API does). */
    record Usage(
            @JsonProperty("total_tokens") int totalTokens,
            @JsonProperty("prompt_tokens") int promptTokens) {}

    /** One input's embedding. */
    record Item(String object, int index, Object embedding) {}

    static EmbeddingsResponse of(String model, int tokens, List<Object> embeddings) {
        List<Item> items = new java.util.ArrayList<>(embeddings.size());
        for (int i = 0; i < embeddings.size(); i++)
            items.add(new Item("embedding", i, embeddings.get(i)));
        return new EmbeddingsResponse(model, "list", new Usage(tokens, tokens), items);
    }
}
