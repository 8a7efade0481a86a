package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.MultiVector;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.List;
import java.util.Locale;

/**
 * {@code POST /v1/multi-vector}: every token's embedding. Body {@code {model?, input: string |
 * [string | {text}], input_type?: "query" | "document" (default document), dimensions?}}; answer
 * {@link MultiVectorResponse}.
 */
final class MultiVectorRoutes implements RouteGroup {

    private final MultiVector multiVector;

    MultiVectorRoutes(MultiVector multiVector) {
        this.multiVector = multiVector;
    }

    @Override
    public void register(Javalin app) {
        app.post("/v1/multi-vector", this::embed);
    }

    private void embed(Context ctx) {
        ObjectNode body = ModelRequests.body(ctx);
        String model = ModelRequests.string(body, "model", null);
        List<String> input = ModelRequests.texts(body, "input", MultiVector.MAX_INPUTS);
        String type = ModelRequests.string(body, "input_type", "document");
        MultiVector.InputType inputType =
                switch (type.toLowerCase(Locale.ROOT)) {
                    case "query" -> MultiVector.InputType.QUERY;
                    case "document", "passage" -> MultiVector.InputType.DOCUMENT;
                    default ->
                            throw ModelRequests.invalid(
                                    "'input_type' must be \"query\" or \"document\", got \""
                                            + type
                                            + "\"");
                };
        Integer dimensions = ModelRequests.integer(body, "dimensions");
        MultiVector.Result result =
                ModelRequests.call(
                        ctx, () -> multiVector.embed(model, input, inputType, dimensions));
        ctx.json(MultiVectorResponse.of(result));
    }
}
