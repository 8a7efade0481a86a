package dev.plinth.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The plinth HTTP API as the MCP tools call it: on loopback, in the same process, so that a tool
 * call goes through exactly the routes, options, guards and error messages a curl call does. Over
 * HTTP the caller's own {@code Authorization} is passed on; over stdio it is the process's private
 * key.
 */
final class Api {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Longer than the reader's own longest deadline (180 s), so the reader is the one to say. */
    private static final Duration TIMEOUT = Duration.ofSeconds(200);

    private final Supplier<String> base;
    private final String internal;
    private final HttpClient http =
            HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();

    /** An answer: status, media type, headers of interest, body. */
    record Answer(int status, String type, Map<String, String> headers, byte[] body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() throws IOException {
            return JSON.readTree(body);
        }

        /**
         * What went wrong, as the API said it: the reader's {@code readableMessage} (its name and
         * message), the model APIs' {@code detail}, else the body.
         */
        String detail() {
            try {
                JsonNode error = json();
                for (String field : new String[] {"readableMessage", "detail", "message"}) {
                    if (error.path(field).isTextual()) {
                        return error.path(field).asText();
                    }
                }
            } catch (IOException e) {
                // Not JSON: the text itself says what went wrong.
            }
            String text = text().strip();
            return text.isEmpty() ? "HTTP " + status : text;
        }
    }

    /**
     * {@code base} gives {@code http://host:port} once the server is listening; {@code internal},
     * when not null, is the server's secret for its own calls ({@link Mcp#INTERNAL_HEADER}).
     */
    Api(Supplier<String> base, String internal) {
        this.base = base;
        this.internal = internal;
    }

    /** POSTs {@code body} as JSON to {@code path} with {@code headers} (name, value, …). */
    Answer post(String path, JsonNode body, String authorization, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base.get() + path))
                        .timeout(TIMEOUT)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (authorization != null && !authorization.isBlank()) {
            request.header("Authorization", authorization);
        }
        if (internal != null) {
            request.header(Mcp.INTERNAL_HEADER, internal);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        HttpResponse<byte[]> response =
                http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, String> kept = new java.util.LinkedHashMap<>();
        for (String name : new String[] {"X-Usage-Tokens", "X-Cache", "Location"}) {
            response.headers().firstValue(name).ifPresent(v -> kept.put(name, v));
        }
        return new Answer(
                response.statusCode(),
                response.headers().firstValue("Content-Type").orElse(""),
                kept,
                response.body());
    }
}
