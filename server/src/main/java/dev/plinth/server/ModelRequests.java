package dev.plinth.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelException;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading the JSON bodies of the model APIs (embeddings, rerank, multi-vector, classify, segment):
 * typed fields with a 422 naming the field when a value has the wrong type, so a client learns
 * exactly what to fix.
 *
 * <p>Inputs ({@link #inputs}) take every shape Jina's and OpenAI's clients send: a string, a list
 * of strings, Jina's objects {@code {"text": …}} and {@code {"image": …}} (see {@link
 * ImageInputs}), and OpenAI's token arrays — one list of ids, or a list of them — which {@link
 * Embedder} reads as ids of the tokenizer of the model named.
 */
final class ModelRequests {

    private static final ObjectMapper JSON = bodyReader();

    private ModelRequests() {}

    /**
     * A mapper for request bodies. Jackson refuses strings over 20 M characters by default, which
     * would make the body's size a 422 "not valid JSON" below the body cap and pre-empt it above:
     * here the cap alone bounds a body (413), and what is in it is judged by its meaning (an
     * embeddings input by its characters, a page by the reader's limits).
     */
    static ObjectMapper bodyReader() {
        return new ObjectMapper(
                com.fasterxml.jackson.core.JsonFactory.builder()
                        .streamReadConstraints(
                                com.fasterxml.jackson.core.StreamReadConstraints.builder()
                                        .maxStringLength(Integer.MAX_VALUE)
                                        .build())
                        .build());
    }

    /** The body as a JSON object, or a 422. */
    static ObjectNode body(Context ctx) {
        JsonNode node;
        try {
            node = JSON.readTree(ctx.bodyInputStream());
        } catch (JacksonException e) {
            throw invalid("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw invalid("the body could not be read: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode object)) throw invalid("the body must be a JSON object");
        return object;
    }

    /** A string field, or {@code fallback} when absent or null. */
    static String string(ObjectNode body, String field, String fallback) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) return fallback;
        if (!value.isTextual()) throw invalid("'" + field + "' must be a string");
        return value.asText();
    }

    /** A required string field. */
    static String requiredString(ObjectNode body, String field) {
        String value = string(body, field, null);
        if (value == null) throw invalid("'" + field + "' is required");
        return value;
    }

    /** A boolean field, or {@code fallback}. */
    static boolean bool(ObjectNode body, String field, boolean fallback) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) return fallback;
        if (!value.isBoolean()) throw invalid("'" + field + "' must be true or false");
        return value.asBoolean();
    }

    /** An integer field, or null when absent. */
    static Integer integer(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) return null;
        if (!value.isIntegralNumber() || !value.canConvertToInt())
            throw invalid("'" + field + "' must be an integer");
        return value.asInt();
    }

    /**
     * Texts given as one string, or a list of strings or {@code {"text": …}} objects; at most
     * {@code max} of them, none empty.
     */
    static List<String> texts(ObjectNode body, String field, int max) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) throw invalid("'" + field + "' is required");
        List<String> texts = new ArrayList<>();
        if (value.isTextual()) {
            texts.add(value.asText());
        } else if (value.isArray()) {
            if (value.size() > max)
                throw invalid(
                        "'"
                                + field
                                + "' has "
                                + value.size()
                                + " items, more than the limit of "
                                + max);
            for (int i = 0; i < value.size(); i++)
                texts.add(text(value.get(i), field + "[" + i + "]"));
        } else {
            throw invalid(
                    "'"
                            + field
                            + "' must be a string or a list of strings or {\"text\": ...} objects");
        }
        if (texts.isEmpty()) throw invalid("'" + field + "' must not be empty");
        return texts;
    }

    /**
     * Inputs given as one string, one token array, or a list of strings, {@code {"text"}} or {@code
     * {"image"}} objects and token arrays; at most {@code max} of them. Images are read through
     * {@code images}; null refuses them.
     */
    static List<Embedder.Input> inputs(ObjectNode body, String field, int max, ImageInputs images) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) throw invalid("'" + field + "' is required");
        List<Embedder.Input> out = new ArrayList<>();
        if (value.isTextual()) {
            out.add(new Embedder.Input.Text(value.asText()));
        } else if (value.isArray() && !value.isEmpty() && value.get(0).isIntegralNumber()) {
            out.add(tokens(value, field)); // OpenAI: one text as one token array
        } else if (value.isArray()) {
            if (value.size() > max)
                throw invalid(
                        "'"
                                + field
                                + "' has "
                                + value.size()
                                + " items, more than the limit of "
                                + max);
            for (int i = 0; i < value.size(); i++)
                out.add(input(value.get(i), field + "[" + i + "]", images));
        } else {
            throw invalid(
                    "'"
                            + field
                            + "' must be a string or a list of strings, {\"text\"} or"
                            + " {\"image\"} objects, or token arrays");
        }
        if (out.isEmpty()) throw invalid("'" + field + "' must not be empty");
        return out;
    }

    private static Embedder.Input input(JsonNode item, String where, ImageInputs images) {
        if (item.isTextual()) return new Embedder.Input.Text(item.asText());
        if (item.isArray()) return tokens(item, where);
        if (item.isObject() && item.path("text").isTextual())
            return new Embedder.Input.Text(item.get("text").asText());
        if (item.isObject() && item.has("image")) {
            if (!item.get("image").isTextual())
                throw invalid(
                        "'"
                                + where
                                + ".image' must be a string: a URL, a data URL or base64 bytes");
            if (images == null)
                throw invalid("'" + where + "' is an image; this endpoint takes texts only");
            return new Embedder.Input.Image(images.read(item.get("image").asText(), where));
        }
        throw invalid(
                "'"
                        + where
                        + "' must be a string, a token array, or an object with a string 'text'"
                        + " or 'image'");
    }

    private static Embedder.Input.Tokens tokens(JsonNode array, String where) {
        long[] ids = new long[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = array.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() < 0)
                throw invalid("'" + where + "[" + i + "]' must be a token id (an integer ≥ 0)");
            ids[i] = id.asLong();
        }
        if (ids.length == 0) throw invalid("'" + where + "' is an empty token array");
        return new Embedder.Input.Tokens(ids);
    }

    private static String text(JsonNode item, String where) {
        if (item.isTextual()) return item.asText();
        if (item.isObject() && item.path("text").isTextual()) return item.get("text").asText();
        throw invalid("'" + where + "' must be a string or an object with a string 'text'");
    }

    /** A 422 with {@code message} as its detail. */
    static ApiException invalid(String message) {
        return new ApiException(422, "ValidationError", message);
    }

    /**
     * Runs a model call for {@code ctx}'s request, turning its refusals into the statuses the API
     * promises; a client that leaves meanwhile cancels it ({@link Disconnects}).
     */
    static <T> T call(Context ctx, java.util.function.Supplier<T> work) {
        try {
            return Disconnects.watch(ctx, work::get);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        } catch (ModelException e) {
            throw switch (e.reason()) {
                case INVALID_INPUT -> invalid(e.getMessage());
                case UNKNOWN_MODEL -> new ApiException(422, "ModelNotFoundError", e.getMessage());
                case OVERLOADED ->
                        ApiException.tooManyRequests(e.getMessage(), e.retryAfterSeconds());
                // The server's state, not the request's: a model that cannot load (no
                // ORT_DISABLE_TELEMETRY, a broken folder) or models closed by a stopping server.
                // Only a client that left interrupts a request: Disconnects answers it as 499.
                case CANCELLED ->
                        new ApiException(
                                Disconnects.CLIENT_CLOSED,
                                "ClientClosedRequestError",
                                e.getMessage());
                case LOAD_FAILED, UNAVAILABLE ->
                        new ApiException(503, "ServiceUnavailableError", e.getMessage());
                case RUNTIME -> e;
            };
        }
    }
}
