package dev.plinth.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The rate limit of one replica: a token bucket per client in this process's memory.
 *
 * <p>Notes. The classic token bucket (as in RFC 2697's meters): a bucket holds up to {@code
 * perMinute} tokens, refills at {@code perMinute / 60} a second, and each request takes one. A
 * client may thus burst a minute's worth and then go on at the steady rate. An empty bucket says
 * how long until the next token, which becomes {@code Retry-After}. Buckets of idle clients are
 * full and carry no state worth keeping, so the map is swept of them when it grows large.
 */
final class LocalRateLimiter implements RateLimiter {

    private static final int SWEEP_ABOVE = 50_000;

    private final double capacity;
    private final double perNano;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /**
     * A limiter allowing {@code perMinute} requests a minute per client; 0 or less means no limit.
     */
    LocalRateLimiter(int perMinute) {
        this(perMinute, System::nanoTime);
    }

    LocalRateLimiter(int perMinute, LongSupplier nanoTime) {
        this.capacity = perMinute;
        this.perNano = perMinute / 60e9;
        this.nanoTime = nanoTime;
    }

    /** Whether this limiter limits anything. */
    boolean enabled() {
        return capacity > 0;
    }

    @Override
    public long acquire(String client) {
        if (!enabled()) {
            return 0;
        }
        long now = nanoTime.getAsLong();
        if (buckets.size() > SWEEP_ABOVE) {
            buckets.values().removeIf(b -> b.isFull(now));
        }
        return buckets.computeIfAbsent(client, k -> new Bucket(now)).take(now);
    }

    private final class Bucket {
        private double tokens = capacity;
        private long updated;

        Bucket(long now) {
            updated = now;
        }

        synchronized long take(long now) {
            refill(now);
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / perNano / 1e9);
        }

        synchronized boolean isFull(long now) {
            refill(now);
            return tokens >= capacity;
        }

        private void refill(long now) {
            tokens = Math.min(capacity, tokens + (now - updated) * perNano);
            updated = now;
        }
    }
}
