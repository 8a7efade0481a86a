package dev.plinth.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.plinth.models.MultiVector;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of a {@code /v1/multi-vector} answer: {@code {"model", "object": "list", "usage":
 * {"total_tokens", "prompt_tokens"}, "data": [{"object": "embeddings", "index", "embeddings":
 * [[…]]}]}}.
 */
record MultiVectorResponse(String model, String object, Usage usage, List<Item> data) {

    /** Tokens run through the model. */
    record Usage(
            @JsonProperty("total_tokens") int totalTokens,
            @JsonProperty("prompt_tokens") int promptTokens) {}

    /** One input's token vectors. */
    record Item(String object, int index, float[][] embeddings) {}

    static MultiVectorResponse of(MultiVector.Result result) {
        List<Item> data = new ArrayList<>(result.embeddings().size());
        for (int i = 0; i < result.embeddings().size(); i++)
            data.add(new Item("embeddings", i, result.embeddings().get(i)));
        return new MultiVectorResponse(
                result.model(),
                "list",
                new Usage(result.totalTokens(), result.totalTokens()),
                data);
    }
}
