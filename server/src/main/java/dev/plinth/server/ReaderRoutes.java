package dev.plinth.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.reader.Options;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLConnection;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The reader's HTTP routes, wire-compatible with the hosted reader: {@code GET /{url}} with options
 * in headers; {@code POST /} (or {@code POST /{url}}) with a JSON, form or multipart body naming a
 * {@code url}, raw {@code html}, a base64 {@code pdf} or an uploaded {@code file}, plus options in
 * camelCase ({@code GET /} itself is the playground's). The answer's form follows {@code Accept}:
 * the text layout by default, the JSON envelope for {@code application/json}, an SSE {@code data}
 * event for {@code text/event-stream}.
 */
final class ReaderRoutes implements RouteGroup {

    private static final ObjectMapper JSON = ModelRequests.bodyReader();

    /** Where stored screenshots and pageshots are served. */
    static final String SHOTS = "/shots/";

    /** How long a stored picture's URL works: as long as the hosted reader's (4 hours). */
    private static final Duration SHOT_TTL = Duration.ofHours(4);

    private final ReadService service;
    private final int maxBodyBytes;
    private final ReaderOptions.ServerSide serverSide;
    private final ShotStore shots;

    ReaderRoutes(
            ReadService service,
            int maxBodyBytes,
            ReaderOptions.ServerSide serverSide,
            ShotStore shots) {
        this.service = service;
        this.maxBodyBytes = maxBodyBytes;
        this.serverSide = serverSide;
        this.shots = shots;
    }

    @Override
    public void register(Javalin app) {
        app.get("/favicon.ico", ctx -> ctx.status(404));
        app.get(SHOTS + "{id}", this::shot);
        app.get("/<target>", this::readGet);
        app.post("/", this::readPost);
        app.post("/<target>", this::readPost);
    }

    private void readGet(Context ctx) throws Exception {
        refuseModelPaths(ctx);
        ReadParams params = ReaderOptions.parse(headers(ctx), null, serverSide);
        URI url = TargetUrl.fromRequest(ctx.req().getRequestURI(), ctx.req().getQueryString());
        respond(ctx, Request.of(url, params.options()), params);
    }

    private void readPost(Context ctx) throws Exception {
        refuseModelPaths(ctx);
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        Multipart.Upload upload = null;
        ObjectNode body;
        if (type.startsWith("multipart/form-data")) {
            body = JSON.createObjectNode();
            Multipart.Form form = Multipart.read(ctx, maxBodyBytes);
            form.fields().forEach(body::put);
            upload = form.file();
        } else {
            body = parseBody(type, Bodies.read(ctx, maxBodyBytes));
        }
        ReadParams params = ReaderOptions.parse(headers(ctx), body, serverSide);
        String url = text(body, "url");
        String html = text(body, "html");
        String pdf = text(body, "pdf");
        URI target = url != null ? TargetUrl.parse(url) : pathTarget(ctx);
        Request request;
        if (upload != null) {
            request =
                    Request.ofContent(
                            upload.bytes(), upload.contentType(), target, params.options());
        } else if (pdf != null) {
            try {
                request =
                        Request.ofPdf(
                                Base64.getMimeDecoder().decode(pdf), target, params.options());
            } catch (IllegalArgumentException e) {
                throw ApiException.badParameter("pdf must be base64: " + e.getMessage());
            }
        } else if (html != null) {
            request = Request.ofHtml(html, target, params.options());
        } else if (target != null) {
            request = Request.of(target, params.options());
        } else {
            throw ApiException.badParameter(
                    "a POST needs a url, html, pdf (base64) or an uploaded file");
        }
        respond(ctx, request, params);
    }

    /**
     * {@code /v1/…} belongs to the model APIs: a path none of them claimed is a 404, never a
     * target.
     */
    private static void refuseModelPaths(Context ctx) {
        if (ctx.path().startsWith("/v1/") || ctx.path().equals("/v1")) {
            throw new ApiException(
                    404, "NotFoundError", "no route for " + ctx.method() + " " + ctx.path());
        }
    }

    private void respond(Context ctx, Request request, ReadParams params) throws Exception {
        String accept =
                ctx.header("Accept") == null ? "" : ctx.header("Accept").toLowerCase(Locale.ROOT);
        if (accept.contains("text/event-stream")) {
            stream(ctx, request, params);
            return;
        }
        Options options = request.options();
        boolean json = accept.contains("application/json") || accept.contains("text/json");
        if (!json && options.formats().size() > 1) {
            // One text answer cannot hold several formats; Jina's reader refuses them the same way.
            throw ApiException.badParameter(
                    "X-Respond-With asks for several formats ("
                            + options.formats().stream()
                                    .map(Options.Format::wire)
                                    .sorted()
                                    .collect(java.util.stream.Collectors.joining(","))
                            + "): send Accept: application/json or text/event-stream to get"
                            + " one field each");
        }
        ReadService.Outcome outcome = Disconnects.watch(ctx, () -> service.read(request, params));
        Result r = outcome.result();
        headers(ctx, outcome);
        if (json) {
            ObjectNode data =
                    ReaderOutput.data(
                            r, outcome.tokens(), options, chunks(r, params), picture(ctx, r));
            ctx.contentType("application/json; charset=utf-8")
                    .result(ReaderOutput.envelope(data, r, outcome.tokens()).toString());
        } else if (r.screenshot() != null && r.content() == null) {
            if (accept.contains("image/png")) {
                ctx.contentType("image/png").result(r.screenshot());
            } else {
                // As the hosted reader does: a redirect to the stored picture, its URL as text.
                String url = picture(ctx, r);
                ctx.status(302).header("Location", url);
                ctx.contentType("text/plain; charset=utf-8").result(url + "\n");
            }
        } else {
            ctx.contentType("text/plain; charset=utf-8")
                    .result(ReaderOutput.text(r, options, picture(ctx, r)));
        }
    }

    /** The URL of the result's picture, stored for the caller's key; null without a picture. */
    private String picture(Context ctx, Result r) {
        if (r.screenshot() == null) {
            return null;
        }
        String id =
                shots.put(new ShotStore.Shot(r.screenshot(), "image/png"), owner(ctx), SHOT_TTL);
        return ctx.scheme() + "://" + ctx.host() + SHOTS + id + ".png";
    }

    /** {@code GET /shots/{id}.png}: a stored picture, for the key that asked for it only. */
    private void shot(Context ctx) {
        String id = ctx.pathParam("id");
        id = id.endsWith(".png") ? id.substring(0, id.length() - 4) : id;
        ShotStore.Shot png = ShotStore.ID.matcher(id).matches() ? shots.get(id, owner(ctx)) : null;
        if (png == null) {
            throw new ApiException(
                    404,
                    "NotFoundError",
                    "no picture " + id + " for this key (pictures are kept for a few hours)");
        }
        ctx.contentType(png.mediaType())
                .header("Cache-Control", "private, max-age=3600")
                .result(png.bytes());
    }

    /** Whose picture: the request's API key, or "" when the server asks for none. */
    private static String owner(Context ctx) {
        String key = ctx.attribute(Server.API_KEY);
        return key == null ? "" : key;
    }

    /**
     * One {@code data} event with the JSON object, or one {@code error} event. The status is the
     * error's, not 200, so that an EventSource does not reconnect to repeat a read that failed.
     */
    private void stream(Context ctx, Request request, ReadParams params) {
        ctx.contentType("text/event-stream; charset=utf-8").header("Cache-Control", "no-cache");
        try {
            ReadService.Outcome outcome =
                    Disconnects.watch(ctx, () -> service.read(request, params));
            headers(ctx, outcome);
            Result r = outcome.result();
            ctx.result(
                    "event: data\ndata: "
                            + ReaderOutput.data(
                                    r,
                                    outcome.tokens(),
                                    request.options(),
                                    chunks(r, params),
                                    picture(ctx, r))
                            + "\n\n");
        } catch (Exception e) {
            Errors.Failure failure = Errors.classify(e, ctx);
            ctx.status(failure.status());
            if (failure.retryAfterSeconds() > 0) {
                ctx.header("Retry-After", Long.toString(failure.retryAfterSeconds()));
            }
            ctx.result("event: error\ndata: " + Errors.body(ctx.path(), failure) + "\n\n");
        }
    }

    private static void headers(Context ctx, ReadService.Outcome outcome) {
        ctx.header("X-Usage-Tokens", Integer.toString(outcome.tokens()));
        ctx.header("X-Cache", outcome.cache().name());
        // Which engine wrote the content: heuristic, readerlm-v2 or vlm (also data.engine).
        ctx.header("X-Content-Engine", outcome.result().engine());
        if (outcome.result().lm() != null) {
            ctx.header("X-Lm-Tokens", Integer.toString(outcome.result().lm().total()));
        }
        ctx.attribute("plinth.cache", outcome.cache().name().toLowerCase(Locale.ROOT));
    }

    private static List<String> chunks(Result r, ReadParams params) {
        return params.chunkDepth() > 0
                ? MarkdownChunks.split(r.content(), params.chunkDepth())
                : null;
    }

    // ---- request bodies
    // --------------------------------------------------------------------------

    private static ObjectNode parseBody(String type, byte[] bytes) {
        if (type.startsWith("application/x-www-form-urlencoded")) {
            ObjectNode body = JSON.createObjectNode();
            for (String pair : new String(bytes, StandardCharsets.UTF_8).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name =
                        URLDecoder.decode(
                                eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value =
                        eq < 0
                                ? ""
                                : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                body.put(name, value);
            }
            return body;
        }
        if (bytes.length == 0) {
            return JSON.createObjectNode();
        }
        try {
            JsonNode node = JSON.readTree(bytes);
            if (node instanceof ObjectNode object) {
                return object;
            }
            throw ApiException.badParameter("the body must be a JSON object");
        } catch (JsonProcessingException e) {
            throw ApiException.badParameter(
                    "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badParameter("the body could not be read: " + e.getMessage());
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badParameter(field + " must be a string");
        }
        return v.asText().isBlank() ? null : v.asText();
    }

    /** The target named by the path of {@code POST /{url}}, or null for {@code POST /}. */
    private static URI pathTarget(Context ctx) {
        String path = ctx.req().getRequestURI();
        return path.length() <= 1 ? null : TargetUrl.fromRequest(path, ctx.req().getQueryString());
    }

    private static java.util.function.Function<String, List<String>> headers(Context ctx) {
        return name -> Collections.list(ctx.req().getHeaders(name));
    }

    /** Request bodies read with a cap, whether or not the client sent a length. */
    static final class Bodies {
        private Bodies() {}

        static byte[] read(Context ctx, int max) {
            try (InputStream in = ctx.req().getInputStream()) {
                byte[] bytes = in.readNBytes(max + 1);
                if (bytes.length > max) {
                    throw ApiException.tooLarge(
                            "the request body is over the " + max + "-byte limit");
                }
                return bytes;
            } catch (IOException e) {
                throw ApiException.badParameter(
                        "the request body could not be read: " + e.getMessage());
            }
        }
    }

    /** The fields and uploaded file of a multipart form. */
    static final class Multipart {
        /** An uploaded file: its bytes and its media type (empty when nothing tells). */
        record Upload(byte[] bytes, String contentType) {}

        record Form(Map<String, String> fields, Upload file) {}

        private Multipart() {}

        static Form read(Context ctx, int max) {
            try {
                Map<String, String> fields = new java.util.LinkedHashMap<>();
                ctx.formParamMap()
                        .forEach((k, v) -> {
                            if (!v.isEmpty()) {
                                fields.put(k, v.getFirst());
                            }
                        });
                UploadedFile file = ctx.uploadedFile("file");
                Upload upload = null;
                if (file != null) {
                    byte[] bytes;
                    try (InputStream in = file.content()) {
                        bytes = in.readNBytes(max + 1);
                    }
                    if (bytes.length > max) {
                        throw ApiException.tooLarge(
                                "the uploaded file is over the " + max + "-byte limit");
                    }
                    upload = new Upload(bytes, mediaType(file.contentType(), file.filename()));
                }
                return new Form(fields, upload);
            } catch (ApiException e) {
                throw e;
            } catch (Exception e) {
                String message =
                        String.valueOf(e.getMessage())
                                + (e.getCause() == null ? "" : " " + e.getCause().getMessage());
                if (message.toLowerCase(Locale.ROOT).contains("exceed")) {
                    throw ApiException.tooLarge(
                            "the multipart body is over the " + max + "-byte limit");
                }
                throw ApiException.badParameter(
                        "the multipart body could not be read: " + e.getMessage());
            }
        }

        /**
         * An upload's type as a fetched response's is decided: the part's declared type unless it
         * is missing or generic, then the file name's extension; the reader then sniffs the bytes
         * when neither tells (a PDF or an HTML document announces itself in its first bytes).
         */
        static String mediaType(String declared, String filename) {
            String type =
                    declared == null
                            ? ""
                            : declared.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
            if (!type.isEmpty() && !type.equals("application/octet-stream")) {
                return type;
            }
            String guessed =
                    filename == null ? null : URLConnection.guessContentTypeFromName(filename);
            return guessed == null ? "" : guessed;
        }
    }
}
