package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** API keys, rate limits, overload, the body cap, the SSRF refusal and graceful shutdown. */
@org.junit.jupiter.api.Timeout(60)
class LimitsTest {

    @TempDir static Path cacheDir;
    static TestSite site;

    @BeforeAll
    static void start() {
        try {
            site = new TestSite();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        site.start();
    }

    @AfterAll
    static void stop() {
        site.close();
    }

    @Test
    void apiKeysAreRequiredWhenConfigured() throws Exception {
        try (Plinth p =
                Plinth.start(
                        Plinth.config(null).andThen(c -> c.apiKeys = List.of("k-one", "k-two")))) {
            String target = "/" + site.url("/article");
            HttpResponse<String> missing = p.get(target);
            assertEquals(401, missing.statusCode());
            assertEquals("AuthenticationRequiredError", Plinth.json(missing).get("name").asText());
            assertEquals("Bearer", missing.headers().firstValue("WWW-Authenticate").orElseThrow());
            HttpResponse<String> wrong = p.get(target, "Authorization", "Bearer k-three");
            assertEquals(401, wrong.statusCode());
            assertEquals("AuthenticationFailedError", Plinth.json(wrong).get("name").asText());
            assertEquals(200, p.get(target, "Authorization", "Bearer k-two").statusCode());
            assertEquals(401, p.get("/metrics").statusCode());
            assertEquals(401, p.postJson("/v1/embeddings", "{}").statusCode());
            assertTrue(
                    Plinth.json(p.postJson("/v1/embeddings", "{}")).has("detail"),
                    "model routes keep their shape");
            assertEquals(200, p.get("/health").statusCode(), "health needs no key");
        }
    }

    @Test
    void nonLoopbackWithoutKeysNeedsNoAuth() throws Exception {
        Consumer<Server.Config> open = Plinth.config(null).andThen(c -> c.host = "0.0.0.0");
        assertThrows(IllegalArgumentException.class, () -> Server.start(open, List.of()));
        assertEquals(2, Main.run("serve", "--host", "0.0.0.0", "--port", "0", "--no-cache"));
    }

    @Test
    void rateLimitAnswers429WithRetryAfter() throws Exception {
        try (Plinth p =
                Plinth.start(
                        Plinth.config(null)
                                .andThen(c -> {
                                    c.rateLimitPerMinute = 3;
                                    c.apiKeys = List.of("a", "b");
                                }))) {
            String target = "/" + site.url("/article");
            for (int i = 0; i < 3; i++) {
                assertEquals(200, p.get(target, "Authorization", "Bearer a").statusCode());
            }
            HttpResponse<String> limited = p.get(target, "Authorization", "Bearer a");
            assertEquals(429, limited.statusCode());
            assertEquals("RateLimitTriggeredError", Plinth.json(limited).get("name").asText());
            long retry = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
            assertTrue(retry >= 1 && retry <= 20, "retry after " + retry);
            assertEquals(
                    200,
                    p.get(target, "Authorization", "Bearer b").statusCode(),
                    "each key has its own bucket");
        }
    }

    @Test
    void overloadBeyondTheQueueAnswers429Quickly() throws Exception {
        try (Plinth p =
                Plinth.start(
                        Plinth.config(null)
                                .andThen(c -> {
                                    c.maxReads = 1;
                                    c.maxQueue = 1;
                                    c.maxQueueWait = Duration.ofSeconds(10);
                                }))) {
            String slow = "/" + site.url("/slow?ms=1500&id=overload");
            List<Future<HttpResponse<String>>> calls = new ArrayList<>();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 6; i++) {
                    calls.add(pool.submit(() -> p.get(slow)));
                }
                int ok = 0;
                int refused = 0;
                for (Future<HttpResponse<String>> call : calls) {
                    HttpResponse<String> r = call.get();
                    if (r.statusCode() == 200) {
                        ok++;
                    } else {
                        assertEquals(429, r.statusCode(), r.body());
                        assertTrue(r.headers().firstValue("Retry-After").isPresent());
                        refused++;
                    }
                }
                assertEquals(2, ok, "one running, one queued");
                assertEquals(4, refused);
            }
        }
    }

    @Test
    void bodiesOverTheCapAre413() throws Exception {
        try (Plinth p = Plinth.start(Plinth.config(null).andThen(c -> c.maxBodyBytes = 1024))) {
            String big = "{\"html\":\"" + "x".repeat(4000) + "\"}";
            HttpResponse<String> sized = p.postJson("/", big);
            assertEquals(413, sized.statusCode());
            assertEquals("PayloadTooLargeError", Plinth.json(sized).get("name").asText());
            // Without a Content-Length the cap is enforced while reading.
            InputStreamPublisher chunked = new InputStreamPublisher(big);
            HttpResponse<String> streamed = p.post("/", "application/json", chunked.publisher());
            assertEquals(413, streamed.statusCode(), streamed.body());
            assertEquals(
                    200,
                    p.postJson("/", "{\"html\":\"<p>small enough to pass the cap</p>\"}")
                            .statusCode());
        }
    }

    @Test
    void privateTargetsAre451WithoutAllowPrivateNetwork() throws Exception {
        try (Plinth p =
                Plinth.start(Plinth.config(null).andThen(c -> c.allowPrivateNetwork = false))) {
            HttpResponse<String> r = p.get("/" + site.url("/article"));
            assertEquals(451, r.statusCode(), r.body());
            JsonNode body = Plinth.json(r);
            assertEquals("SecurityCompromiseError", body.get("name").asText());
        }
    }

    @Test
    void stoppingLetsInFlightRequestsFinish() throws Exception {
        Plinth p = Plinth.start(Plinth.config(null));
        String slow = "/slow?ms=800&id=" + java.util.UUID.randomUUID();
        CompletableFuture<HttpResponse<String>> inFlight =
                p.http.sendAsync(
                        HttpRequest.newBuilder(URI.create(p.base() + "/" + site.url(slow)))
                                .timeout(Duration.ofSeconds(20))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (site.hits(slow) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, site.hits(slow), "the slow page is being fetched");
        URI health = URI.create(p.base() + "/health");
        p.close();
        HttpResponse<String> r = inFlight.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("took 800 milliseconds"), r.body());
        assertThrows(
                IOException.class,
                () ->
                        p.http.send(
                                HttpRequest.newBuilder(health).build(),
                                HttpResponse.BodyHandlers.ofString()),
                "no new requests after stop");
    }

    /** A body publisher of unknown length, so the client sends it chunked. */
    private record InputStreamPublisher(String body) {
        HttpRequest.BodyPublisher publisher() {
            return HttpRequest.BodyPublishers.ofInputStream(
                    () -> (InputStream) new java.io.ByteArrayInputStream(body.getBytes()));
        }
    }

    @Test
    void failedAuthenticationCountsAgainstTheAddress() throws Exception {
        try (Plinth p = Plinth.start(Plinth.config(null).andThen(c -> c.apiKeys = List.of("k")))) {
            int refused = 0;
            for (int i = 0; i < 40; i++) {
                HttpResponse<String> r = p.get("/metrics", "Authorization", "Bearer guess-" + i);
                if (r.statusCode() == 429) {
                    refused++;
                    assertTrue(r.headers().firstValue("Retry-After").isPresent());
                } else {
                    assertEquals(401, r.statusCode(), r.body());
                }
            }
            assertTrue(refused >= 10, "bad keys were told to wait " + refused + " times of 40");
        }
    }

    @Test
    void chunkedBodiesOverTheCapAre413OnEveryRoute() throws Exception {
        // A model route that reads its whole body, as the /v1 routes do: the cap applies to it
        // although the body has no Content-Length.
        AtomicLong read = new AtomicLong();
        RouteGroup echo =
                app ->
                        app.post(
                                "/v1/echo",
                                ctx -> read.set(ctx.bodyInputStream().readAllBytes().length));
        try (Plinth p =
                Plinth.start(
                        Plinth.config(null).andThen(c -> c.maxBodyBytes = 1 << 20),
                        List.of(echo))) {
            InputStreamPublisher chunked = new InputStreamPublisher("x".repeat(5 << 20));
            HttpResponse<String> r = p.post("/v1/echo", "application/json", chunked.publisher());
            assertEquals(413, r.statusCode(), r.body());
            assertTrue(Plinth.json(r).has("detail"), r.body());
            assertEquals(0, read.get(), "the route never got the oversized body");
        }
    }
}
