package dev.plinth.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.Classifier;
import dev.plinth.models.Embedder;
import dev.plinth.reader.fetch.Fetcher;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.List;

/**
 * {@code POST /v1/classify}: zero-shot classification. Body {@code {model?, input: string | [string
 * | {text} | {image}], labels: [string]}}; answer {@link ClassifyResponse}. Image inputs (for a
 * CLIP model) are read through {@link ImageInputs}.
 */
final class ClassifyRoutes implements RouteGroup {

    private final Classifier classifier;
    private final Fetcher images;

    ClassifyRoutes(Classifier classifier) {
        this(classifier, new Fetcher(Fetcher.Settings.DEFAULTS));
    }

    ClassifyRoutes(Classifier classifier, Fetcher images) {
        this.classifier = classifier;
        this.images = images;
    }

    @Override
    public void register(Javalin app) {
        app.post("/v1/classify", this::classify);
    }

    private void classify(Context ctx) {
        ObjectNode body = ModelRequests.body(ctx);
        String model = ModelRequests.string(body, "model", null);
        if (!body.path("labels").isArray())
            throw ModelRequests.invalid("'labels' must be a list of strings");
        List<String> labels = ModelRequests.texts(body, "labels", Classifier.MAX_LABELS);
        List<Embedder.Input> input =
                ModelRequests.inputs(body, "input", Embedder.MAX_INPUTS, new ImageInputs(images));
        Classifier.Result result =
                ModelRequests.call(ctx, () -> classifier.classifyInputs(model, input, labels));
        ctx.json(ClassifyResponse.of(result));
    }
}
