package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Redis that is down, hung, or not there yet costs a call at most its timeout, and calls go
 * through again once it is back, on the same client, without a restart.
 */
@Timeout(120)
class RedisOutageTest {

    @RegisterExtension static final RedisServer server = new RedisServer();

    private static final Duration TIMEOUT = Duration.ofMillis(100);

    @AfterEach
    void redisRunsAgain() throws Exception {
        server.resume();
        server.start();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void set(Redis redis, String key, String value) throws IOException {
        redis.call("test write", r -> r.set(key, bytes(value)));
    }

    private static byte[] get(Redis redis, String key) throws IOException {
        return redis.call("test read", r -> r.get(key));
    }

    /** Milliseconds {@code call} took to fail with an {@link IOException}. */
    private static long failsWithin(Callable<?> call) {
        long t0 = System.nanoTime();
        assertThrows(IOException.class, call::call);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    /** Repeats {@code call} until it succeeds or {@code seconds} pass. */
    private static <T> T eventually(int seconds, Callable<T> call) throws Exception {
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        while (true) {
            try {
                return call.call();
            } catch (IOException e) {
                if (System.nanoTime() > until) {
                    throw new AssertionError("still failing after " + seconds + " s", e);
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void aKilledRedisFailsCallsAtOnceAndTheClientReconnectsWhenItReturns() throws Exception {
        try (Redis redis = Redis.open(server.url(), TIMEOUT)) {
            set(redis, "k", "before");
            server.kill();
            for (int i = 0; i < 20; i++) {
                long ms = failsWithin(() -> get(redis, "k"));
                assertTrue(ms <= TIMEOUT.toMillis() + 150, "a call to a dead Redis took " + ms);
            }
            // The client learns of the closed connection asynchronously (its channel event), while
            // calls already fail at once: wait for the event rather than race it.
            long until = System.nanoTime() + 5_000_000_000L;
            while (redis.connected() && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertFalse(redis.connected());
            server.start();
            eventually(
                    15,
                    () -> {
                        set(redis, "k", "after");
                        return null;
                    });
            assertArrayEquals(bytes("after"), get(redis, "k"));
            assertTrue(redis.connected());
        }
    }

    @Test
    void aHungRedisCostsTheTimeoutAFewTimesThenNothingUntilItAnswers() throws Exception {
        try (Redis redis = Redis.open(server.url(), TIMEOUT)) {
            set(redis, "h", "v");
            server.pause();
            for (int i = 0; i < Redis.TRIP_AFTER; i++) {
                long ms = failsWithin(() -> get(redis, "h"));
                assertTrue(
                        ms >= TIMEOUT.toMillis() - 5 && ms <= TIMEOUT.toMillis() + 400,
                        "call " + i + " to a hung Redis took " + ms + " ms");
            }
            for (int i = 0; i < 50; i++) {
                long ms = failsWithin(() -> get(redis, "h"));
                assertTrue(ms < 20, "with the circuit open a call took " + ms + " ms");
            }
            server.resume();
            byte[] back = eventually(10, () -> get(redis, "h"));
            assertArrayEquals(bytes("v"), back);
        }
    }

    @Test
    void aServerStartedWhileRedisIsDownConnectsWhenItComesUp() throws Exception {
        server.kill();
        try (Redis redis = Redis.open(server.url(), TIMEOUT)) {
            assertFalse(redis.connected());
            long ms = failsWithin(() -> get(redis, "s"));
            assertTrue(ms < 20, "a call before connecting took " + ms + " ms");
            server.start();
            eventually(
                    15,
                    () -> {
                        set(redis, "s", "up");
                        return null;
                    });
            assertArrayEquals(bytes("up"), get(redis, "s"));
        }
    }

    @Test
    void errorsRedisAnswersFailTheCallButNotTheConnection() throws Exception {
        try (Redis redis = Redis.open(server.url(), TIMEOUT)) {
            redis.call("test push", r -> r.lpush("list", bytes("x")));
            for (int i = 0; i < Redis.TRIP_AFTER + 2; i++) {
                IOException e = assertThrows(IOException.class, () -> get(redis, "list"));
                assertTrue(e instanceof Redis.Refused, e.toString());
                assertTrue(e.getMessage().contains("WRONGTYPE"), e.getMessage());
            }
            set(redis, "fine", "yes");
            assertArrayEquals(bytes("yes"), get(redis, "fine"), "the circuit stayed closed");
        }
    }

    @Test
    void aUrlThatIsNotRedisIsRefusedWithTheUrl() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> Redis.parse("http://127.0.0.1:6379"));
        assertTrue(e.getMessage().contains("http://127.0.0.1:6379"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Redis.parse("127.0.0.1:6379"));
    }
}
