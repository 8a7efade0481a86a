package dev.plinth.reader.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ChatClientTest {

    private static final List<Map<String, Object>> HELLO =
            List.of(Prompts.message("user", "Say hello"));

    private FakeBackend backend;

    @BeforeEach
    void start() throws IOException {
        backend = new FakeBackend();
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    private ChatClient client(boolean stream) {
        return client(backend.url(), stream, 2, 16, 2);
    }

    private static ChatClient client(
            URI url, boolean stream, int concurrency, int queue, int retries) {
        return new ChatClient(
                new ReaderLm.Backend(url, "readerlm-v2", "secret-key"),
                concurrency,
                queue,
                retries,
                stream,
                Map.of("temperature", 0),
                1 << 20);
    }

    private static long in(Duration d) {
        return System.nanoTime() + d.toNanos();
    }

    @Test
    void streamsServerSentChunksUntilDone() throws Exception {
        backend.script(FakeBackend.text("Hello, streamed world. This arrives in pieces."));
        try (ChatClient client = client(true)) {
            ChatClient.Completion answer = client.complete(HELLO, 100, in(Duration.ofSeconds(10)));
            assertEquals("Hello, streamed world. This arrives in pieces.", answer.text());
            assertEquals("stop", answer.finishReason());
            assertEquals(FakeBackend.PROMPT_TOKENS, answer.usage().promptTokens());
            assertEquals(FakeBackend.COMPLETION_TOKENS, answer.usage().completionTokens());
            assertFalse(answer.usage().estimated());
        }
        FakeBackend.Call call = backend.calls().get(0);
        assertTrue(call.stream());
        assertTrue(call.body().path("stream_options").path("include_usage").asBoolean());
    }

    @Test
    void readsAWholeCompletionWhenNotStreaming() throws Exception {
        backend.script(FakeBackend.text("Hello in one piece."));
        try (ChatClient client = client(false)) {
            ChatClient.Completion answer = client.complete(HELLO, 100, in(Duration.ofSeconds(10)));
            assertEquals("Hello in one piece.", answer.text());
            assertEquals(FakeBackend.PROMPT_TOKENS, answer.usage().promptTokens());
            assertFalse(answer.usage().estimated());
        }
        assertFalse(backend.calls().get(0).stream());
        assertFalse(backend.calls().get(0).body().has("stream_options"));
    }

    @Test
    void sendsModelMessagesLimitParametersAndBearerKey() throws Exception {
        try (ChatClient client = client(false)) {
            client.complete(HELLO, 321, in(Duration.ofSeconds(10)));
        }
        FakeBackend.Call call = backend.calls().get(0);
        assertEquals("readerlm-v2", call.body().path("model").asText());
        assertEquals(321, call.body().path("max_tokens").asInt());
        assertEquals(0, call.body().path("temperature").asInt());
        assertEquals("Say hello", call.prompt());
        assertEquals("user", call.messages().get(0).path("role").asText());
        assertEquals("Bearer secret-key", call.headers().getFirst("Authorization"));
    }

    @Test
    void estimatesUsageWhenTheStreamReportsNone() throws Exception {
        backend.script(FakeBackend.textWithoutUsage("A fairly ordinary answer of several words."));
        try (ChatClient client = client(true)) {
            ChatClient.Completion answer = client.complete(HELLO, 100, in(Duration.ofSeconds(10)));
            assertTrue(answer.usage().estimated());
            assertTrue(answer.usage().promptTokens() > 0, answer.usage().toString());
            assertTrue(answer.usage().completionTokens() >= 5, answer.usage().toString());
        }
    }

    @Test
    void reportsAnswerCutAtTheTokenLimit() throws Exception {
        backend.script(FakeBackend.truncated("Half an ans"));
        try (ChatClient client = client(true)) {
            assertTrue(client.complete(HELLO, 5, in(Duration.ofSeconds(10))).truncated());
        }
    }

    @Test
    void retriesAfter429HonouringRetryAfter() throws Exception {
        backend.script(
                FakeBackend.status(429, Map.of("Retry-After", "1")), FakeBackend.text("served"));
        long start = System.nanoTime();
        try (ChatClient client = client(true)) {
            ChatClient.Completion answer = client.complete(HELLO, 100, in(Duration.ofSeconds(10)));
            assertEquals("served", answer.text());
            assertEquals(2, answer.attempts());
        }
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waited >= 950, "waited only " + waited + " ms of a 1 s Retry-After");
        assertEquals(2, backend.calls().size());
    }

    @Test
    void retries500ThenSucceeds() throws Exception {
        backend.script(
                FakeBackend.status(500, Map.of()),
                FakeBackend.status(503, Map.of()),
                FakeBackend.text("third time"));
        try (ChatClient client = client(false)) {
            assertEquals(
                    "third time", client.complete(HELLO, 100, in(Duration.ofSeconds(10))).text());
        }
        assertEquals(3, backend.calls().size());
    }

    @Test
    void persistent500IsABackendErrorAfterTheRetries() {
        backend.otherwise(call -> FakeBackend.status(500, Map.of()));
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.BACKEND_ERROR, e.kind());
            assertEquals(502, e.kind().status());
            assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
            assertTrue(e.getMessage().contains("scripted 500"), e.getMessage());
            assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
        }
        assertEquals(3, backend.calls().size());
    }

    @Test
    void persistent429IsAnOverloadWithTheBackendsRetryAfter() {
        backend.otherwise(call -> FakeBackend.status(429, Map.of("Retry-After", "0")));
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.OVERLOADED, e.kind());
            assertEquals(429, e.kind().status());
            assertTrue(e.retryAfterSeconds() >= 1);
        }
    }

    @Test
    void doesNotRetryAClientError() {
        backend.otherwise(call -> FakeBackend.status(404, Map.of()));
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.BACKEND_ERROR, e.kind());
            assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        }
        assertEquals(1, backend.calls().size());
    }

    @Test
    void unauthorizedNamesTheApiKey() {
        backend.otherwise(call -> FakeBackend.status(401, Map.of()));
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertTrue(e.getMessage().contains("API key"), e.getMessage());
        }
    }

    @Test
    void backendDownIsUnavailable() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        URI nobody = URI.create("http://127.0.0.1:" + port + "/v1");
        try (ChatClient client = client(nobody, true, 2, 16, 1)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.UNAVAILABLE, e.kind());
            assertEquals(502, e.kind().status());
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        }
    }

    @Test
    void slowBackendPastTheDeadlineIsATimeout() {
        backend.otherwise(
                call -> FakeBackend.after(Duration.ofSeconds(5), FakeBackend.text("late")));
        long start = System.nanoTime();
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofMillis(700))));
            assertEquals(LmException.Kind.TIMEOUT, e.kind());
            assertEquals(504, e.kind().status());
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < 3000, "a 700 ms deadline took " + took + " ms");
        assertEquals(1, backend.calls().size());
    }

    @Test
    void drippingStreamIsCutOffAtTheDeadline() {
        backend.otherwise(call -> FakeBackend.dripping(Duration.ofMillis(100)));
        long start = System.nanoTime();
        try (ChatClient client = client(true)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofMillis(800))));
            assertEquals(LmException.Kind.TIMEOUT, e.kind());
            assertTrue(e.getMessage().contains("characters received"), e.getMessage());
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took >= 700 && took < 3000, "an 800 ms deadline took " + took + " ms");
    }

    @Test
    void errorBodyDrippingPastTheDeadlineIsCutOffToo() {
        backend.otherwise(call ->
                (exchange, c) -> {
                    exchange.sendResponseHeaders(500, 0);
                    while (true) {
                        exchange.getResponseBody().write(' ');
                        exchange.getResponseBody().flush();
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
        long start = System.nanoTime();
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofMillis(800))));
            // The backend did answer (500); only its body was cut off at the deadline.
            assertEquals(LmException.Kind.BACKEND_ERROR, e.kind());
            assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
        }
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < 3000, "an 800 ms deadline took " + took + " ms");
    }

    @Test
    void malformedJsonIsABadResponse() {
        backend.otherwise(call -> FakeBackend.raw("application/json", "{\"choices\": [ {oops"));
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.BAD_RESPONSE, e.kind());
            assertEquals(502, e.kind().status());
            assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        }
        assertEquals(1, backend.calls().size());
    }

    @Test
    void malformedStreamChunkIsABadResponse() {
        backend.otherwise(call ->
                FakeBackend.events(
                        Duration.ZERO, FakeBackend.chunk("fine ", null), "{not json", "[DONE]"));
        try (ChatClient client = client(true)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.BAD_RESPONSE, e.kind());
        }
    }

    @Test
    void jsonWithoutChoicesIsABadResponse() {
        backend.otherwise(call -> FakeBackend.raw("application/json", "{\"result\": \"hi\"}"));
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.BAD_RESPONSE, e.kind());
            assertTrue(e.getMessage().contains("choices"), e.getMessage());
        }
    }

    @Test
    void errorMidStreamIsABackendError() {
        backend.otherwise(call ->
                FakeBackend.events(
                        Duration.ZERO,
                        FakeBackend.chunk("partial", null),
                        "{\"error\":{\"message\":\"context length exceeded\"}}"));
        try (ChatClient client = client(true)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.BACKEND_ERROR, e.kind());
            assertTrue(e.getMessage().contains("context length exceeded"), e.getMessage());
        }
    }

    @Test
    void streamCutBeforeDoneIsRetried() throws Exception {
        backend.script(
                FakeBackend.events(Duration.ZERO, FakeBackend.chunk("half", null)),
                FakeBackend.text("whole answer"));
        try (ChatClient client = client(true)) {
            assertEquals(
                    "whole answer", client.complete(HELLO, 100, in(Duration.ofSeconds(10))).text());
        }
        assertEquals(2, backend.calls().size());
    }

    @Test
    void answerOverTheByteCapIsRefused() {
        backend.otherwise(call -> FakeBackend.text("x".repeat(2 << 20)));
        try (ChatClient client = client(false)) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 100, in(Duration.ofSeconds(10))));
            assertEquals(LmException.Kind.BAD_RESPONSE, e.kind());
            assertTrue(e.getMessage().contains("over the cap"), e.getMessage());
        }
    }

    @Test
    void callsBeyondConcurrencyAndQueueAreAnOverload() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        backend.otherwise(call -> FakeBackend.held(release, FakeBackend.text("done")));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (ChatClient client = client(backend.url(), true, 1, 1, 0)) {
            List<Future<ChatClient.Completion>> admitted = new ArrayList<>();
            admitted.add(pool.submit(() -> client.complete(HELLO, 10, in(Duration.ofSeconds(20)))));
            waitFor(() -> backend.calls().size() == 1);
            admitted.add(pool.submit(() -> client.complete(HELLO, 10, in(Duration.ofSeconds(20)))));
            Thread.sleep(200); // the second call is now waiting for the only slot
            long start = System.nanoTime();
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> client.complete(HELLO, 10, in(Duration.ofSeconds(20))));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(LmException.Kind.OVERLOADED, e.kind());
            assertEquals(429, e.kind().status());
            assertTrue(e.retryAfterSeconds() >= 1);
            assertTrue(took < 1000, "the overload answer took " + took + " ms");
            assertEquals(1, backend.calls().size(), "only one call may be in flight");
            release.countDown();
            for (Future<ChatClient.Completion> f : admitted) {
                assertEquals("done", f.get(20, TimeUnit.SECONDS).text());
            }
            assertEquals(2, backend.calls().size());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void parsesRetryAfterAsSecondsOrDate() {
        assertEquals(TimeUnit.SECONDS.toNanos(3), ChatClient.retryAfterNanos("3"));
        assertEquals(-1, ChatClient.retryAfterNanos("soon"));
        assertEquals(-1, ChatClient.retryAfterNanos(null));
        assertEquals(0, ChatClient.retryAfterNanos("Wed, 21 Oct 2015 07:28:00 GMT"));
    }

    @Test
    void appendsTheChatPathToABaseUrl() {
        assertEquals(
                URI.create("http://h:1/v1/chat/completions"),
                ChatClient.endpoint(URI.create("http://h:1/v1/")));
        assertEquals(
                URI.create("http://h:1/v1/chat/completions"),
                ChatClient.endpoint(URI.create("http://h:1/v1/chat/completions")));
    }

    private static void waitFor(java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }
}
