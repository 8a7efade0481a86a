package dev.plinth.server.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.plinth.server.RouteGroup;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The OpenAPI 3.1 document of plinth's HTTP API, served at {@code /openapi.json} and {@code
 * /openapi.yaml}: the reader ({@code GET /{url}}, {@code POST /}), the model APIs under {@code
 * /v1/}, {@code /health}, {@code /metrics} and {@code /mcp}. The reader's headers and body fields
 * come from the reader's own option table ({@link ReaderOption}s handed in), so a new option is
 * documented the moment it exists; the tests check real responses against the schemas here.
 */
public final class OpenApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML =
            new ObjectMapper(
                    YAMLFactory.builder()
                            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                            .build());

    private static final ObjectNode ENGINE =
            obj("type", "string").set("enum", arr("heuristic", "readerlm-v2", "vlm"));

    private static final String READER_ERROR = "#/components/responses/ReaderError";
    private static final String API_ERROR = "#/components/responses/ApiError";

    /**
     * One reader option as the document shows it.
     *
     * @param header its request header
     * @param aliases other headers meaning the same
     * @param field its JSON body field
     * @param values what it takes
     * @param help what it does
     */
    public record ReaderOption(
            String header, List<String> aliases, String field, String values, String help) {}

    private OpenApi() {}

    /** {@code GET /openapi.json} and {@code GET /openapi.yaml}, built once. */
    public static RouteGroup routes(List<ReaderOption> options, boolean models) {
        ObjectNode document = document(options, models);
        String json = document.toPrettyString();
        String yaml;
        try {
            yaml = YAML.writeValueAsString(document);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        return app -> {
            app.get(
                    "/openapi.json",
                    ctx -> ctx.contentType("application/json; charset=utf-8").result(json));
            app.get(
                    "/openapi.yaml",
                    ctx -> ctx.contentType("application/yaml; charset=utf-8").result(yaml));
        };
    }

    /** The document; the model APIs only when {@code models}. */
    public static ObjectNode document(List<ReaderOption> options, boolean models) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("openapi", "3.1.0");
        doc.set(
                "info",
                obj("title", "plinth")
                        .put("version", "0.1.0")
                        .put(
                                "description",
                                "A self-hosted search foundation: a reader that turns any URL,"
                                        + " HTML or PDF into LLM-ready Markdown, and embeddings,"
                                        + " reranking, classification and segmentation over"
                                        + " local models. The reader and the /v1 APIs answer in"
                                        + " Jina's shapes (and OpenAI's for embeddings), so"
                                        + " their clients work unchanged."));
        doc.set("servers", arr(obj("url", "/")));
        doc.set(
                "security",
                arr(obj("bearer", arr()), JSON.createObjectNode() /* no keys configured */));
        ObjectNode paths = doc.putObject("paths");
        reader(paths, options);
        service(paths);
        if (models) {
            models(paths);
        }
        ObjectNode components = doc.putObject("components");
        components
                .putObject("securitySchemes")
                .set(
                        "bearer",
                        obj("type", "http")
                                .put("scheme", "bearer")
                                .put(
                                        "description",
                                        "An API key, when the server is started with keys."));
        components.set("schemas", schemas(options));
        components.set("responses", responses());
        return doc;
    }

    // ---- the reader

    private static void reader(ObjectNode paths, List<ReaderOption> options) {
        ArrayNode headers = JSON.createArrayNode();
        headers.add(
                param("Accept", "header")
                        .put(
                                "description",
                                "The answer's form: text/plain (the default), application/json"
                                        + " (the envelope), text/event-stream (one data event),"
                                        + " image/png (a picture's bytes).")
                        .set("schema", str()));
        for (ReaderOption option : options) {
            for (String name : names(option)) {
                ObjectNode p = param(name, "header");
                p.put(
                        "description",
                        option.help()
                                + " Takes: "
                                + option.values()
                                + "."
                                + (name.equals(option.header())
                                        ? ""
                                        : " Same as " + option.header() + "."));
                p.set("schema", str());
                headers.add(p);
            }
        }
        ObjectNode get =
                operation(
                        "read",
                        "Read a URL",
                        "Reads the page at the URL given as the path (e.g. /https://example.com/page), options in headers.",
                        "reader");
        ArrayNode getParams = get.putArray("parameters");
        getParams.add(
                param("url", "path")
                        .put("required", true)
                        .put(
                                "description",
                                "The target URL, as the rest of the path (its slashes and query"
                                        + " included); http or https.")
                        .set("schema", str()));
        getParams.addAll(headers);
        get.set("responses", readResponses());
        paths.putObject("/{url}").set("get", get);

        ObjectNode post =
                operation(
                        "readPost",
                        "Read a URL, HTML, a PDF or an upload",
                        "Reads what the body names: a url, raw html (with url as its base), a base64 pdf, or an uploaded file (multipart field file). Options in headers or as camelCase body fields.",
                        "reader");
        post.set("parameters", headers.deepCopy());
        ObjectNode content = JSON.createObjectNode();
        ref(content.putObject("application/json").putObject("schema"), "ReadRequest");
        ref(
                content.putObject("application/x-www-form-urlencoded").putObject("schema"),
                "ReadRequest");
        ObjectNode multipart = content.putObject("multipart/form-data").putObject("schema");
        multipart.put("type", "object");
        multipart
                .putObject("properties")
                .set(
                        "file",
                        str().put("contentMediaType", "application/octet-stream")
                                .put("description", "A file to read (PDF, HTML, …)."));
        multipart.putObject("additionalProperties").put("type", "string");
        post.set("requestBody", obj("required", true).set("content", content));
        post.set("responses", readResponses());
        ObjectNode root = paths.putObject("/");
        root.set("post", post);
        ObjectNode postTarget = post.deepCopy();
        postTarget.put("operationId", "readPostTarget");
        postTarget.put("summary", "Read the URL in the path, or HTML with it as base");
        ((ArrayNode) postTarget.get("parameters")).insert(0, getParams.get(0).deepCopy());
        ((ObjectNode) paths.get("/{url}")).set("post", postTarget);
        ObjectNode usage =
                operation(
                        "usage",
                        "Usage, or the playground",
                        "The routes: as text (the default), as JSON for Accept: application/json, or the playground page for a browser (Accept: text/html).",
                        "service");
        ObjectNode usageOk = response("Usage");
        usageOk.putObject("content").set("text/plain", obj("schema", str()));
        ((ObjectNode) usageOk.get("content"))
                .set("application/json", obj("schema", refNode("Usage")));
        ((ObjectNode) usageOk.get("content")).set("text/html", obj("schema", str()));
        usage.putObject("responses").set("200", usageOk);
        usage.set("security", arr(JSON.createObjectNode()));
        root.set("get", usage);

        ObjectNode shot =
                operation(
                        "shot",
                        "A stored picture",
                        "A screenshot or pageshot a read stored, for the API key that asked for it, for four hours.",
                        "reader");
        shot.putArray("parameters")
                .add(
                        param("id", "path")
                                .put("required", true)
                                .put("description", "The picture's id, with .png")
                                .set("schema", str()));
        ObjectNode shotOk = response("The PNG");
        shotOk.putObject("content")
                .set("image/png", obj("schema", str().put("contentMediaType", "image/png")));
        shot.putObject("responses").set("200", shotOk);
        errors((ObjectNode) shot.get("responses"), READER_ERROR, 401, 404, 429);
        paths.putObject("/shots/{id}").set("get", shot);
    }

    private static List<String> names(ReaderOption option) {
        List<String> names = new java.util.ArrayList<>();
        names.add(option.header());
        names.addAll(option.aliases());
        return names;
    }

    private static ObjectNode readResponses() {
        ObjectNode responses = JSON.createObjectNode();
        ObjectNode ok = response("The page, in the form Accept asked for");
        ObjectNode headers = ok.putObject("headers");
        headers.set("X-Usage-Tokens", header("Tokens in the answer.", obj("type", "integer")));
        headers.set(
                "X-Cache",
                header(
                        "How the page cache took part.",
                        str().set("enum", arr("HIT", "MISS", "BYPASS"))));
        headers.set("X-Content-Engine", header("Which engine wrote the content.", ENGINE));
        headers.set(
                "X-Lm-Tokens",
                header("Tokens the language models spent, when any did.", obj("type", "integer")));
        ObjectNode content = ok.putObject("content");
        content.set(
                "text/plain",
                obj(
                        "schema",
                        str().put(
                                        "description",
                                        "Title, URL Source, Published Time, then Markdown Content (or the format asked for).")));
        content.set("application/json", obj("schema", refNode("ReadEnvelope")));
        content.set(
                "text/event-stream",
                obj(
                        "schema",
                        str().put(
                                        "description",
                                        "event: data, the JSON data object; or event: error, the error object.")));
        content.set("image/png", obj("schema", str().put("contentMediaType", "image/png")));
        responses.set("200", ok);
        ObjectNode redirect =
                response(
                        "A picture asked for without Accept: image/png: its stored URL, also as text");
        redirect.set("headers", obj("Location", obj("schema", str().put("format", "uri"))));
        redirect.putObject("content").set("text/plain", obj("schema", str()));
        responses.set("302", redirect);
        // 502 and 504: the language-model backend failed or ran past the deadline.
        errors(responses, READER_ERROR, 400, 401, 409, 413, 415, 422, 429, 451, 500, 502, 504);
        responses.set("404", obj("$ref", "#/components/responses/NotFound"));
        return responses;
    }

    // ---- health, metrics, MCP, this document

    private static void service(ObjectNode paths) {
        ObjectNode health =
                operation(
                        "health",
                        "Liveness",
                        "Answers while the server runs; needs no key.",
                        "service");
        ObjectNode ok = response("Running");
        ok.putObject("content").set("application/json", obj("schema", refNode("Health")));
        health.putObject("responses").set("200", ok);
        health.set("security", arr(JSON.createObjectNode()));
        paths.putObject("/health").set("get", health);

        ObjectNode metrics =
                operation(
                        "metrics",
                        "Prometheus metrics",
                        "Requests, reads, cache, models, in Prometheus' text format; never rate-limited.",
                        "service");
        ObjectNode text = response("The metrics");
        text.putObject("content").set("text/plain", obj("schema", str()));
        metrics.putObject("responses").set("200", text);
        errors((ObjectNode) metrics.get("responses"), READER_ERROR, 401, 429);
        paths.putObject("/metrics").set("get", metrics);

        for (String format : List.of("json", "yaml")) {
            ObjectNode doc =
                    operation(
                            "openapi"
                                    + Character.toUpperCase(format.charAt(0))
                                    + format.substring(1),
                            "This document, as " + format.toUpperCase(java.util.Locale.ROOT),
                            "The OpenAPI 3.1 document of this server; needs no key.",
                            "service");
            ObjectNode body = response("The document");
            body.putObject("content")
                    .set(
                            format.equals("json") ? "application/json" : "application/yaml",
                            obj("schema", obj("type", "object")));
            doc.putObject("responses").set("200", body);
            doc.set("security", arr(JSON.createObjectNode()));
            paths.putObject("/openapi." + format).set("get", doc);
        }

        ObjectNode files =
                operation(
                        "playground",
                        "The playground's files",
                        "The HTML, CSS and script of the playground page (GET / in a browser), from the jar; needs no key.",
                        "service");
        files.putArray("parameters")
                .add(
                        param("file", "path")
                                .put("required", true)
                                .put("description", "index.html, playground.css or playground.js")
                                .set("schema", str()));
        ObjectNode file = response("The file, under a strict Content-Security-Policy");
        ObjectNode fileContent = file.putObject("content");
        for (String type : List.of("text/html", "text/css", "text/javascript")) {
            fileContent.set(type, obj("schema", str()));
        }
        files.putObject("responses").set("200", file);
        errors((ObjectNode) files.get("responses"), READER_ERROR, 404);
        files.set("security", arr(JSON.createObjectNode()));
        paths.putObject("/playground/{file}").set("get", files);

        ObjectNode mcp = JSON.createObjectNode();
        for (String method : List.of("post", "get", "delete")) {
            ObjectNode op =
                    operation(
                            "mcp" + Character.toUpperCase(method.charAt(0)) + method.substring(1),
                            "MCP (streamable HTTP)",
                            "The Model Context Protocol's streamable-HTTP transport: JSON-RPC messages in, JSON or an event stream out, a session in the Mcp-Session-Id header. Tools: read_url, read_html, screenshot, and embed, rerank, segment, classify when the models are loaded.",
                            "mcp");
            if (method.equals("post")) {
                op.set(
                        "requestBody",
                        obj("required", true)
                                .set(
                                        "content",
                                        obj(
                                                "application/json",
                                                obj(
                                                        "schema",
                                                        obj("type", "object")
                                                                .put(
                                                                        "description",
                                                                        "A JSON-RPC 2.0 message.")))));
            }
            ObjectNode answer = response("A JSON-RPC answer, or a stream of them");
            answer.putObject("content")
                    .set("application/json", obj("schema", obj("type", "object")));
            ((ObjectNode) answer.get("content")).set("text/event-stream", obj("schema", str()));
            ObjectNode responses = op.putObject("responses");
            responses.set("200", answer);
            responses.set("202", response("A notification or answer accepted"));
            responses.set("400", response("Not a valid MCP message or session"));
            responses.set("404", response("The session is unknown (gone or never started)"));
            errors(responses, READER_ERROR, 401, 413, 429);
            mcp.set(method, op);
        }
        paths.set("/mcp", mcp);
    }

    // ---- the model APIs

    private static void models(ObjectNode paths) {
        model(
                paths,
                "/v1/embeddings",
                "embeddings",
                "Embeddings",
                "Jina- and OpenAI-compatible embeddings of texts or images.",
                "EmbeddingsRequest",
                "EmbeddingsResponse");
        model(
                paths,
                "/v1/rerank",
                "rerank",
                "Rerank",
                "Jina-compatible reranking: documents sorted by relevance to a query.",
                "RerankRequest",
                "RerankResponse");
        model(
                paths,
                "/v1/multi-vector",
                "multiVector",
                "Multi-vector embeddings",
                "One vector per token (late interaction), Jina's multi-vector API.",
                "MultiVectorRequest",
                "MultiVectorResponse");
        model(
                paths,
                "/v1/classify",
                "classify",
                "Zero-shot classification",
                "Each input scored against the labels with the embedding model.",
                "ClassifyRequest",
                "ClassifyResponse");
        model(
                paths,
                "/v1/segment",
                "segment",
                "Segment",
                "Jina's Segmenter: token counts, tokens and chunks.",
                "SegmentRequest",
                "SegmentResponse");
        ObjectNode list =
                operation(
                        "models",
                        "The models",
                        "Every servable model, the aliases, the default per endpoint, and what can be installed.",
                        "models");
        ObjectNode ok = response("The models");
        ok.putObject("content").set("application/json", obj("schema", refNode("ModelList")));
        list.putObject("responses").set("200", ok);
        errors((ObjectNode) list.get("responses"), API_ERROR, 401, 429);
        paths.putObject("/v1/models").set("get", list);
    }

    private static void model(
            ObjectNode paths,
            String path,
            String id,
            String summary,
            String description,
            String request,
            String response) {
        ObjectNode op = operation(id, summary, description, "models");
        op.set(
                "requestBody",
                obj("required", true)
                        .set("content", obj("application/json", obj("schema", refNode(request)))));
        ObjectNode ok = response(summary);
        ok.putObject("content").set("application/json", obj("schema", refNode(response)));
        ObjectNode responses = op.putObject("responses");
        responses.set("200", ok);
        errors(responses, API_ERROR, 400, 401, 404, 413, 422, 429, 451, 500, 503);
        paths.putObject(path).set("post", op);
    }

    // ---- components

    private static ObjectNode responses() {
        ObjectNode responses = JSON.createObjectNode();
        ObjectNode reader =
                response(
                        "The reader's error (Jina's shape): name and message; Retry-After with a 429");
        reader.set(
                "headers",
                obj(
                        "Retry-After",
                        obj("schema", obj("type", "integer"))
                                .put("description", "Seconds to wait, with 429.")));
        reader.putObject("content").set("application/json", obj("schema", refNode("ReaderError")));
        ((ObjectNode) reader.get("content"))
                .set(
                        "text/event-stream",
                        obj(
                                "schema",
                                str().put(
                                                "description",
                                                "A read asked for as a stream: event: error, the error object as data.")));
        responses.set("ReaderError", reader);
        ObjectNode api =
                response(
                        "A /v1 error: detail (Jina's clients) and error (OpenAI's); Retry-After with a 429");
        api.set(
                "headers",
                obj(
                        "Retry-After",
                        obj("schema", obj("type", "integer"))
                                .put("description", "Seconds to wait, with 429.")));
        api.putObject("content").set("application/json", obj("schema", refNode("ApiError")));
        responses.set("ApiError", api);
        ObjectNode notFound =
                response(
                        "No such route: a path under /v1/ that no model API serves answers in the /v1 shape, any other in the reader's");
        notFound.putObject("content")
                .set(
                        "application/json",
                        obj(
                                "schema",
                                obj("oneOf", arr(refNode("ReaderError"), refNode("ApiError")))));
        responses.set("NotFound", notFound);
        return responses;
    }

    private static ObjectNode schemas(List<ReaderOption> options) {
        ObjectNode s = JSON.createObjectNode();
        ObjectNode read =
                object(
                        "A read: one of url, html, pdf; options as camelCase fields (the headers' names without X-).");
        ObjectNode readProps = (ObjectNode) read.get("properties");
        readProps.set("url", str().put("description", "The target, or the base URL of html."));
        readProps.set("html", str().put("description", "Raw HTML to read instead of fetching."));
        readProps.set(
                "pdf", str().put("contentEncoding", "base64").put("description", "A PDF, base64."));
        for (ReaderOption option : options) {
            ObjectNode field = JSON.createObjectNode();
            field.set("type", arr("string", "number", "boolean", "array", "object"));
            field.put("description", option.help() + " Takes: " + option.values() + ".");
            readProps.set(option.field(), field);
        }
        readProps.set(
                "markdown",
                obj("type", "object")
                        .put(
                                "description",
                                "The X-Md-* options as one object, e.g. {\"headingStyle\": \"setext\"}."));
        s.set("ReadRequest", read);

        ObjectNode data =
                object(
                        "What a read produced; the fields present follow X-Respond-With and the options.");
        data.set("required", arr("title", "url", "usage"));
        ObjectNode dp = (ObjectNode) data.get("properties");
        dp.set("title", str());
        dp.set("description", str());
        dp.set(
                "url",
                obj("type", arr("string", "null"))
                        .put(
                                "description",
                                "The page's address; null for an upload or PDF without one."));
        dp.set(
                "content",
                str().put("description", "Markdown (content, markdown) or the format's output."));
        dp.set("html", str());
        dp.set("text", str());
        dp.set("json", obj("description", "Structured output of a language-model format."));
        dp.set("screenshotUrl", str().put("format", "uri"));
        dp.set("pageshotUrl", str().put("format", "uri"));
        dp.set("publishedTime", str());
        dp.set("metadata", obj("type", "object"));
        dp.set(
                "links",
                obj("description", "X-With-Links-Summary: {text: url}, or [[text, url]] with all.")
                        .set("type", arr("object", "array")));
        dp.set("images", obj("type", "object").set("additionalProperties", str()));
        dp.set("numPages", obj("type", "integer"));
        dp.set("warning", str());
        dp.set("chunks", obj("type", "array").set("items", str()));
        dp.set("engine", ENGINE.deepCopy().put("description", "Which engine wrote the content."));
        dp.set("usage", readUsage());
        s.set("ReadData", data);
        ObjectNode envelope = object("The JSON answer, as Jina's reader gives it.");
        envelope.set("required", arr("code", "status", "data"));
        ObjectNode ep = (ObjectNode) envelope.get("properties");
        ep.set("code", obj("type", "integer").put("const", 200));
        ep.set("status", obj("type", "integer").put("const", 20000));
        ep.set("data", refNode("ReadData"));
        ep.set("meta", obj("type", "object").set("properties", obj("usage", readUsage())));
        s.set("ReadEnvelope", envelope);

        ObjectNode readerError = object("The reader's error, Jina's shape.");
        readerError.set("required", arr("code", "name", "status", "message", "readableMessage"));
        ObjectNode rp = (ObjectNode) readerError.get("properties");
        rp.set("data", obj("type", "null"));
        rp.set("code", obj("type", "integer").put("description", "The HTTP status."));
        rp.set(
                "name",
                str().put(
                                "description",
                                "e.g. ParamValidationError, AuthenticationRequiredError, SecurityCompromiseError, AssertionFailureError, BudgetExceededError."));
        rp.set(
                "status",
                obj("type", "integer")
                        .put("description", "Five digits: the HTTP status and which error of it."));
        rp.set("message", str());
        rp.set("readableMessage", str());
        rp.set("detail", str().put("description", "The message again, as the /v1 errors say it."));
        rp.set(
                "errors",
                obj("type", "array")
                        .put(
                                "description",
                                "With 422 from X-Json-Schema: where the answer broke it.")
                        .set("items", str()));
        s.set("ReaderError", readerError);

        ObjectNode apiError = object("A /v1 error.");
        apiError.set("required", arr("detail", "error"));
        ObjectNode ap = (ObjectNode) apiError.get("properties");
        ap.set("detail", str());
        ObjectNode err = object(null);
        err.set("required", arr("message", "type", "code"));
        ObjectNode errp = (ObjectNode) err.get("properties");
        errp.set("message", str());
        errp.set(
                "type",
                str().set(
                                "enum",
                                arr(
                                        "invalid_request_error",
                                        "authentication_error",
                                        "rate_limit_error",
                                        "server_error")));
        errp.set("param", obj("type", arr("string", "null")));
        errp.set("code", str());
        ap.set("error", err);
        s.set("ApiError", apiError);

        s.set("Health", object(null).set("properties", obj("status", str().put("const", "ok"))));
        ObjectNode usageDoc = object("The routes, by name.");
        usageDoc.set("additionalProperties", obj("type", arr("string", "object", "array")));
        s.set("Usage", usageDoc);

        ObjectNode input =
                obj(
                                "description",
                                "A text, a {text} or {image} object (image: URL, data URL or base64), or token ids.")
                        .set(
                                "oneOf",
                                arr(
                                        str(),
                                        obj("type", "object")
                                                .set(
                                                        "properties",
                                                        obj("text", str()).set("image", str())),
                                        obj("type", "array").set("items", obj("type", "integer"))));
        s.set("Input", input);
        ObjectNode inputs =
                obj("description", "One input or a list of up to 512.")
                        .set(
                                "oneOf",
                                arr(
                                        refNode("Input"),
                                        obj("type", "array").set("items", refNode("Input"))));
        s.set("Inputs", inputs);

        ObjectNode embReq = object(null);
        embReq.set("required", arr("input"));
        ObjectNode erp = (ObjectNode) embReq.get("properties");
        erp.set("model", str());
        erp.set("input", refNode("Inputs"));
        erp.set(
                "task",
                str().put(
                                "description",
                                "retrieval.query, retrieval.passage, text-matching, classification, separation (models that take tasks)."));
        erp.set("dimensions", obj("type", "integer").put("minimum", 1));
        erp.set("normalized", obj("type", "boolean").put("default", true));
        ObjectNode types =
                obj(
                        "oneOf",
                        arr(
                                refNode("EmbeddingType"),
                                obj("type", "array").set("items", refNode("EmbeddingType"))));
        erp.set("embedding_type", types);
        erp.set("encoding_type", types.deepCopy());
        erp.set("encoding_format", types.deepCopy());
        erp.set("truncate", obj("type", "boolean").put("default", false));
        erp.set("late_chunking", obj("type", "boolean").put("default", false));
        erp.set("user", str().put("description", "Accepted and ignored (OpenAI clients send it)."));
        s.set("EmbeddingsRequest", embReq);
        s.set("EmbeddingType", str().set("enum", arr("float", "base64", "binary", "ubinary")));
        ObjectNode vector =
                obj(
                                "description",
                                "Floats, a base64 string, or packed bits as ints; an object by type when several were asked.")
                        .set(
                                "oneOf",
                                arr(
                                        obj("type", "array").set("items", obj("type", "number")),
                                        str(),
                                        obj("type", "object")));
        s.set(
                "EmbeddingsResponse",
                listResponse(
                        obj("type", "object").set("required", arr("object", "index", "embedding")),
                        "embedding",
                        vector,
                        true));

        ObjectNode mvReq = object(null);
        mvReq.set("required", arr("input"));
        ((ObjectNode) mvReq.get("properties")).set("model", str());
        ((ObjectNode) mvReq.get("properties")).set("input", refNode("Inputs"));
        ((ObjectNode) mvReq.get("properties"))
                .set("input_type", str().set("enum", arr("query", "document")));
        ((ObjectNode) mvReq.get("properties")).set("dimensions", obj("type", "integer"));
        s.set("MultiVectorRequest", mvReq);
        s.set(
                "MultiVectorResponse",
                listResponse(
                        obj("type", "object").set("required", arr("object", "index", "embeddings")),
                        "embeddings",
                        obj("type", "array")
                                .set(
                                        "items",
                                        obj("type", "array").set("items", obj("type", "number"))),
                        true));

        ObjectNode rrReq = object(null);
        rrReq.set("required", arr("query", "documents"));
        ObjectNode rrp = (ObjectNode) rrReq.get("properties");
        rrp.set("model", str());
        rrp.set("query", str());
        rrp.set("documents", obj("type", "array").set("items", refNode("Input")));
        rrp.set("top_n", obj("type", "integer").put("minimum", 1));
        rrp.set("return_documents", obj("type", "boolean").put("default", true));
        s.set("RerankRequest", rrReq);
        ObjectNode rrRes = object("Best first.");
        rrRes.set("required", arr("model", "usage", "results"));
        ObjectNode rrrp = (ObjectNode) rrRes.get("properties");
        rrrp.set("model", str());
        rrrp.set("usage", usage("total_tokens", "prompt_tokens"));
        ObjectNode result = object(null);
        result.set("required", arr("index", "relevance_score"));
        ((ObjectNode) result.get("properties")).set("index", obj("type", "integer"));
        ((ObjectNode) result.get("properties")).set("relevance_score", obj("type", "number"));
        ((ObjectNode) result.get("properties"))
                .set(
                        "document",
                        obj("type", "object")
                                .set(
                                        "properties",
                                        obj("text", obj("type", arr("string", "null")))));
        rrrp.set("results", obj("type", "array").set("items", result));
        s.set("RerankResponse", rrRes);

        ObjectNode clReq = object(null);
        clReq.set("required", arr("input", "labels"));
        ((ObjectNode) clReq.get("properties")).set("model", str());
        ((ObjectNode) clReq.get("properties")).set("input", refNode("Inputs"));
        ((ObjectNode) clReq.get("properties"))
                .set("labels", obj("type", "array").put("minItems", 1).set("items", str()));
        s.set("ClassifyRequest", clReq);
        ObjectNode clItem =
                obj("type", "object")
                        .set(
                                "required",
                                arr("object", "index", "prediction", "score", "predictions"));
        ObjectNode clp = clItem.putObject("properties");
        clp.set("object", str().put("const", "classification"));
        clp.set("index", obj("type", "integer"));
        clp.set("prediction", str());
        clp.set("score", obj("type", "number"));
        ObjectNode label = object(null);
        label.set("required", arr("label", "score"));
        ((ObjectNode) label.get("properties")).set("label", str());
        ((ObjectNode) label.get("properties")).set("score", obj("type", "number"));
        clp.set("predictions", obj("type", "array").set("items", label));
        ObjectNode clRes = object(null);
        clRes.set("required", arr("model", "object", "usage", "data"));
        ((ObjectNode) clRes.get("properties")).set("model", str());
        ((ObjectNode) clRes.get("properties")).set("object", str().put("const", "list"));
        ((ObjectNode) clRes.get("properties")).set("usage", usage("total_tokens"));
        ((ObjectNode) clRes.get("properties"))
                .set("data", obj("type", "array").set("items", clItem));
        s.set("ClassifyResponse", clRes);

        ObjectNode sgReq = object(null);
        sgReq.set("required", arr("content"));
        ObjectNode sgp = (ObjectNode) sgReq.get("properties");
        sgp.set("content", str());
        sgp.set("tokenizer", str().put("default", "cl100k_base"));
        sgp.set("return_tokens", obj("type", "boolean").put("default", false));
        sgp.set("return_chunks", obj("type", "boolean").put("default", false));
        sgp.set("max_chunk_length", obj("type", "integer").put("default", 1000));
        sgp.set("head", obj("type", "integer"));
        sgp.set("tail", obj("type", "integer"));
        s.set("SegmentRequest", sgReq);
        ObjectNode sgRes =
                object(
                        "Chunk fields only when chunks were asked for, tokens only when tokens were.");
        sgRes.set("required", arr("num_tokens", "tokenizer", "usage"));
        ObjectNode sgrp = (ObjectNode) sgRes.get("properties");
        sgrp.set("num_tokens", obj("type", "integer"));
        sgrp.set("tokenizer", str());
        sgrp.set("usage", usage("tokens"));
        sgrp.set("num_chunks", obj("type", "integer"));
        sgrp.set(
                "chunk_positions",
                obj("type", "array")
                        .set(
                                "items",
                                obj("type", "array")
                                        .put("minItems", 2)
                                        .put("maxItems", 2)
                                        .set("items", obj("type", "integer"))));
        sgrp.set("chunks", obj("type", "array").set("items", str()));
        sgrp.set(
                "tokens",
                obj("type", "array")
                        .put(
                                "description",
                                "[text, [ids]] pairs; a list of them per chunk when chunks were asked too."));
        s.set("SegmentResponse", sgRes);

        ObjectNode model = object(null);
        model.set("required", arr("id", "object", "kind"));
        ObjectNode mp = (ObjectNode) model.get("properties");
        mp.set("id", str());
        mp.set("object", str().put("const", "model"));
        mp.set("kind", str());
        mp.set("dimensions", obj("type", "integer"));
        mp.set("max_tokens", obj("type", "integer"));
        mp.set("tasks", obj("type", arr("array", "null")).set("items", str()));
        for (String flag : List.of("bundled", "loaded", "quantized", "default")) {
            mp.set(flag, obj("type", "boolean"));
        }
        mp.set("aliases", obj("type", arr("array", "null")).set("items", str()));
        ObjectNode list = object(null);
        list.set("required", arr("object", "data"));
        ObjectNode lp = (ObjectNode) list.get("properties");
        lp.set("object", str().put("const", "list"));
        lp.set("data", obj("type", "array").set("items", model));
        lp.set("aliases", obj("type", "object").set("additionalProperties", str()));
        lp.set(
                "defaults",
                obj("type", "object")
                        .set("additionalProperties", obj("type", arr("string", "null"))));
        lp.set("rerank", obj("type", "array").set("items", str()));
        lp.set(
                "installable",
                obj("type", "array")
                        .set(
                                "items",
                                obj("type", "object")
                                        .set(
                                                "properties",
                                                obj("id", str()).set("artifact", str()))));
        s.set("ModelList", list);
        return s;
    }

    private static ObjectNode listResponse(
            ObjectNode item, String field, JsonNode value, boolean prompt) {
        ObjectNode props = item.putObject("properties");
        props.set("object", str());
        props.set("index", obj("type", "integer"));
        props.set(field, value);
        ObjectNode res = object(null);
        res.set("required", arr("model", "object", "usage", "data"));
        ObjectNode rp = (ObjectNode) res.get("properties");
        rp.set("model", str());
        rp.set("object", str().put("const", "list"));
        rp.set("usage", prompt ? usage("total_tokens", "prompt_tokens") : usage("total_tokens"));
        rp.set("data", obj("type", "array").set("items", item));
        return res;
    }

    // ---- small builders

    private static ObjectNode operation(String id, String summary, String description, String tag) {
        ObjectNode op = JSON.createObjectNode();
        op.put("operationId", id);
        op.put("summary", summary);
        op.put("description", description);
        op.set("tags", arr(tag));
        return op;
    }

    private static void errors(ObjectNode responses, String ref, int... statuses) {
        for (int status : statuses) {
            responses.set(Integer.toString(status), obj("$ref", ref));
        }
    }

    private static ObjectNode header(String description, ObjectNode schema) {
        return obj("description", description).set("schema", schema.deepCopy());
    }

    private static ObjectNode response(String description) {
        return obj("description", description);
    }

    private static ObjectNode param(String name, String in) {
        return obj("name", name).put("in", in);
    }

    /** A read's usage: its tokens and, when language models answered, what they spent. */
    private static ObjectNode readUsage() {
        ObjectNode usage = usage("tokens");
        ObjectNode props = (ObjectNode) usage.get("properties");
        props.set("model", str());
        for (String field : List.of("promptTokens", "completionTokens", "totalTokens")) {
            props.set(field, obj("type", "integer"));
        }
        props.set(
                "estimated",
                obj("type", "boolean").put("description", "The backend did not count its tokens."));
        return usage;
    }

    private static ObjectNode usage(String... fields) {
        ObjectNode usage = obj("type", "object");
        usage.set("required", arr((Object[]) fields));
        ObjectNode props = usage.putObject("properties");
        for (String field : fields) {
            props.set(field, obj("type", "integer"));
        }
        return usage;
    }

    private static ObjectNode object(String description) {
        ObjectNode o = obj("type", "object");
        if (description != null) {
            o.put("description", description);
        }
        o.putObject("properties");
        return o;
    }

    private static ObjectNode str() {
        return obj("type", "string");
    }

    private static ObjectNode refNode(String schema) {
        return obj("$ref", "#/components/schemas/" + schema);
    }

    private static void ref(ObjectNode node, String schema) {
        node.put("$ref", "#/components/schemas/" + schema);
    }

    private static ObjectNode obj(String key, Object value) {
        ObjectNode o = JSON.createObjectNode();
        o.set(key, node(value));
        return o;
    }

    private static ArrayNode arr(Object... items) {
        ArrayNode a = JSON.createArrayNode();
        for (Object item : items) {
            a.add(node(item));
        }
        return a;
    }

    private static JsonNode node(Object value) {
        return value instanceof JsonNode node ? node : JSON.valueToTree(value);
    }
}
