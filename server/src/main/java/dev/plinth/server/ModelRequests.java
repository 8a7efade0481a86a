package dev.plinth.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.ModelException;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading the JSON bodies of the model APIs that this file's callers serve (rerank, multi-vector,
 * classify, segment): typed fields with a 422 {@code {"detail"}} naming the field when a value has
 * the wrong type, so a client learns exactly what to fix.
 */
final class ModelRequests {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelRequests() {}

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

    private static String text(JsonNode item, String where) {
        if (item.isTextual()) return item.asText();
        if (item.isObject() && item.path("text").isTextual()) return item.get("text").asText();
        throw invalid("'" + where + "' must be a string or an object with a string 'text'");
    }

    /** A 422 with {@code message} as its detail. */
    static ApiException invalid(String message) {
        return new ApiException(422, "ValidationError", message);
    }

    /** Runs a model call, turning its refusals into the statuses the API promises. */
    static <T> T call(java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        } catch (ModelException e) {
            throw switch (e.reason()) {
                case INVALID_INPUT -> invalid(e.getMessage());
                case UNKNOWN_MODEL -> invalid(e.getMessage());
                case OVERLOADED ->
                        ApiException.tooManyRequests(e.getMessage(), e.retryAfterSeconds());
                default -> e;
            };
        }
    }
}
