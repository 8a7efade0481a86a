package dev.plinth.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.plinth.models.Catalog;
import dev.plinth.models.ModelRegistry;
import io.javalin.Javalin;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/models}: what this server can serve ({@code data}, OpenAI's list shape, each with
 * its kind, dimensions, max tokens, tasks and whether it is loaded yet) and what
 * {@code plinth models add <name>} could install ({@code installable}).
 */
final class ModelsRoutes implements RouteGroup {

    /** One servable model. */
    record Entry(String id, String object, String kind, int dimensions, @JsonProperty("max_tokens") int maxTokens,
                 List<String> tasks, boolean bundled, boolean loaded, boolean quantized,
                 @JsonProperty("default") boolean isDefault) {
    }

    /** One model that can be added. */
    record Installable(String id, String artifact) {
    }

    /** The answer. */
    record Listing(String object, List<Entry> data, List<Installable> installable) {
    }

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
            data.add(new Entry(c.name(), "model", c.kind().name().toLowerCase().replace('_', '-'), c.dimensions(),
                    c.maxTokens(), List.copyOf(c.tasks().keySet()), a.bundled(), a.loaded(), c.quantized(),
                    c.name().equals(defaultEmbeddings)));
        }
        List<Installable> more = new ArrayList<>();
        for (Catalog.Entry e : registry.installable()) more.add(new Installable(e.name(), e.artifact()));
        return new Listing("list", data, more);
    }
}
