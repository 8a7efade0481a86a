package dev.plinth.server.playground;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.server.RouteGroup;
import io.javalin.http.Context;
import io.javalin.http.NotFoundResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /}: the playground for a browser, the route list for everyone else. A request whose
 * {@code Accept} prefers {@code text/html} gets the page (static files from the jar, under {@code
 * /playground/}, behind a strict Content-Security-Policy); {@code application/json} gets the routes
 * as JSON; anything else (curl's {@code *}{@code /*}) the usage text.
 */
public final class Playground {

    /** Where the static files are served. */
    public static final String PATH = "/playground/";

    /**
     * Only the jar's own script and styles, requests to this server only, no frames, no forms
     * posted elsewhere: a page that handles API keys runs nothing it did not ship.
     */
    static final String CSP =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                    + " connect-src 'self'; base-uri 'none'; form-action 'none';"
                    + " frame-ancestors 'none'";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> FILES =
            Map.of(
                    "index.html", "text/html; charset=utf-8",
                    "playground.css", "text/css; charset=utf-8",
                    "playground.js", "text/javascript; charset=utf-8");

    /** One route as the usage lists it. */
    record Route(String method, String path, String what) {}

    private Playground() {}

    /**
     * {@code GET /} and the playground's files; the model routes are listed when {@code models}.
     */
    public static RouteGroup routes(boolean models) {
        Map<String, byte[]> files = new java.util.HashMap<>();
        FILES.keySet().forEach(name -> files.put(name, resource(name)));
        List<Route> routes = routes(models, new ArrayList<>());
        return app -> {
            app.get("/", ctx -> home(ctx, files.get("index.html"), routes));
            app.get(
                    PATH + "{file}",
                    ctx -> {
                        String name = ctx.pathParam("file");
                        byte[] body = files.get(name);
                        if (body == null) {
                            throw new NotFoundResponse("no file " + name + " in the playground");
                        }
                        secure(ctx);
                        ctx.header("Cache-Control", "no-cache")
                                .contentType(FILES.get(name))
                                .result(body);
                    });
        };
    }

    private static List<Route> routes(boolean models, List<Route> r) {
        r.add(new Route("GET", "/{url}", "read a URL: Markdown, or what X-Respond-With asks for"));
        r.add(new Route("POST", "/", "read {\"url\"}, {\"html\"}, {\"pdf\"} or a multipart file"));
        r.add(new Route("GET", "/shots/{id}.png", "a stored screenshot"));
        if (models) {
            r.add(new Route("POST", "/v1/embeddings", "embeddings (Jina and OpenAI shapes)"));
            r.add(new Route("POST", "/v1/rerank", "rerank documents for a query"));
            r.add(new Route("POST", "/v1/multi-vector", "one vector per token"));
            r.add(new Route("POST", "/v1/classify", "zero-shot classification"));
            r.add(new Route("POST", "/v1/segment", "token counts and chunks"));
            r.add(new Route("GET", "/v1/models", "the models"));
        }
        r.add(new Route("POST", "/mcp", "MCP, streamable HTTP (tools: read_url, read_html, …)"));
        r.add(new Route("GET", "/openapi.json", "this API as OpenAPI 3.1 (also /openapi.yaml)"));
        r.add(new Route("GET", "/health", "liveness"));
        r.add(new Route("GET", "/metrics", "Prometheus metrics"));
        r.add(new Route("GET", "/", "this list; the playground in a browser"));
        return List.copyOf(r);
    }

    private static void home(Context ctx, byte[] page, List<Route> routes) {
        switch (preferred(ctx.header("Accept"))) {
            case "text/html" -> {
                secure(ctx);
                ctx.header("Cache-Control", "no-cache")
                        .contentType(FILES.get("index.html"))
                        .result(page);
            }
            case "application/json" -> {
                ObjectNode usage = JSON.createObjectNode();
                usage.put("name", "plinth");
                usage.put("read", "GET /{url}");
                usage.put(
                        "post",
                        "POST / with {\"url\"} or {\"html\", \"url\"} or {\"pdf\"} and options in"
                                + " camelCase");
                usage.put("accept", "text/plain (default) | application/json | text/event-stream");
                usage.put("health", "GET /health");
                usage.put("metrics", "GET /metrics");
                usage.put("openapi", "GET /openapi.json");
                usage.set("routes", JSON.valueToTree(routes));
                ctx.contentType("application/json; charset=utf-8").result(usage.toString());
            }
            default -> {
                StringBuilder text =
                        new StringBuilder(
                                """
                                plinth: any URL to LLM-ready Markdown, plus embeddings, reranking and more.

                                  curl %1$s/https://example.com
                                  Accept      text/plain (default) | application/json | text/event-stream
                                  Options     X-Respond-With: content|markdown|html|text, X-Target-Selector,
                                              X-Remove-Selector, X-With-Links-Summary, X-Max-Tokens, X-No-Cache, …
                                              (all of them: %1$s/openapi.json)
                                  Language    X-Respond-With: readerlm-v2 | vlm, X-Instruction, X-Json-Schema,
                                  model       X-With-Generated-Alt (plinth serve --lm-url / --vlm-url)

                                """
                                        .formatted(ctx.scheme() + "://" + ctx.host()));
                for (Route r : routes) {
                    text.append(
                            String.format(
                                    Locale.ROOT,
                                    "  %-5s%-18s %s%n",
                                    r.method(),
                                    r.path(),
                                    r.what()));
                }
                ctx.contentType("text/plain; charset=utf-8").result(text.toString());
            }
        }
    }

    /**
     * The media type {@code accept} prefers among HTML, JSON and text: the highest explicit q, the
     * first listed on a tie; text when none is named (curl, wildcards).
     */
    static String preferred(String accept) {
        if (accept == null) {
            return "text/plain";
        }
        String best = "text/plain";
        double bestQ = 0;
        for (String part : accept.toLowerCase(Locale.ROOT).split(",")) {
            String[] fields = part.split(";");
            String type = fields[0].strip();
            if (!type.equals("text/html")
                    && !type.equals("application/json")
                    && !type.equals("text/plain")) {
                continue;
            }
            double q = 1;
            for (int i = 1; i < fields.length; i++) {
                String f = fields[i].strip();
                if (f.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(f.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (q > bestQ) {
                best = type;
                bestQ = q;
            }
        }
        return best;
    }

    private static void secure(Context ctx) {
        ctx.header("Content-Security-Policy", CSP)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("X-Frame-Options", "DENY");
    }

    private static byte[] resource(String name) {
        try (InputStream in = Playground.class.getResourceAsStream("/playground/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks /playground/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
