package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.Classifier;
import dev.plinth.models.Embedder;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.List;

/**
 * {@code POST /v1/classify}: zero-shot classification. Body {@code {model?, input: string | [string
 * | {text}], labels: [string]}}; answer {@link ClassifyResponse}.
 */
final class ClassifyRoutes implements RouteGroup {

    private final Classifier classifier;

    ClassifyRoutes(Classifier classifier) {
        this.classifier = classifier;
    }

    @Override
    public void register(Javalin app) {
        app.post("/v1/classify", this::classify);
    }

    private void classify(Context ctx) {
        ObjectNode body = ModelRequests.body(ctx);
        String model = ModelRequests.string(body, "model", null);
        List<String> input = ModelRequests.texts(body, "input", Embedder.MAX_INPUTS);
        if (!body.path("labels").isArray())
            throw ModelRequests.invalid("'labels' must be a list of strings");
        List<String> labels = ModelRequests.texts(body, "labels", Classifier.MAX_LABELS);
        Classifier.Result result =
                ModelRequests.call(() -> classifier.classify(model, input, labels));
        ctx.json(ClassifyResponse.of(result));
    }
}
