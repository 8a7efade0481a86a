package dev.plinth.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * plinth's MCP tools: the reader ({@code read_url}, {@code read_html}, {@code screenshot}) and the
 * models ({@code embed}, {@code rerank}, {@code segment}, {@code classify}). Each turns its
 * arguments into one call of the HTTP API ({@link Api}), so options, guards and messages are the
 * API's own; a refused call is a tool error ({@code isError}) carrying the API's {@code detail},
 * never a broken session.
 */
final class Tools {

    private static final Logger LOG = LoggerFactory.getLogger(Tools.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where the caller's {@code Authorization} travels in the transport context. */
    static final String AUTHORIZATION = "authorization";

    /** How often a long read says it is still going. */
    private static final long PROGRESS_EVERY_MS = 1000;

    private final Api api;
    private final McpJsonMapper mapper;
    private final String fixedAuthorization;
    private final boolean localFiles;

    /**
     * @param fixedAuthorization the key every call sends (stdio), or null to pass on the caller's
     *     (HTTP)
     * @param localFiles whether {@code read_html} may read a file of this machine (stdio only: an
     *     HTTP caller must never reach the server's disk)
     */
    Tools(Api api, McpJsonMapper mapper, String fixedAuthorization, boolean localFiles) {
        this.api = api;
        this.mapper = mapper;
        this.fixedAuthorization = fixedAuthorization;
        this.localFiles = localFiles;
    }

    /** The tools, the model ones only when {@code models}. */
    List<SyncToolSpecification> all(boolean models) {
        List<SyncToolSpecification> tools = new ArrayList<>();
        tools.add(tool("read_url", READ_URL_HELP, READ_URL_SCHEMA, this::readUrl));
        tools.add(
                tool(
                        "read_html",
                        localFiles ? READ_HTML_HELP + READ_HTML_FILE_HELP : READ_HTML_HELP,
                        localFiles ? READ_HTML_SCHEMA_WITH_PATH : READ_HTML_SCHEMA,
                        this::readHtml));
        tools.add(tool("screenshot", SCREENSHOT_HELP, SCREENSHOT_SCHEMA, this::screenshot));
        if (models) {
            tools.add(tool("embed", EMBED_HELP, EMBED_SCHEMA, this::embed));
            tools.add(tool("rerank", RERANK_HELP, RERANK_SCHEMA, this::rerank));
            tools.add(tool("segment", SEGMENT_HELP, SEGMENT_SCHEMA, this::segment));
            tools.add(tool("classify", CLASSIFY_HELP, CLASSIFY_SCHEMA, this::classify));
        }
        return tools;
    }

    /** A call's body: arguments in, result out; anything thrown becomes a tool error. */
    @FunctionalInterface
    private interface Call {
        CallToolResult run(Args args, McpSyncServerExchange exchange, CallToolRequest request)
                throws Exception;
    }

    private SyncToolSpecification tool(String name, String help, String schema, Call call) {
        McpSchema.Tool tool =
                McpSchema.Tool.builder(name, mapper, schema).description(help).build();
        return SyncToolSpecification.builder()
                .tool(tool)
                .callHandler((exchange, request) -> {
                    try {
                        return call.run(
                                new Args(JSON.valueToTree(arguments(request))), exchange, request);
                    } catch (ToolError e) {
                        return error(e.getMessage());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return error(name + " was interrupted");
                    } catch (Exception e) {
                        LOG.warn("MCP tool {} failed", name, e);
                        return error(name + " failed: " + e.getMessage());
                    }
                })
                .build();
    }

    private static Map<String, Object> arguments(CallToolRequest request) {
        return request.arguments() == null ? Map.of() : request.arguments();
    }

    // ---- the reader

    private CallToolResult readUrl(Args args, McpSyncServerExchange exchange, CallToolRequest req)
            throws Exception {
        ObjectNode body = JSON.createObjectNode().put("url", args.required("url"));
        return read(body, args, exchange, req, "reading " + body.get("url").asText());
    }

    private CallToolResult readHtml(Args args, McpSyncServerExchange exchange, CallToolRequest req)
            throws Exception {
        String html = args.string("html");
        String path = args.string("path");
        if ((html == null) == (path == null)) {
            throw new ToolError(
                    localFiles
                            ? "give either html (the document) or path (a local file), not both"
                                    + " or neither"
                            : "html is required");
        }
        ObjectNode body = JSON.createObjectNode();
        if (path != null) {
            if (!localFiles) {
                throw new ToolError("path is only accepted over stdio (plinth mcp)");
            }
            Path file = Path.of(path).toAbsolutePath();
            if (!Files.isRegularFile(file)) {
                throw new ToolError("no such file: " + file);
            }
            html = Files.readString(file, StandardCharsets.UTF_8);
        }
        if (args.string("url") != null) {
            body.put("url", args.string("url"));
        }
        body.put("html", html);
        return read(body, args, exchange, req, "reading the HTML");
    }

    /** One read through {@code POST /}: the reader's text answer, with progress while it runs. */
    private CallToolResult read(
            ObjectNode body,
            Args args,
            McpSyncServerExchange exchange,
            CallToolRequest request,
            String what)
            throws Exception {
        List<String> headers = new ArrayList<>(List.of("Accept", "text/plain"));
        header(headers, "X-Respond-With", args.string("format"));
        header(headers, "X-Target-Selector", args.joined("target_selector"));
        header(headers, "X-Remove-Selector", args.joined("remove_selector"));
        header(headers, "X-Wait-For-Selector", args.joined("wait_for_selector"));
        header(headers, "X-Engine", args.string("engine"));
        header(headers, "X-Pages", args.string("pages"));
        header(headers, "X-Timeout", args.number("timeout"));
        header(headers, "X-Max-Tokens", args.number("max_tokens"));
        header(headers, "X-Token-Budget", args.number("token_budget"));
        header(headers, "X-With-Links-Summary", args.flag("links_summary"));
        header(headers, "X-With-Images-Summary", args.flag("images_summary"));
        header(headers, "X-No-Cache", args.flag("no_cache"));
        Api.Answer answer;
        try (Progress progress = Progress.start(exchange, request, what)) {
            answer = api.post("/", body, authorization(exchange), headers.toArray(String[]::new));
            progress.done(answer.ok() ? "read" : "failed");
        }
        if (!answer.ok()) {
            throw new ToolError(answer.detail());
        }
        return CallToolResult.builder().addTextContent(answer.text()).isError(false).build();
    }

    private CallToolResult screenshot(
            Args args, McpSyncServerExchange exchange, CallToolRequest request) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("url", args.required("url"));
        List<String> headers = new ArrayList<>(List.of("Accept", "image/png"));
        header(
                headers,
                "X-Respond-With",
                args.bool("full_page", false) ? "pageshot" : "screenshot");
        header(headers, "X-Wait-For-Selector", args.joined("wait_for_selector"));
        header(headers, "X-Timeout", args.number("timeout"));
        header(headers, "X-Viewport", args.string("viewport"));
        header(headers, "X-No-Cache", args.flag("no_cache"));
        Api.Answer answer;
        try (Progress progress =
                Progress.start(
                        exchange, request, "taking a picture of " + body.get("url").asText())) {
            answer = api.post("/", body, authorization(exchange), headers.toArray(String[]::new));
            progress.done(answer.ok() ? "taken" : "failed");
        }
        if (!answer.ok()) {
            throw new ToolError(answer.detail());
        }
        if (!answer.type().startsWith("image/")) {
            throw new ToolError("the reader answered " + answer.type() + ", not a picture");
        }
        return CallToolResult.builder()
                .addContent(
                        McpSchema.ImageContent.builder(
                                        Base64.getEncoder().encodeToString(answer.body()),
                                        answer.type().split(";", 2)[0].strip())
                                .build())
                .isError(false)
                .build();
    }

    // ---- the models

    private CallToolResult embed(Args args, McpSyncServerExchange exchange, CallToolRequest req)
            throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.set("input", args.strings("texts"));
        args.copy(body, "model", "task", "dimensions");
        return model("/v1/embeddings", body, exchange);
    }

    private CallToolResult rerank(Args args, McpSyncServerExchange exchange, CallToolRequest req)
            throws Exception {
        ObjectNode body = JSON.createObjectNode().put("query", args.required("query"));
        body.set("documents", args.strings("documents"));
        args.copy(body, "model", "top_n");
        return model("/v1/rerank", body, exchange);
    }

    private CallToolResult segment(Args args, McpSyncServerExchange exchange, CallToolRequest req)
            throws Exception {
        ObjectNode body = JSON.createObjectNode().put("content", args.required("content"));
        body.put("return_chunks", args.bool("return_chunks", true));
        body.put("return_tokens", args.bool("return_tokens", false));
        args.copy(body, "max_chunk_length", "tokenizer");
        return model("/v1/segment", body, exchange);
    }

    private CallToolResult classify(Args args, McpSyncServerExchange exchange, CallToolRequest req)
            throws Exception {
        ObjectNode body = JSON.createObjectNode();
        body.set("input", args.strings("texts"));
        body.set("labels", args.strings("labels"));
        args.copy(body, "model");
        return model("/v1/classify", body, exchange);
    }

    /** One model call: the API's JSON answer, as text and as structured content. */
    private CallToolResult model(String path, ObjectNode body, McpSyncServerExchange exchange)
            throws Exception {
        Api.Answer answer =
                api.post(path, body, authorization(exchange), "Accept", "application/json");
        if (!answer.ok()) {
            throw new ToolError(answer.detail());
        }
        JsonNode json = answer.json();
        return CallToolResult.builder()
                .addTextContent(json.toString())
                .structuredContent(JSON.convertValue(json, Map.class))
                .isError(false)
                .build();
    }

    // ---- helpers

    private String authorization(McpSyncServerExchange exchange) {
        if (fixedAuthorization != null) {
            return fixedAuthorization;
        }
        Object given = exchange.transportContext().get(AUTHORIZATION);
        return given == null ? null : given.toString();
    }

    private static void header(List<String> headers, String name, String value) {
        if (value != null && !value.isBlank()) {
            headers.add(name);
            headers.add(value);
        }
    }

    private static CallToolResult error(String message) {
        return CallToolResult.builder().addTextContent(message).isError(true).build();
    }

    /** A tool call refused with a message for the caller. */
    static final class ToolError extends RuntimeException {
        ToolError(String message) {
            super(message, null, false, false);
        }
    }

    /** A call's arguments, with the checks the schema cannot make. */
    record Args(JsonNode node) {
        String string(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isValueNode()) {
                throw new ToolError(name + " must be a string");
            }
            return v.asText().isBlank() ? null : v.asText();
        }

        String required(String name) {
            String v = string(name);
            if (v == null) {
                throw new ToolError(name + " is required");
            }
            return v;
        }

        /** A string, or a list of strings joined with commas (selectors). */
        String joined(String name) {
            JsonNode v = node.get(name);
            if (v != null && v.isArray()) {
                List<String> parts = new ArrayList<>();
                v.forEach(p -> parts.add(p.asText()));
                return String.join(", ", parts);
            }
            return string(name);
        }

        String number(String name) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return null;
            }
            if (!v.isNumber()) {
                throw new ToolError(name + " must be a number");
            }
            return v.asText();
        }

        boolean bool(String name, boolean otherwise) {
            JsonNode v = node.get(name);
            if (v == null || v.isNull()) {
                return otherwise;
            }
            if (!v.isBoolean()) {
                throw new ToolError(name + " must be true or false");
            }
            return v.asBoolean();
        }

        /** {@code "true"} when the flag is set, else null (no header). */
        String flag(String name) {
            return bool(name, false) ? "true" : null;
        }

        ArrayNode strings(String name) {
            JsonNode v = node.get(name);
            if (v == null || !v.isArray() || v.isEmpty()) {
                throw new ToolError(name + " must be a non-empty list of strings");
            }
            for (JsonNode item : v) {
                if (!item.isTextual()) {
                    throw new ToolError(name + " must hold strings only");
                }
            }
            return (ArrayNode) v;
        }

        /** Copies the named fields that were given, as they were given. */
        void copy(ObjectNode body, String... names) {
            for (String name : names) {
                JsonNode v = node.get(name);
                if (v != null && !v.isNull()) {
                    body.set(name, v);
                }
            }
        }
    }

    /**
     * Progress notifications for one call, sent only when the client asked with a progress token:
     * one at the start, one a second while the API works (the reader gives no finer steps), one at
     * the end.
     */
    static final class Progress implements AutoCloseable {
        private final McpSyncServerExchange exchange;
        private final Object token;
        private final String what;
        private final AtomicBoolean finished = new AtomicBoolean();
        private final Thread ticker;
        private int step;

        private Progress(McpSyncServerExchange exchange, Object token, String what) {
            this.exchange = exchange;
            this.token = token;
            this.what = what;
            send(what);
            this.ticker =
                    token == null
                            ? null
                            : Thread.ofVirtual().name("plinth-mcp-progress").start(this::tick);
        }

        static Progress start(
                McpSyncServerExchange exchange, CallToolRequest request, String what) {
            Object token = request.meta() == null ? null : request.meta().get("progressToken");
            return new Progress(exchange, token, what);
        }

        private void tick() {
            long started = System.nanoTime();
            try {
                while (!finished.get()) {
                    Thread.sleep(PROGRESS_EVERY_MS);
                    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
                    tick(what + " (" + seconds + " s)");
                }
            } catch (InterruptedException e) {
                // The call ended.
            }
        }

        /** A note while working; never after the last one, which {@link #done} sends. */
        private synchronized void tick(String message) {
            if (!finished.get()) {
                send(message);
            }
        }

        private synchronized void send(String message) {
            if (token == null) {
                return;
            }
            try {
                exchange.progressNotification(
                        McpSchema.ProgressNotification.builder(token, step++)
                                .message(message)
                                .build());
            } catch (RuntimeException e) {
                // A client gone mid-call: the call's own answer will fail the same way.
                LOG.debug("progress not sent: {}", e.getMessage());
            }
        }

        synchronized void done(String message) {
            if (finished.compareAndSet(false, true)) {
                if (ticker != null) {
                    ticker.interrupt();
                }
                send(message);
            }
        }

        @Override
        public void close() {
            if (finished.compareAndSet(false, true) && ticker != null) {
                ticker.interrupt();
            }
        }
    }

    // ---- descriptions and schemas

    private static final String READ_URL_HELP =
            """
            Read a web page or PDF by URL and return it as clean, LLM-ready Markdown: the main \
            content by default, with title, source URL and publication time above it. Use \
            target_selector to keep only part of a page, remove_selector to drop parts, \
            wait_for_selector and engine=browser for pages rendered by scripts, pages for a \
            range of a PDF's pages, and max_tokens to cut a long page to size. A page that \
            cannot be read comes back as a tool error saying why.\
            """;

    private static final String READ_OPTIONS =
            """
            "format": {"type": "string", "enum": ["content", "markdown", "html", "text", \
            "content-html", "content-text"], "description": "What to return: the main content \
            as Markdown (content, the default), the whole page as Markdown, HTML or text, or \
            the main content as HTML or text."},
            "target_selector": {"type": ["string", "array"], "items": {"type": "string"}, \
            "description": "CSS selector(s): only what they match is read."},
            "remove_selector": {"type": ["string", "array"], "items": {"type": "string"}, \
            "description": "CSS selector(s) of elements to drop before reading."},
            "max_tokens": {"type": "integer", "minimum": 1, "description": "Cut the answer \
            to this many tokens."},
            "token_budget": {"type": "integer", "minimum": 1, "description": "Fail instead \
            of answering when the content is over this many tokens."},
            "links_summary": {"type": "boolean", "description": "Append a list of the \
            page's links."},
            "images_summary": {"type": "boolean", "description": "Append a list of the \
            page's images."}\
            """;

    private static final String READ_URL_SCHEMA =
            """
            {"type": "object", "required": ["url"], "additionalProperties": false,
             "properties": {
              "url": {"type": "string", "description": "The http(s) URL to read."},
            """
                    + READ_OPTIONS
                    + """
                    ,
                      "wait_for_selector": {"type": ["string", "array"], "items": {"type": "string"}, \
                    "description": "CSS selector(s) to wait for before reading (browser engine)."},
                      "engine": {"type": "string", "enum": ["auto", "browser", "direct"], \
                    "description": "Who loads the page: auto (default: direct, the browser when the \
                    page looks script-rendered), browser, or direct."},
                      "pages": {"type": "string", "pattern": "^\\\\d+(-\\\\d*)?(,\\\\d+(-\\\\d*)?)*$", \
                    "description": "For a PDF: the pages to read, e.g. 1-3,7."},
                      "timeout": {"type": "number", "description": "Seconds to wait for the page \
                    (at most 180)."},
                      "no_cache": {"type": "boolean", "description": "Load the page afresh instead \
                    of from the cache."}
                     }}\
                    """;

    private static final String READ_HTML_HELP =
            """
            Turn an HTML document given as text into clean Markdown, as read_url does for a \
            page on the web. Give url as the document's address so relative links resolve.\
            """;

    private static final String READ_HTML_FILE_HELP =
            " Instead of html, path may name an HTML file on this machine.";

    private static final String READ_HTML_SCHEMA =
            """
            {"type": "object", "required": ["html"], "additionalProperties": false,
             "properties": {
              "html": {"type": "string", "description": "The HTML document."},
              "url": {"type": "string", "description": "The document's address, for \
            relative links."},
            """
                    + READ_OPTIONS
                    + "}}";

    private static final String READ_HTML_SCHEMA_WITH_PATH =
            """
            {"type": "object", "additionalProperties": false,
             "properties": {
              "html": {"type": "string", "description": "The HTML document (or give path)."},
              "path": {"type": "string", "description": "A local HTML file to read instead \
            of html."},
              "url": {"type": "string", "description": "The document's address, for \
            relative links."},
            """
                    + READ_OPTIONS
                    + "}}";

    private static final String SCREENSHOT_HELP =
            """
            Take a PNG picture of a web page in a headless browser: the first screen, or the \
            whole page with full_page. Returned as image content.\
            """;

    private static final String SCREENSHOT_SCHEMA =
            """
            {"type": "object", "required": ["url"], "additionalProperties": false,
             "properties": {
              "url": {"type": "string", "description": "The http(s) URL to picture."},
              "full_page": {"type": "boolean", "description": "The whole page rather than \
            the first screen."},
              "viewport": {"type": "string", "description": "WIDTHxHEIGHT in CSS pixels, or \
            a device name, e.g. 1280x800."},
              "wait_for_selector": {"type": ["string", "array"], "items": {"type": \
            "string"}, "description": "CSS selector(s) to wait for before the picture."},
              "timeout": {"type": "number", "description": "Seconds to wait for the page \
            (at most 180)."},
              "no_cache": {"type": "boolean", "description": "Load the page afresh."}
             }}\
            """;

    private static final String EMBED_HELP =
            """
            Embed texts as vectors with plinth's embedding model (Jina-compatible \
            /v1/embeddings). Returns the JSON answer: data[i].embedding for texts[i], the \
            model and the tokens used.\
            """;

    private static final String EMBED_SCHEMA =
            """
            {"type": "object", "required": ["texts"], "additionalProperties": false,
             "properties": {
              "texts": {"type": "array", "minItems": 1, "maxItems": 512, "items": {"type": \
            "string"}, "description": "The texts to embed."},
              "model": {"type": "string", "description": "A model name; the server's \
            default when absent."},
              "task": {"type": "string", "description": "The model's task, e.g. \
            retrieval.query or retrieval.passage, for models that take one."},
              "dimensions": {"type": "integer", "minimum": 1, "description": "Truncate the \
            vectors to this many dimensions (Matryoshka models)."}
             }}\
            """;

    private static final String RERANK_HELP =
            """
            Rank documents by relevance to a query with plinth's reranker (Jina-compatible \
            /v1/rerank). Returns results sorted best first, each with the document's index \
            and relevance_score.\
            """;

    private static final String RERANK_SCHEMA =
            """
            {"type": "object", "required": ["query", "documents"], "additionalProperties": false,
             "properties": {
              "query": {"type": "string", "description": "What to rank the documents for."},
              "documents": {"type": "array", "minItems": 1, "items": {"type": "string"}, \
            "description": "The documents to rank."},
              "top_n": {"type": "integer", "minimum": 1, "description": "Return only the \
            best N."},
              "model": {"type": "string", "description": "A reranker name; the server's \
            default when absent."}
             }}\
            """;

    private static final String SEGMENT_HELP =
            """
            Count a text's tokens and split it into chunks of at most max_chunk_length \
            characters at natural boundaries (Jina-compatible /v1/segment).\
            """;

    private static final String SEGMENT_SCHEMA =
            """
            {"type": "object", "required": ["content"], "additionalProperties": false,
             "properties": {
              "content": {"type": "string", "description": "The text."},
              "max_chunk_length": {"type": "integer", "minimum": 1, "description": "Longest \
            chunk, in characters (default 1000)."},
              "return_chunks": {"type": "boolean", "description": "Return the chunks \
            (default true)."},
              "return_tokens": {"type": "boolean", "description": "Return the tokens too \
            (default false)."},
              "tokenizer": {"type": "string", "description": "The tokenizer, e.g. cl100k_base \
            (the default)."}
             }}\
            """;

    private static final String CLASSIFY_HELP =
            """
            Zero-shot classification: score each text against the given labels with the \
            embedding model (Jina-compatible /v1/classify). Returns, for each text, the best \
            label and every label's score.\
            """;

    private static final String CLASSIFY_SCHEMA =
            """
            {"type": "object", "required": ["texts", "labels"], "additionalProperties": false,
             "properties": {
              "texts": {"type": "array", "minItems": 1, "items": {"type": "string"}, \
            "description": "The texts to classify."},
              "labels": {"type": "array", "minItems": 1, "items": {"type": "string"}, \
            "description": "The candidate labels."},
              "model": {"type": "string", "description": "A model name; the server's default \
            when absent."}
             }}\
            """;
}
