package dev.plinth.reader.lm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.reader.Tokens;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client for one OpenAI-compatible {@code /chat/completions} endpoint (Ollama, llama.cpp's
 * server, vLLM, a hosted API), streamed or not, within one deadline per call.
 *
 * <p>Implementation notes. The deadline bounds the whole call, retries and waits included: the
 * request timeout covers the wait for headers, and a watchdog closes the body stream when the
 * deadline passes, so a backend dripping one token a minute is cut off on time (a per-read timeout
 * would never trip). Retries cover what a second try can fix — 429, 5xx, 408 and connection
 * failures, a stream cut short — with exponential backoff and jitter, or the backend's {@code
 * Retry-After}, and never wait past the deadline. Nothing is handed on before the answer is whole,
 * so a retry can never duplicate output. At most {@code concurrency} calls are in flight and {@code
 * queue} wait; one more is refused at once as an overload (a 429 upstream), with a Retry-After
 * estimated from recent call times. Answers are read through a byte cap. Usage comes from the
 * backend's {@code usage}; a streamed answer without one is counted in cl100k_base tokens and
 * marked as an estimate.
 */
final class ChatClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ScheduledExecutorService WATCHDOG = watchdog();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final long BACKOFF_BASE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long BACKOFF_CAP_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final int ERROR_BODY_BYTES = 4096;

    /** An answer: its text, token usage, why it stopped, and how many attempts it took. */
    record Completion(String text, ReaderLm.Usage usage, String finishReason, int attempts) {
        /** Whether the backend stopped at the token limit rather than at the end of the answer. */
        boolean truncated() {
            return "length".equals(finishReason);
        }
    }

    private final ReaderLm.Backend backend;
    private final URI endpoint;
    private final boolean stream;
    private final int retries;
    private final long maxResponseBytes;
    private final Map<String, Object> parameters;
    private final HttpClient http;
    private final Semaphore slots;
    private final int concurrency;
    private final int queue;
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile double recentCallSeconds = 1;

    /**
     * @param backend where to send calls and as which model
     * @param concurrency most calls in flight at once
     * @param queue most calls waiting for a slot; one more is an overload
     * @param retries retries after the first attempt
     * @param stream ask for server-sent chunks
     * @param parameters extra request fields (temperature, penalties…), merged under the fixed ones
     * @param maxResponseBytes cap on the bytes of one answer
     */
    ChatClient(
            ReaderLm.Backend backend,
            int concurrency,
            int queue,
            int retries,
            boolean stream,
            Map<String, Object> parameters,
            long maxResponseBytes) {
        this.backend = backend;
        this.endpoint = endpoint(backend.url());
        this.stream = stream;
        this.retries = retries;
        this.maxResponseBytes = maxResponseBytes;
        this.parameters = Map.copyOf(parameters);
        this.slots = new Semaphore(concurrency, true);
        this.concurrency = concurrency;
        this.queue = queue;
        this.http =
                HttpClient.newBuilder()
                        // Local servers (llama.cpp, Ollama) speak HTTP/1.1; an h2c upgrade
                        // attempt only adds a round of confusion there.
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(CONNECT_TIMEOUT)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build();
    }

    /** The URL calls are posted to. */
    URI endpoint() {
        return endpoint;
    }

    /** Sends {@code messages} and returns the whole answer, or fails by {@code deadline}. */
    Completion complete(List<Map<String, Object>> messages, int maxTokens, long deadline)
            throws LmException {
        acquire(deadline);
        long started = System.nanoTime();
        try {
            byte[] body = requestBody(messages, maxTokens);
            Failure last = null;
            for (int attempt = 1; ; attempt++) {
                if (System.nanoTime() - deadline >= 0) {
                    throw timeout(last);
                }
                try {
                    Completion done = attempt(body, messages, deadline, attempt);
                    recentCallSeconds =
                            0.8 * recentCallSeconds + 0.2 * (System.nanoTime() - started) / 1e9;
                    return done;
                } catch (Failure failure) {
                    last = failure;
                    if (!failure.retryable || attempt > retries) {
                        throw failure.error(attempt);
                    }
                    long wait =
                            failure.retryAfterNanos >= 0
                                    ? failure.retryAfterNanos
                                    : backoff(attempt);
                    if (System.nanoTime() + wait - deadline >= 0) {
                        throw failure.error(attempt);
                    }
                    sleep(wait);
                }
            }
        } finally {
            slots.release();
        }
    }

    @Override
    public void close() {
        http.shutdownNow();
    }

    // ---- the gate: bounded concurrency, bounded queue ----

    private void acquire(long deadline) throws LmException {
        if (slots.tryAcquire()) {
            return;
        }
        if (waiting.incrementAndGet() > queue) {
            waiting.decrementAndGet();
            throw overloaded();
        }
        try {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !slots.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                // Nothing was sent: the backend was busy for the whole wait, which is load.
                throw overloaded();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LmException(LmException.Kind.TIMEOUT, "interrupted while waiting for a slot");
        } finally {
            waiting.decrementAndGet();
        }
    }

    private LmException overloaded() {
        // Roughly when the calls ahead will have drained: the queue in rounds of recent call time.
        int estimate = (int) Math.ceil(recentCallSeconds * (1 + (double) queue / concurrency));
        return LmException.overloaded(
                "the LM backend "
                        + backend.url()
                        + " is busy: "
                        + concurrency
                        + " calls in flight and "
                        + queue
                        + " waiting",
                Math.min(60, estimate));
    }

    // ---- one attempt ----

    private Completion attempt(
            byte[] body, List<Map<String, Object>> messages, long deadline, int attempt)
            throws Failure {
        long left = deadline - System.nanoTime();
        HttpRequest.Builder request =
                HttpRequest.newBuilder(endpoint)
                        .timeout(Duration.ofNanos(Math.max(1, left)))
                        .header("Content-Type", "application/json")
                        .header("Accept", stream ? "text/event-stream" : "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (backend.apiKey() != null) {
            request.header("Authorization", "Bearer " + backend.apiKey());
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpConnectTimeoutException e) {
            throw Failure.retry(
                    LmException.Kind.UNAVAILABLE,
                    "cannot connect to the LM backend at " + endpoint + " (connect timed out)",
                    e);
        } catch (HttpTimeoutException e) {
            throw Failure.fatal(
                    LmException.Kind.TIMEOUT,
                    "the LM backend at " + endpoint + " sent no answer before the deadline",
                    e);
        } catch (ConnectException | UnresolvedAddressException e) {
            throw Failure.retry(
                    LmException.Kind.UNAVAILABLE,
                    "cannot connect to the LM backend at " + endpoint + ": " + describe(e),
                    e);
        } catch (IOException e) {
            throw Failure.retry(
                    LmException.Kind.UNAVAILABLE,
                    "the LM backend at " + endpoint + " dropped the connection: " + describe(e),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Failure.fatal(LmException.Kind.TIMEOUT, "interrupted", e);
        }
        AtomicBoolean expired = new AtomicBoolean();
        InputStream raw = response.body();
        ScheduledFuture<?> watchdog =
                WATCHDOG.schedule(
                        () -> {
                            expired.set(true);
                            closeQuietly(raw);
                        },
                        Math.max(0, deadline - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
        Streamed streamed = new Streamed();
        try {
            if (response.statusCode() != 200) {
                // Read under the watchdog too: an error body can drip as slowly as an answer.
                throw statusFailure(response);
            }
            InputStream in = new Capped(raw, maxResponseBytes);
            String type = response.headers().firstValue("content-type").orElse("");
            Answer answer;
            try {
                answer =
                        type.toLowerCase(Locale.ROOT).startsWith("text/event-stream")
                                ? readStream(in, streamed)
                                : readWhole(in);
            } catch (Failure e) {
                // A stream the watchdog closed ends early: that is the deadline, not the backend.
                if (expired.get()) {
                    throw deadlinePassed(streamed.text.length());
                }
                throw e;
            }
            if (expired.get()) {
                // The watchdog's close can look like a clean end of stream to the reader.
                throw deadlinePassed(answer.text.length());
            }
            return new Completion(
                    answer.text, usage(answer, messages), answer.finishReason, attempt);
        } catch (Capped.Over e) {
            throw Failure.fatal(
                    LmException.Kind.BAD_RESPONSE,
                    "the LM backend's answer is over the cap of " + maxResponseBytes + " bytes",
                    e);
        } catch (IOException e) {
            if (expired.get()) {
                throw deadlinePassed(streamed.text.length());
            }
            throw Failure.retry(
                    LmException.Kind.UNAVAILABLE,
                    "the LM backend at " + endpoint + " broke off its answer: " + describe(e),
                    e);
        } finally {
            watchdog.cancel(false);
            closeQuietly(raw);
        }
    }

    private Failure deadlinePassed(int received) {
        return Failure.fatal(
                LmException.Kind.TIMEOUT,
                "the LM backend at "
                        + endpoint
                        + " did not finish its answer before the deadline ("
                        + received
                        + " characters received)",
                null);
    }

    private Failure statusFailure(HttpResponse<InputStream> response) {
        int status = response.statusCode();
        String detail = errorDetail(response.body());
        String message =
                "the LM backend at "
                        + endpoint
                        + " answered HTTP "
                        + status
                        + (detail.isEmpty() ? "" : ": " + detail);
        if (status == 429) {
            long after = retryAfterNanos(response.headers().firstValue("retry-after").orElse(null));
            return new Failure(LmException.Kind.OVERLOADED, message, null, true, after);
        }
        if (status >= 500 || status == 408) {
            return Failure.retry(LmException.Kind.BACKEND_ERROR, message, null);
        }
        if (status == 401 || status == 403) {
            message += " (check the API key given for this backend)";
        }
        return Failure.fatal(LmException.Kind.BACKEND_ERROR, message, null);
    }

    // ---- reading answers ----

    /** What one answer carried. */
    private record Answer(String text, String finishReason, JsonNode usage) {}

    /** Server-sent events: {@code data:} lines, events ended by a blank line, then [DONE]. */
    private Answer readStream(InputStream in, Streamed answer) throws IOException, Failure {
        BufferedReader lines =
                new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder data = new StringBuilder();
        String line;
        while (!answer.done && (line = lines.readLine()) != null) {
            if (line.isEmpty()) {
                if (!data.isEmpty()) {
                    event(data.toString(), answer);
                    data.setLength(0);
                }
            } else if (line.startsWith("data:")) {
                if (!data.isEmpty()) {
                    data.append('\n');
                }
                data.append(line, line.startsWith("data: ") ? 6 : 5, line.length());
            }
            // Other fields (event:, id:, retry:) and comments (":") carry nothing for us.
        }
        if (!answer.done && !data.isEmpty()) {
            event(data.toString(), answer);
        }
        if (!answer.done && answer.finish == null) {
            throw Failure.retry(
                    LmException.Kind.UNAVAILABLE,
                    "the LM backend at "
                            + endpoint
                            + " ended its stream before [DONE] ("
                            + answer.text.length()
                            + " characters received)",
                    null);
        }
        return new Answer(answer.text.toString(), answer.finish, answer.usage);
    }

    /** A streamed answer as it accumulates. */
    private static final class Streamed {
        final StringBuilder text = new StringBuilder();
        String finish;
        JsonNode usage;
        boolean done;
    }

    /** Folds one event's data into {@code answer}. */
    private void event(String data, Streamed answer) throws Failure {
        if (data.strip().equals("[DONE]")) {
            answer.done = true;
            return;
        }
        JsonNode chunk = parse(data, "a streamed chunk");
        if (chunk.has("error")) {
            throw Failure.fatal(
                    LmException.Kind.BACKEND_ERROR,
                    "the LM backend at "
                            + endpoint
                            + " reported an error mid-stream: "
                            + errorMessage(chunk.get("error")),
                    null);
        }
        JsonNode choices = chunk.path("choices");
        if (!choices.isArray()) {
            throw badShape("a streamed chunk without a choices array", data);
        }
        if (!choices.isEmpty()) {
            JsonNode content = choices.get(0).path("delta").path("content");
            if (content.isTextual()) {
                answer.text.append(content.asText());
            }
        }
        String finish = chunkFinish(chunk);
        if (finish != null) {
            answer.finish = finish;
        }
        if (chunk.hasNonNull("usage")) {
            answer.usage = chunk.get("usage");
        }
    }

    private static String chunkFinish(JsonNode chunk) {
        JsonNode choices = chunk.path("choices");
        if (choices.isArray() && !choices.isEmpty()) {
            JsonNode finish = choices.get(0).path("finish_reason");
            return finish.isTextual() ? finish.asText() : null;
        }
        return null;
    }

    /** A plain JSON completion (also what a backend that ignores {@code stream} sends). */
    private Answer readWhole(InputStream in) throws IOException, Failure {
        String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        JsonNode root = parse(body, "the answer");
        if (root.has("error")) {
            throw Failure.fatal(
                    LmException.Kind.BACKEND_ERROR,
                    "the LM backend at "
                            + endpoint
                            + " reported an error: "
                            + errorMessage(root.get("error")),
                    null);
        }
        JsonNode choice = root.path("choices").path(0);
        JsonNode content = choice.path("message").path("content");
        if (!content.isTextual()) {
            throw badShape("an answer without choices[0].message.content", body);
        }
        JsonNode finish = choice.path("finish_reason");
        return new Answer(
                content.asText(),
                finish.isTextual() ? finish.asText() : null,
                root.hasNonNull("usage") ? root.get("usage") : null);
    }

    private JsonNode parse(String text, String what) throws Failure {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || !node.isObject()) {
                throw badShape(what + " that is not a JSON object", text);
            }
            return node;
        } catch (JsonProcessingException e) {
            throw Failure.fatal(
                    LmException.Kind.BAD_RESPONSE,
                    "the LM backend at "
                            + endpoint
                            + " sent "
                            + what
                            + " that is not valid JSON: "
                            + snippet(text),
                    e);
        }
    }

    private Failure badShape(String what, String text) {
        return Failure.fatal(
                LmException.Kind.BAD_RESPONSE,
                "the LM backend at " + endpoint + " sent " + what + ": " + snippet(text),
                null);
    }

    /** The backend's usage, or an estimate in cl100k_base tokens when it sent none. */
    private static ReaderLm.Usage usage(Answer answer, List<Map<String, Object>> messages) {
        JsonNode u = answer.usage;
        if (u != null && u.path("prompt_tokens").isNumber()) {
            return new ReaderLm.Usage(
                    u.path("prompt_tokens").asInt(), u.path("completion_tokens").asInt(), false);
        }
        int prompt = 0;
        for (Map<String, Object> message : messages) {
            if (message.get("content") instanceof String s) {
                prompt += Tokens.count(s);
            }
        }
        return new ReaderLm.Usage(prompt, Tokens.count(answer.text), true);
    }

    // ---- request ----

    private byte[] requestBody(List<Map<String, Object>> messages, int maxTokens) {
        ObjectNode body = JSON.createObjectNode();
        parameters.forEach((k, v) -> body.set(k, JSON.valueToTree(v)));
        body.put("model", backend.model());
        ArrayNode list = body.putArray("messages");
        messages.forEach(m -> list.add(JSON.valueToTree(m)));
        body.put("max_tokens", maxTokens);
        body.put("stream", stream);
        if (stream) {
            // Without it OpenAI-style servers send no usage in a stream.
            body.putObject("stream_options").put("include_usage", true);
        }
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("request parameters are not JSON: " + e, e);
        }
    }

    static URI endpoint(URI base) {
        String s = base.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return URI.create(s.endsWith("/chat/completions") ? s : s + "/chat/completions");
    }

    // ---- helpers ----

    /** A failed attempt: the error it would be, and whether a retry may fix it. */
    private static final class Failure extends Exception {
        final LmException.Kind kind;
        final boolean retryable;
        final long retryAfterNanos;

        Failure(
                LmException.Kind kind,
                String message,
                Throwable cause,
                boolean retryable,
                long retryAfterNanos) {
            super(message, cause, false, false);
            this.kind = kind;
            this.retryable = retryable;
            this.retryAfterNanos = retryAfterNanos;
        }

        static Failure retry(LmException.Kind kind, String message, Throwable cause) {
            return new Failure(kind, message, cause, true, -1);
        }

        static Failure fatal(LmException.Kind kind, String message, Throwable cause) {
            return new Failure(kind, message, cause, false, -1);
        }

        LmException error(int attempts) {
            String message =
                    getMessage() + (attempts > 1 ? " (after " + attempts + " attempts)" : "");
            if (kind == LmException.Kind.OVERLOADED) {
                int seconds = retryAfterNanos > 0 ? (int) Math.ceil(retryAfterNanos / 1e9) : 1;
                return LmException.overloaded(message, seconds);
            }
            return new LmException(kind, message, getCause());
        }
    }

    private LmException timeout(Failure last) {
        return new LmException(
                LmException.Kind.TIMEOUT,
                "the deadline passed before the LM backend at "
                        + endpoint
                        + " answered"
                        + (last == null ? "" : "; last attempt: " + last.getMessage()),
                last == null ? null : last.getCause());
    }

    private static long backoff(int attempt) {
        long ceiling = Math.min(BACKOFF_CAP_NANOS, BACKOFF_BASE_NANOS << Math.min(20, attempt - 1));
        // Jitter spreads the retries of many callers that failed together.
        return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    }

    /** {@code Retry-After} as seconds or an HTTP date, in nanoseconds; -1 when absent or bad. */
    static long retryAfterNanos(String value) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        String v = value.strip();
        try {
            return TimeUnit.SECONDS.toNanos(Math.max(0, Long.parseLong(v)));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.max(0, Duration.between(ZonedDateTime.now(), at).toNanos());
            } catch (DateTimeParseException e2) {
                return -1;
            }
        }
    }

    private static void sleep(long nanos) throws LmException {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LmException(LmException.Kind.TIMEOUT, "interrupted while waiting to retry");
        }
    }

    private static String errorDetail(InputStream body) {
        try (body) {
            byte[] head = body.readNBytes(ERROR_BODY_BYTES);
            String text = new String(head, StandardCharsets.UTF_8).strip();
            try {
                JsonNode node = JSON.readTree(text);
                if (node != null && node.has("error")) {
                    return errorMessage(node.get("error"));
                }
            } catch (JsonProcessingException e) {
                // not JSON: quote the text as it is
            }
            return snippet(text);
        } catch (IOException e) {
            return "";
        }
    }

    private static String errorMessage(JsonNode error) {
        return error.isTextual() ? error.asText() : error.path("message").asText(error.toString());
    }

    private static String snippet(String text) {
        String flat = text.replaceAll("\\s+", " ").strip();
        return flat.length() <= 200 ? flat : flat.substring(0, 200) + "…";
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            // closing is best effort: the connection is dropped either way
        }
    }

    private static ScheduledExecutorService watchdog() {
        ScheduledThreadPoolExecutor executor =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "plinth-lm-deadline");
                            t.setDaemon(true);
                            return t;
                        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** Counts the answer's bytes and stops at the cap. */
    private static final class Capped extends FilterInputStream {
        /** The cap was passed. */
        static final class Over extends IOException {
            Over() {
                super("over the cap");
            }
        }

        private final long cap;
        private long count;

        Capped(InputStream in, long cap) {
            super(in);
            this.cap = cap;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws Over {
            count += n;
            if (count > cap) {
                throw new Over();
            }
        }
    }
}
