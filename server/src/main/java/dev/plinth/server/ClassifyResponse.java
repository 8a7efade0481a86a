package dev.plinth.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.plinth.models.Classifier;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of a {@code /v1/classify} answer: {@code {"model", "object": "list", "usage":
 * {"total_tokens"}, "data": [{"object": "classification", "index", "prediction", "score",
 * "predictions": [{"label", "score"}]}]}}, each input's scores summing to 1.
 */
record ClassifyResponse(String model, String object, Usage usage, List<Item> data) {

    /** Tokens embedded, inputs and labels. */
    record Usage(@JsonProperty("total_tokens") int totalTokens) {}

    /** One input's classification. */
    record Item(
            String object, int index, String prediction, double score, List<Label> predictions) {}

    /** One label's probability. */
    record Label(String label, double score) {}

    static ClassifyResponse of(Classifier.Result result) {
        List<Item> data = new ArrayList<>(result.data().size());
        for (int i = 0; i < result.data().size(); i++) {
            Classifier.Prediction p = result.data().get(i);
            data.add(
                    new Item(
                            "classification",
                            i,
                            p.prediction(),
                            p.score(),
                            p.predictions().stream()
                                    .map(l -> new Label(l.label(), l.score()))
                                    .toList()));
        }
        return new ClassifyResponse(result.model(), "list", new Usage(result.totalTokens()), data);
    }
}
