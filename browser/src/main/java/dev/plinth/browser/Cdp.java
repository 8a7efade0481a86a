package dev.plinth.browser;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Chrome DevTools Protocol connection: JSON-RPC over the browser's WebSocket.
 *
 * <p>One socket carries every page: targets are attached in "flat" mode, so each message names its
 * {@code sessionId} and one reader thread demultiplexes replies (by {@code id}) and events (by
 * session). Replies complete futures; events go to the handler registered for their session, on the
 * socket's thread, so handlers must hand slow work (DNS look-ups) to threads of their own.
 *
 * <p>Incoming messages are capped ({@link #MAX_MESSAGE_CHARS}): a page cannot make plinth buffer an
 * unbounded DOM or screenshot. When the socket closes, every pending call fails at once.
 *
 * <p>Protocol reference: https://chromedevtools.github.io/devtools-protocol/
 */
final class Cdp implements AutoCloseable {

    /** The largest message accepted from the browser, in chars (a full-page PNG in base64 fits). */
    static final int MAX_MESSAGE_CHARS = 96 << 20;

    /** Receives the events of one session: the method name and its params. */
    interface Events {
        void on(String method, JsonNode params);
    }

    /** A protocol call that failed: the browser's error, a timeout, or a closed connection. */
    static final class CdpException extends Exception {
        CdpException(String message) {
            super(message);
        }

        CdpException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static final ObjectMapper JSON = new ObjectMapper();

    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Map<String, Events> sessions = new ConcurrentHashMap<>();
    private final CompletableFuture<String> closed = new CompletableFuture<>();
    private final WebSocket socket;
    private CompletableFuture<WebSocket> sending;

    private Cdp(WebSocket socket) {
        this.socket = socket;
        this.sending = CompletableFuture.completedFuture(socket);
    }

    /**
     * Opens the browser-level socket at {@code endpoint} ({@code
     * ws://127.0.0.1:port/devtools/browser/id}).
     */
    static Cdp connect(URI endpoint, Duration timeout) throws CdpException {
        Listener listener = new Listener();
        try {
            WebSocket socket =
                    HttpClient.newHttpClient()
                            .newWebSocketBuilder()
                            .connectTimeout(timeout)
                            .buildAsync(endpoint, listener)
                            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            Cdp cdp = new Cdp(socket);
            listener.cdp.complete(cdp);
            return cdp;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CdpException("interrupted while connecting to " + endpoint, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new CdpException("cannot connect to the browser at " + endpoint, e);
        }
    }

    /** Calls {@code method} and waits for its result until {@code deadline}. */
    JsonNode call(String sessionId, String method, Map<String, ?> params, Instant deadline)
            throws CdpException {
        return await(send(sessionId, method, params), deadline);
    }

    /** Waits for a reply from {@link #send} until {@code deadline}. */
    static JsonNode await(CompletableFuture<JsonNode> reply, Instant deadline) throws CdpException {
        long millis = Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
        try {
            return reply.get(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CdpException("interrupted", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof CdpException c
                    ? c
                    : new CdpException(String.valueOf(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            reply.cancel(false);
            throw new CdpException("no answer from the browser before the deadline");
        }
    }

    /**
     * Sends {@code method} without waiting; the future completes with the result or a {@link
     * CdpException}.
     */
    CompletableFuture<JsonNode> send(String sessionId, String method, Map<String, ?> params) {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        reply.whenComplete((r, e) -> pending.remove(id));
        if (closed.isDone()) {
            reply.completeExceptionally(new CdpException(method + ": " + closed.join()));
            return reply;
        }
        pending.put(id, reply);
        ObjectNode message = JSON.createObjectNode();
        message.put("id", id);
        message.put("method", method);
        if (sessionId != null) {
            message.put("sessionId", sessionId);
        }
        message.set("params", params == null ? JSON.createObjectNode() : JSON.valueToTree(params));
        String text = message.toString();
        synchronized (this) {
            // The JDK socket allows one outstanding send: chain them.
            sending = sending.thenCompose(ws -> ws.sendText(text, true));
            sending.exceptionally(e -> {
                reply.completeExceptionally(
                        new CdpException(method + ": cannot write to the browser", e));
                return null;
            });
            sending = sending.exceptionally(e -> socket);
        }
        return reply;
    }

    /** Routes the events of {@code sessionId} (null: the browser's own) to {@code events}. */
    void listen(String sessionId, Events events) {
        sessions.put(sessionId == null ? "" : sessionId, events);
    }

    /** Stops routing events of {@code sessionId}. */
    void forget(String sessionId) {
        sessions.remove(sessionId);
    }

    /** Completes with the reason once the connection is closed. */
    CompletableFuture<String> closed() {
        return closed;
    }

    boolean isOpen() {
        return !closed.isDone();
    }

    @Override
    public void close() {
        shutDown("the browser connection was closed");
        socket.abort();
    }

    private void shutDown(String reason) {
        if (closed.complete(reason)) {
            CdpException failure = new CdpException(reason);
            pending.values().forEach(f -> f.completeExceptionally(failure));
            pending.clear();
        }
    }

    private void dispatch(String text) {
        JsonNode message;
        try {
            message = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return; // the browser never sends malformed JSON; nothing sensible to do with it
        }
        JsonNode id = message.get("id");
        if (id != null) {
            CompletableFuture<JsonNode> reply = pending.get(id.asLong());
            if (reply == null) {
                return;
            }
            JsonNode error = message.get("error");
            if (error != null) {
                reply.completeExceptionally(
                        new CdpException(
                                error.path("message").asText("protocol error")
                                        + (error.has("data")
                                                ? " (" + error.get("data").asText() + ")"
                                                : "")));
            } else {
                reply.complete(message.path("result"));
            }
            return;
        }
        Events events = sessions.get(message.path("sessionId").asText(""));
        if (events != null) {
            try {
                events.on(message.path("method").asText(), message.path("params"));
            } catch (RuntimeException ignored) {
                // One page's handler failing must not take the shared connection down.
            }
        }
    }

    /** Reassembles fragmented text frames, enforces the size cap and hands whole messages on. */
    private static final class Listener implements WebSocket.Listener {
        final CompletableFuture<Cdp> cdp = new CompletableFuture<>();
        private final StringBuilder buffer = new StringBuilder();
        private String head;

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            if (head == null && buffer.length() + data.length() <= MAX_MESSAGE_CHARS) {
                buffer.append(data);
            } else if (head == null) {
                // Over the cap: keep only the start, where the browser writes the reply's id.
                head = buffer.substring(0, Math.min(buffer.length(), 64));
                buffer.setLength(0);
                buffer.trimToSize();
            }
            if (last) {
                if (head != null) {
                    cdp.join().failOversized(head);
                    head = null;
                } else {
                    String text = buffer.toString();
                    buffer.setLength(0);
                    if (buffer.capacity() > 1 << 20) {
                        buffer.trimToSize();
                    }
                    cdp.join().dispatch(text);
                }
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            cdp.join().shutDown("the browser closed its connection (" + status + ")");
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            cdp.thenAccept(c -> c.shutDown("the browser connection failed: " + error));
        }
    }

    /** Fails the call whose reply was over the cap (an oversized event is simply dropped). */
    private void failOversized(String head) {
        Matcher m = REPLY_ID.matcher(head);
        if (m.find()) {
            CompletableFuture<JsonNode> reply = pending.get(Long.parseLong(m.group(1)));
            if (reply != null) {
                reply.completeExceptionally(
                        new CdpException(
                                "the browser's reply is over "
                                        + (MAX_MESSAGE_CHARS >> 20)
                                        + " Mi chars"));
            }
        }
    }

    /** The text of a JSON field, or null when it is absent or null. */
    static String text(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : node.asText();
    }

    private static final Pattern REPLY_ID = Pattern.compile("^\\{\"id\":(\\d+)");
}
