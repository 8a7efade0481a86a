package dev.plinth.server;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Per-client rate limit: one token bucket per API key (or per IP address when no key is used), kept
 * by this replica ({@link LocalRateLimiter}) or shared by every replica through Redis ({@link
 * RedisRateLimiter}).
 */
interface RateLimiter {

    /**
     * Takes a token for {@code client}; returns 0 when granted, else the seconds until one is
     * available.
     */
    long acquire(String client);

    /**
     * {@code perMinute} requests a minute per client (0 or less: no limit), in {@code redis} when
     * there is one, named {@code name} there; Redis failures go to {@code failed} while this
     * replica's own buckets decide.
     */
    static RateLimiter of(Redis redis, String name, int perMinute, Consumer<IOException> failed) {
        return redis == null
                ? new LocalRateLimiter(perMinute)
                : new RedisRateLimiter(redis, name, perMinute, failed);
    }
}
