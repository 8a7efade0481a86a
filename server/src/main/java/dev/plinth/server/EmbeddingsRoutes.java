package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.Embedder;
import dev.plinth.models.EmbeddingType;
import dev.plinth.reader.fetch.Fetcher;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /v1/embeddings}, Jina-compatible (and OpenAI-compatible for the common fields). Body:
 * {@code {model?, input: string | token array | [string | {text} | {image} | token array] (≤ 512),
 * task?, dimensions?, normalized? (default true), embedding_type? (float | base64 | binary |
 * ubinary, or a list of them; aliases encoding_type and OpenAI's encoding_format), truncate?
 * (default false, as Jina's: an over-long input is a 422 naming it), late_chunking? (default
 * false)}}. Unknown fields are ignored, so OpenAI clients sending {@code user} work. Images ({@code
 * {"image": URL | data URL | base64}}) are read through {@link ImageInputs}, behind the reader's
 * network guard. Every validation failure is a 422; a full model queue is a 429 with {@code
 * Retry-After}; a model that cannot load is a 503 saying why.
 */
final class EmbeddingsRoutes implements RouteGroup {

    private static final List<String> TYPE_FIELDS =
            List.of("embedding_type", "encoding_type", "encoding_format");

    private final Embedder embedder;
    private final Fetcher images;

    /** Embeddings whose image URLs must be public (the guard's default). */
    EmbeddingsRoutes(Embedder embedder) {
        this(embedder, new Fetcher(Fetcher.Settings.DEFAULTS));
    }

    /** Embeddings whose image URLs are fetched by {@code images}. */
    EmbeddingsRoutes(Embedder embedder, Fetcher images) {
        this.embedder = embedder;
        this.images = images;
    }

    @Override
    public void register(Javalin app) {
        app.post("/v1/embeddings", this::embed);
    }

    private void embed(Context ctx) {
        ObjectNode body = ModelRequests.body(ctx);
        String model = ModelRequests.string(body, "model", null);
        String task = ModelRequests.string(body, "task", null);
        Integer dimensions = ModelRequests.integer(body, "dimensions");
        boolean normalized = ModelRequests.bool(body, "normalized", true);
        boolean truncate = ModelRequests.bool(body, "truncate", false);
        boolean lateChunking = ModelRequests.bool(body, "late_chunking", false);
        List<EmbeddingType> types = types(body);
        List<Embedder.Input> input =
                ModelRequests.inputs(body, "input", Embedder.MAX_INPUTS, new ImageInputs(images));

        Embedder.Request request =
                new Embedder.Request(
                        model, input, task, dimensions, normalized, truncate, lateChunking);
        Embedder.Result result = ModelRequests.call(ctx, () -> embedder.embed(request));
        List<Object> out = new ArrayList<>(result.embeddings().size());
        for (float[] v : result.embeddings()) {
            if (types.size() == 1) {
                out.add(types.getFirst().encode(v));
            } else {
                Map<String, Object> byType = new LinkedHashMap<>();
                for (EmbeddingType t : types) byType.put(t.wireName(), t.encode(v));
                out.add(byType);
            }
        }
        ctx.json(EmbeddingsResponse.of(result.model(), result.tokens(), out));
    }

    /** The requested output types: one of the alias fields, a name or a list of names. */
    static List<EmbeddingType> types(ObjectNode body) {
        String field = null;
        for (String f : TYPE_FIELDS) {
            JsonNode v = body.get(f);
            if (v == null || v.isNull()) continue;
            if (field != null && !v.equals(body.get(field))) {
                throw ModelRequests.invalid(
                        "'" + field + "' and '" + f + "' disagree; send one of them");
            }
            field = f;
        }
        if (field == null) return List.of(EmbeddingType.FLOAT);
        JsonNode value = body.get(field);
        List<JsonNode> names = new ArrayList<>();
        if (value.isArray()) value.forEach(names::add);
        else names.add(value);
        if (names.isEmpty())
            throw ModelRequests.invalid("'" + field + "' must name at least one type");
        List<EmbeddingType> types = new ArrayList<>();
        for (JsonNode n : names) {
            EmbeddingType t = n.isTextual() ? EmbeddingType.parse(n.asText()) : null;
            if (t == null) {
                throw ModelRequests.invalid(
                        "'"
                                + field
                                + "' must be one of float, base64, binary, ubinary (or a list of them), not "
                                + n);
            }
            if (!types.contains(t)) types.add(t);
        }
        return types;
    }
}
