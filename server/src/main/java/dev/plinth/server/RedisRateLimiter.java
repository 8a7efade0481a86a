package dev.plinth.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * The rate limit every replica shares: one token bucket per client in Redis, taken from by a Lua
 * script so that reading, refilling and taking are one atomic step however many replicas ask at
 * once.
 *
 * <p>Notes. The bucket is {@link LocalRateLimiter}'s (same capacity, rate and {@code Retry-After}),
 * kept as a hash of two fields: the tokens left and when they were counted. Time is Redis's own
 * ({@code TIME}), not the replicas' clocks, which need not agree. A bucket expires once it would
 * have refilled, so idle clients leave nothing behind. Keys hold a hash of the client, never an API
 * key itself. When Redis cannot answer within its timeout, the replica's own bucket decides and
 * {@code failed} hears of it: a replica never refuses, nor hangs, a request because Redis is down;
 * it only stops sharing the count until Redis is back.
 */
final class RedisRateLimiter implements RateLimiter {

    /**
     * KEYS[1] the bucket; ARGV[1] its capacity, ARGV[2] tokens a millisecond. Returns 0 when a
     * token was taken, else the whole seconds until one will be there.
     */
    private static final String TAKE =
            """
            local capacity = tonumber(ARGV[1])
            local rate = tonumber(ARGV[2])
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
            local tokens = tonumber(state[1])
            local at = tonumber(state[2])
            if tokens == nil or at == nil then
              tokens = capacity
              at = now
            end
            tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
            local wait = 0
            if tokens >= 1 then
              tokens = tokens - 1
            else
              wait = math.ceil((1 - tokens) / rate / 1000)
            end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
            redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
            return wait
            """;

    private final Redis.Script take;
    private final String prefix;
    private final int perMinute;
    private final String capacity;
    private final String perMs;
    private final LocalRateLimiter local;
    private final Consumer<IOException> failed;

    /**
     * {@code perMinute} requests a minute per client (0 or less: no limit) in buckets named {@code
     * name} on {@code redis}; Redis failures go to {@code failed}.
     */
    RedisRateLimiter(Redis redis, String name, int perMinute, Consumer<IOException> failed) {
        this.take = redis.script(TAKE);
        this.prefix = "plinth:rate:" + name + ":";
        this.perMinute = perMinute;
        this.capacity = Integer.toString(perMinute);
        this.perMs = Double.toString(perMinute / 60_000.0);
        this.local = new LocalRateLimiter(perMinute);
        this.failed = failed;
    }

    @Override
    public long acquire(String client) {
        if (perMinute <= 0) {
            return 0;
        }
        try {
            return take.run("rate limit", key(client), capacity, perMs);
        } catch (IOException e) {
            failed.accept(e);
            return local.acquire(client);
        }
    }

    /** The bucket's key: 128 bits of SHA-256 of the client, so no API key is named in Redis. */
    String key(String client) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256")
                            .digest(client.getBytes(StandardCharsets.UTF_8));
            return prefix + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
