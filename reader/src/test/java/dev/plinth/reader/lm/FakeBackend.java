package dev.plinth.reader.lm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An OpenAI-compatible chat backend on a loopback port that speaks the real wire format — a JSON
 * completion, or server-sent {@code data:} chunks ending in {@code [DONE]} when the request asks
 * for a stream — records every request it receives, and answers from a script. The server's tests
 * point {@code --lm-url} (and {@code --vlm-url}) at it too.
 */
public final class FakeBackend implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();

    /** Usage the fake reports, so tests can tell reported from estimated. */
    public static final int PROMPT_TOKENS = 111;

    public static final int COMPLETION_TOKENS = 22;

    /** A request as received. */
    public record Call(JsonNode body, Headers headers) {
        /** The messages sent. */
        public List<JsonNode> messages() {
            List<JsonNode> list = new ArrayList<>();
            body.path("messages").forEach(list::add);
            return list;
        }

        /** The content of the last user message (a string for text prompts). */
        public String prompt() {
            List<JsonNode> messages = messages();
            return messages.get(messages.size() - 1).path("content").asText();
        }

        public boolean stream() {
            return body.path("stream").asBoolean(false);
        }
    }

    /** One scripted answer. */
    @FunctionalInterface
    public interface Reply {
        void send(HttpExchange exchange, Call call) throws IOException;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Deque<Reply> script = new ArrayDeque<>();
    private volatile Function<Call, Reply> otherwise = call -> text("ok");

    public FakeBackend() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext(
                "/v1/chat/completions",
                exchange -> {
                    try (exchange) {
                        Call call =
                                new Call(
                                        JSON.readTree(exchange.getRequestBody()),
                                        exchange.getRequestHeaders());
                        calls.add(call);
                        Reply reply;
                        synchronized (script) {
                            reply = script.pollFirst();
                        }
                        (reply != null ? reply : otherwise.apply(call)).send(exchange, call);
                    } catch (IOException e) {
                        // the client hung up (deadline tests do so on purpose)
                    }
                });
        server.start();
    }

    /** Queues answers for the next calls, in order. */
    public FakeBackend script(Reply... replies) {
        synchronized (script) {
            script.addAll(List.of(replies));
        }
        return this;
    }

    /** What to answer once the script is used up (default: the text "ok"). */
    public FakeBackend otherwise(Function<Call, Reply> answer) {
        this.otherwise = answer;
        return this;
    }

    /** The base URL a client is configured with. */
    public URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    public List<Call> calls() {
        return calls;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- replies ----

    /** {@code text}, streamed in small chunks or whole as the request asks, with usage. */
    public static Reply text(String text) {
        return answer(text, "stop", true);
    }

    /** {@code text} without any usage, as some servers stream. */
    public static Reply textWithoutUsage(String text) {
        return answer(text, "stop", false);
    }

    /** {@code text} cut at the token limit ({@code finish_reason: length}). */
    public static Reply truncated(String text) {
        return answer(text, "length", true);
    }

    /** {@code text} as one JSON completion even when a stream was asked for, as some servers do. */
    public static Reply whole(String text) {
        return (exchange, call) -> completion(exchange, text, "stop", true);
    }

    private static Reply answer(String text, String finish, boolean usage) {
        return (exchange, call) -> {
            if (!call.stream()) {
                completion(exchange, text, finish, usage);
                return;
            }
            List<String> events = new ArrayList<>();
            for (int i = 0; i < text.length(); i += 7) {
                events.add(chunk(text.substring(i, Math.min(text.length(), i + 7)), null));
            }
            events.add(chunk(null, finish));
            if (usage && call.body().path("stream_options").path("include_usage").asBoolean()) {
                ObjectNode last = JSON.createObjectNode();
                last.putArray("choices");
                last.set("usage", usage());
                events.add(last.toString());
            }
            events.add("[DONE]");
            sse(exchange, events, Duration.ZERO);
        };
    }

    private static void completion(HttpExchange exchange, String text, String finish, boolean usage)
            throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("id", "chatcmpl-1").put("object", "chat.completion");
        ObjectNode choice = body.putArray("choices").addObject();
        choice.put("index", 0).put("finish_reason", finish);
        choice.putObject("message").put("role", "assistant").put("content", text);
        if (usage) {
            body.set("usage", usage());
        }
        send(exchange, 200, "application/json", body.toString(), Map.of());
    }

    /** An error status with a JSON error body and optional headers. */
    public static Reply status(int status, Map<String, String> headers) {
        return (exchange, call) ->
                send(
                        exchange,
                        status,
                        "application/json",
                        "{\"error\":{\"message\":\"scripted " + status + "\"}}",
                        headers);
    }

    /** A 200 with this content type and body, whatever it is. */
    public static Reply raw(String contentType, String body) {
        return (exchange, call) -> send(exchange, 200, contentType, body, Map.of());
    }

    /** Server-sent events with these data payloads, {@code gap} apart. */
    public static Reply events(Duration gap, String... data) {
        return (exchange, call) -> sse(exchange, List.of(data), gap);
    }

    /** A stream that sends one small chunk every {@code gap}, never ending. */
    public static Reply dripping(Duration gap) {
        return (exchange, call) -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            while (true) {
                out.write(
                        ("data: " + chunk("tick ", null) + "\n\n")
                                .getBytes(StandardCharsets.UTF_8));
                out.flush();
                sleep(gap);
            }
        };
    }

    /** Waits {@code delay} before answering with {@code then}. */
    public static Reply after(Duration delay, Reply then) {
        return (exchange, call) -> {
            sleep(delay);
            then.send(exchange, call);
        };
    }

    /** Waits until {@code release} opens (at most 30 s) before answering with {@code then}. */
    public static Reply held(CountDownLatch release, Reply then) {
        return (exchange, call) -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            then.send(exchange, call);
        };
    }

    // ---- wire helpers ----

    public static String chunk(String content, String finish) {
        ObjectNode chunk = JSON.createObjectNode();
        chunk.put("id", "chatcmpl-1").put("object", "chat.completion.chunk");
        ArrayNode choices = chunk.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (content != null) {
            delta.put("content", content);
        }
        if (finish != null) {
            choice.put("finish_reason", finish);
        } else {
            choice.putNull("finish_reason");
        }
        return chunk.toString();
    }

    private static ObjectNode usage() {
        ObjectNode usage = JSON.createObjectNode();
        usage.put("prompt_tokens", PROMPT_TOKENS)
                .put("completion_tokens", COMPLETION_TOKENS)
                .put("total_tokens", PROMPT_TOKENS + COMPLETION_TOKENS);
        return usage;
    }

    private static void sse(HttpExchange exchange, List<String> events, Duration gap)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (String event : events) {
            out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            sleep(gap);
        }
    }

    public static void send(
            HttpExchange exchange,
            int status,
            String contentType,
            String body,
            Map<String, String> headers)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
    }

    private static void sleep(Duration d) throws IOException {
        if (d.isZero()) {
            return;
        }
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
