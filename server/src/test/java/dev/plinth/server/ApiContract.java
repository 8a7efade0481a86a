package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.plinth.server.openapi.OpenApi;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks real responses against the OpenAPI document: the route and method are documented, the
 * status is one the operation lists, the media type is one that status lists, and a JSON or text
 * body matches its schema. {@link Plinth} runs every response of the API tests through it, so the
 * document cannot drift from the code.
 */
final class ApiContract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode DOCUMENT = OpenApi.document(ReaderOptions.documented(), true);
    private static final SchemaRegistry SCHEMAS =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Map<String, Schema> COMPILED = new ConcurrentHashMap<>();

    /** Routes whose answers are another protocol's (MCP's JSON-RPC), checked by status only. */
    private static final Set<String> FOREIGN = Set.of("/mcp");

    private ApiContract() {}

    static JsonNode document() {
        return DOCUMENT;
    }

    /** The document's path for a request path. */
    static String template(String path) {
        if (DOCUMENT.path("paths").has(path)) {
            return path;
        }
        if (path.startsWith("/playground/")) {
            return "/playground/{file}";
        }
        if (path.startsWith("/shots/")) {
            return "/shots/{id}";
        }
        return "/{url}";
    }

    /** Throws an AssertionError saying what differs when {@code response} is not as documented. */
    static void check(String method, String path, HttpResponse<?> response) {
        String template = template(path);
        String where = method + " " + path + " (" + template + ") → " + response.statusCode();
        if (template.equals("/{url}") && path.startsWith("/v1/") && response.statusCode() != 404) {
            // A route the test itself mounted under /v1 (an echo, a deliberately broken one): no
            // part of the API, so nothing to check.
            return;
        }
        JsonNode operation =
                DOCUMENT.path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
        if (operation.isMissingNode()) {
            throw new AssertionError("undocumented operation: " + where);
        }
        int status = response.statusCode();
        JsonNode answer = operation.path("responses").path(Integer.toString(status));
        if (answer.isMissingNode()) {
            answer = operation.path("responses").path("default");
        }
        if (answer.isMissingNode()) {
            throw new AssertionError("undocumented status: " + where);
        }
        answer = resolve(answer);
        JsonNode content = answer.path("content");
        if (content.isMissingNode() || content.isEmpty() || FOREIGN.contains(template)) {
            return;
        }
        String type =
                response.headers()
                        .firstValue("Content-Type")
                        .orElse("")
                        .split(";", 2)[0]
                        .strip()
                        .toLowerCase(Locale.ROOT);
        JsonNode media = content.path(type);
        if (media.isMissingNode()) {
            throw new AssertionError(
                    "undocumented media type " + type + ": " + where + ", documented: " + content);
        }
        if (!(response.body() instanceof String body)) {
            return;
        }
        JsonNode instance;
        if (type.endsWith("json")) {
            try {
                instance = JSON.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + where + ": " + body);
            }
        } else if (type.startsWith("text/")) {
            instance = TextNode.valueOf(body);
        } else {
            return;
        }
        Schema schema =
                COMPILED.computeIfAbsent(media.path("schema").toString(), ApiContract::compile);
        List<com.networknt.schema.Error> errors = schema.validate(instance);
        if (!errors.isEmpty()) {
            throw new AssertionError(
                    "the answer does not match the document: "
                            + where
                            + ": "
                            + errors
                            + "\n"
                            + (body.length() > 600 ? body.substring(0, 600) + "…" : body));
        }
    }

    private static JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            String[] parts = node.get("$ref").asText().substring(2).split("/");
            JsonNode target = DOCUMENT;
            for (String part : parts) {
                target = target.path(part);
            }
            node = target;
        }
        return node;
    }

    /** A schema of the document, its references resolved against the document's components. */
    private static Schema compile(String schema) {
        try {
            ObjectNode root = JSON.createObjectNode();
            root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
            root.set("components", DOCUMENT.get("components"));
            root.putArray("allOf").add(JSON.readTree(schema));
            return SCHEMAS.getSchema(root);
        } catch (Exception e) {
            throw new AssertionError("schema does not compile: " + schema, e);
        }
    }
}
