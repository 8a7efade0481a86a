package dev.plinth.server;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.plinth.models.Catalog;
import dev.plinth.models.ModelConfig;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.Reranker;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/models}: what this server can serve ({@code data}, OpenAI's list shape, each with
 * its kind, dimensions, max tokens, tasks, the aliases that reach it and whether it is loaded yet),
 * every alias and the model it means now ({@code aliases}), each endpoint's default ({@code
 * defaults}), the model names {@code /v1/rerank} takes ({@code rerank}: each encoder with a scoring
 * suffix, each other kind by name) and what {@code plinth models add <name>} could install ({@code
 * installable}).
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
            @JsonProperty("default") boolean isDefault,
            List<String> aliases) {}

    /** One model that can be added. */
    record Installable(String id, String artifact) {}

    /** The answer; {@code rerank} names what {@code /v1/rerank} takes, its default first. */
    record Listing(
            String object,
            List<Entry> data,
            Map<String, String> aliases,
            Map<String, String> defaults,
            List<String> rerank,
            List<Installable> installable) {}

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
        Map<String, String> aliases = registry.aliases();
        Map<String, String> defaults = new LinkedHashMap<>();
        for (String endpoint : ModelRegistry.ENDPOINTS) {
            try {
                defaults.put(endpoint, registry.defaultModel(endpoint));
            } catch (RuntimeException e) {
                // no model for it: left out
            }
        }
        List<Entry> data = new ArrayList<>();
        for (ModelRegistry.Available a : registry.available()) {
            var c = a.config();
            List<String> names = new ArrayList<>();
            for (var alias : aliases.entrySet())
                if (alias.getValue().equals(c.name())) names.add(alias.getKey());
            data.add(
                    new Entry(
                            c.name(),
                            "model",
                            c.kind().wireName(),
                            c.dimensions(),
                            c.maxTokens(),
                            List.copyOf(c.tasks().keySet()),
                            a.bundled(),
                            a.loaded(),
                            c.quantized(),
                            c.name().equals(defaultEmbeddings),
                            names));
        }
        List<String> rerank = new ArrayList<>(List.of(new Reranker(registry).defaultModel()));
        for (ModelRegistry.Available a : registry.available()) {
            if (a.config().kind() != ModelConfig.Kind.ENCODER) {
                if (!rerank.contains(a.config().name())) rerank.add(a.config().name());
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
        return new Listing("list", data, aliases, defaults, rerank, more);
    }
}
