package dev.plinth.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.plinth.models.Catalog;
import dev.plinth.models.ModelConfig;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.Reranker;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/models}: what this server can serve ({@code data}, OpenAI's list shape, each with
 * its kind, dimensions, max tokens, tasks and whether it is loaded yet), the model names {@code
 * /v1/rerank} takes ({@code rerank}: each encoder with a scoring suffix, each cross-encoder) and
 * what {@code plinth models add <name>} could install ({@code installable}).
 */
final class ModelsRoutes implements RouteGroup {

    /** One servable model. */
    record Entry(
            String id,
            String object,
            String kind,
            int dimensions,
            @JsonProperty("max_tokens") int maxTokens,
            List<String> tasks,
            boolean bundled,
            boolean loaded,
            boolean quantized,
            @JsonProperty("default") boolean isDefault) {}

    /** One model that can be added. */
    record Installable(String id, String artifact) {}

    /** The answer; {@code rerank} names what {@code /v1/rerank} takes, its default first. */
    record Listing(
            String object, List<Entry> data, List<String> rerank, List<Installable> installable) {}

    private final ModelRegistry registry;

    ModelsRoutes(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void register(Javalin app) {
        app.get("/v1/models", this::list);
    }

    private void list(Context ctx) {
        ctx.json(listing(registry));
    }

    static Listing listing(ModelRegistry registry) {
        String defaultEmbeddings;
        try {
            defaultEmbeddings = registry.defaultModel(ModelRegistry.EMBEDDINGS);
        } catch (RuntimeException e) {
            defaultEmbeddings = null;
        }
        List<Entry> data = new ArrayList<>();
        for (ModelRegistry.Available a : registry.available()) {
            var c = a.config();
            data.add(
                    new Entry(
                            c.name(),
                            "model",
                            c.kind().name().toLowerCase().replace('_', '-'),
                            c.dimensions(),
                            c.maxTokens(),
                            List.copyOf(c.tasks().keySet()),
                            a.bundled(),
                            a.loaded(),
                            c.quantized(),
                            c.name().equals(defaultEmbeddings)));
        }
        List<String> rerank = new ArrayList<>(List.of(new Reranker(registry).defaultModel()));
        for (ModelRegistry.Available a : registry.available()) {
            if (a.config().kind() == ModelConfig.Kind.CROSS_ENCODER) {
                rerank.add(a.config().name());
                continue;
            }
            for (Reranker.Scoring scoring :
                    List.of(
                            Reranker.Scoring.MAXSIM,
                            Reranker.Scoring.FUSED,
                            Reranker.Scoring.COSINE)) {
                String name = a.config().name() + scoring.suffix();
                if (!rerank.contains(name)) {
                    rerank.add(name);
                }
            }
        }
        List<Installable> more = new ArrayList<>();
        for (Catalog.Entry e : registry.installable())
            more.add(new Installable(e.name(), e.artifact()));
        return new Listing("list", data, rerank, more);
    }
}
