package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/** A real plinth server on a free loopback port, and a JDK HTTP client speaking to it. */
final class Plinth implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    final Server server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Plinth(Server server) {
        this.server = server;
    }

    /**
     * Test defaults: any free port, private network allowed (the test site is on loopback), no rate
     * limit, no browser engine (tests that render ask for one), and the cache in {@code cacheDir}
     * (null: none).
     */
    static Consumer<Server.Config> config(Path cacheDir) {
        return c -> {
            c.port = 0;
            c.allowPrivateNetwork = true;
            c.rateLimitPerMinute = 0;
            c.browser = false;
            c.cacheDir = cacheDir;
        };
    }

    static Plinth start(Consumer<Server.Config> config) throws IOException {
        return new Plinth(Server.start(config, List.of()));
    }

    static Plinth start(Consumer<Server.Config> config, List<RouteGroup> apis) throws IOException {
        return new Plinth(Server.start(config, apis));
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    /** GET {@code path} (a path on plinth, e.g. {@code /http://…}) with header name/value pairs. */
    HttpResponse<String> get(String path, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return checked(
                "GET", path, http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString()));
    }

    /** Every answer the API tests see is checked against the OpenAPI document. */
    private static HttpResponse<String> checked(
            String method, String path, HttpResponse<String> response) {
        ApiContract.check(method, path.split("[?]", 2)[0], response);
        return response;
    }

    /** POST a JSON body to {@code path}. */
    HttpResponse<String> postJson(String path, String json, String... headers)
            throws IOException, InterruptedException {
        return post(path, "application/json", HttpRequest.BodyPublishers.ofString(json), headers);
    }

    HttpResponse<String> post(
            String path, String contentType, HttpRequest.BodyPublisher body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(base() + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", contentType);
        if (headers.length > 0) {
            b.headers(headers);
        }
        return checked(
                "POST",
                path,
                http.send(b.POST(body).build(), HttpResponse.BodyHandlers.ofString()));
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    @Override
    public void close() {
        server.close();
    }
}
