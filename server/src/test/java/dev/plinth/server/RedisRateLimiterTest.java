package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Token buckets in a real Redis: limiters on separate connections (as on separate replicas) share
 * one bucket per client, atomically, and fall back to their own buckets while Redis is away.
 */
@Timeout(120)
class RedisRateLimiterTest {

    @RegisterExtension static final RedisServer server = new RedisServer();

    private static final Duration TIMEOUT = Duration.ofMillis(200);

    private static String client() {
        return "key:" + UUID.randomUUID();
    }

    @Test
    void replicasTakeFromOneBucketPerClient() throws Exception {
        try (Redis a = Redis.open(server.url(), TIMEOUT);
                Redis b = Redis.open(server.url(), TIMEOUT)) {
            AtomicInteger failures = new AtomicInteger();
            RateLimiter onA =
                    new RedisRateLimiter(a, "requests", 10, e -> failures.incrementAndGet());
            RateLimiter onB =
                    new RedisRateLimiter(b, "requests", 10, e -> failures.incrementAndGet());
            String client = client();
            for (int i = 0; i < 10; i++) {
                assertEquals(0, (i % 2 == 0 ? onA : onB).acquire(client), "request " + i);
            }
            long waitA = onA.acquire(client);
            long waitB = onB.acquire(client);
            // 10 a minute: the next token is 6 s away.
            assertTrue(waitA >= 5 && waitA <= 6, "A says retry in " + waitA);
            assertTrue(waitB >= 5 && waitB <= 6, "B says retry in " + waitB);
            assertEquals(0, onA.acquire(client()), "another client has its own bucket");
            assertEquals(
                    0,
                    new RedisRateLimiter(a, "auth-failures", 10, e -> {}).acquire(client),
                    "another limiter has its own buckets");
            assertEquals(0, failures.get());
        }
    }

    @Test
    void concurrentRequestsThroughTwoReplicasNeverOverdrawTheBucket() throws Exception {
        try (Redis a = Redis.open(server.url(), TIMEOUT);
                Redis b = Redis.open(server.url(), TIMEOUT);
                ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            RateLimiter onA = new RedisRateLimiter(a, "requests", 50, e -> {});
            RateLimiter onB = new RedisRateLimiter(b, "requests", 50, e -> {});
            String client = client();
            List<Future<Long>> calls = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                RateLimiter via = i % 2 == 0 ? onA : onB;
                calls.add(pool.submit(() -> via.acquire(client)));
            }
            int granted = 0;
            for (Future<Long> call : calls) {
                granted += call.get() == 0 ? 1 : 0;
            }
            double took = (System.nanoTime() - t0) / 1e9;
            // 50 a minute: what the bucket held, plus what refilled while the requests ran.
            assertTrue(
                    granted >= 50 && granted <= 51 + took * 50 / 60,
                    granted + " of 200 granted in " + took + " s");
        }
    }

    @Test
    void theBucketRefillsAtItsRateByRedisTime() throws Exception {
        try (Redis a = Redis.open(server.url(), TIMEOUT)) {
            RedisRateLimiter limiter = new RedisRateLimiter(a, "requests", 120, e -> {});
            String client = client();
            long t0 = System.nanoTime();
            int granted = drain(limiter, client);
            double took = (System.nanoTime() - t0) / 1e9;
            // 120 a minute is 2 tokens a second, added while draining too.
            assertTrue(
                    granted >= 120 && granted <= 121 + 2 * took,
                    granted + " granted from a full bucket in " + took + " s");
            long t1 = System.nanoTime();
            Thread.sleep(1500);
            int refilled = drain(limiter, client);
            double waited = (System.nanoTime() - t1) / 1e9;
            assertTrue(
                    refilled >= 3 && refilled <= 1 + 2 * waited,
                    refilled + " tokens after " + waited + " s");
            String ttl = server.command("PTTL", limiter.key(client)).strip();
            long ms = Long.parseLong(ttl.substring(1));
            assertTrue(ms > 0 && ms <= 61_000, "an empty bucket expires once refilled: " + ttl);
        }
    }

    /** Takes tokens until refused; how many it got. */
    private static int drain(RateLimiter limiter, String client) {
        int granted = 0;
        while (limiter.acquire(client) == 0) {
            granted++;
        }
        return granted;
    }

    @Test
    void whileRedisIsDownEachReplicaUsesItsOwnBucketAndSaysSo() throws Exception {
        try (Redis a = Redis.open(server.url(), TIMEOUT)) {
            AtomicInteger failures = new AtomicInteger();
            RateLimiter limiter =
                    new RedisRateLimiter(a, "requests", 5, e -> failures.incrementAndGet());
            String client = client();
            for (int i = 0; i < 5; i++) {
                assertEquals(0, limiter.acquire(client));
            }
            assertTrue(limiter.acquire(client) > 0, "the shared bucket is empty");
            server.kill();
            try {
                long t0 = System.nanoTime();
                for (int i = 0; i < 5; i++) {
                    assertEquals(0, limiter.acquire(client), "the replica's own bucket is full");
                }
                assertTrue(limiter.acquire(client) > 0, "and the local bucket limits too");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(ms < 6 * (TIMEOUT.toMillis() + 100), "six checks took " + ms + " ms");
                assertEquals(6, failures.get());
            } finally {
                server.start();
            }
            // Redis came back empty (and without the script): the shared bucket is fresh.
            long until = System.nanoTime() + 15_000_000_000L;
            int before;
            do {
                before = failures.get();
                Thread.sleep(50);
                limiter.acquire(client());
            } while (failures.get() > before && System.nanoTime() < until);
            assertEquals(before, failures.get(), "the limiter uses Redis again");
            for (int i = 0; i < 5; i++) {
                assertEquals(0, limiter.acquire(client));
            }
            assertTrue(limiter.acquire(client) > 0);
        }
    }

    @Test
    void zeroMeansNoLimitAndNoRedisCall() throws Exception {
        try (Redis a = Redis.open(server.url(), TIMEOUT)) {
            server.kill();
            try {
                AtomicInteger failures = new AtomicInteger();
                RateLimiter off =
                        new RedisRateLimiter(a, "requests", 0, e -> failures.incrementAndGet());
                for (int i = 0; i < 100; i++) {
                    assertEquals(0, off.acquire("x"));
                }
                assertEquals(0, failures.get());
            } finally {
                server.start();
            }
        }
    }
}
