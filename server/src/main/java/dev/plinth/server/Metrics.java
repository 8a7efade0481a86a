package dev.plinth.server;

import dev.plinth.reader.CachingSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's meters, scraped at {@code /metrics} in Prometheus text format: requests by route,
 * method and status with a latency histogram, page-cache hits and misses, fetch errors by kind, and
 * gauges for reads running and waiting. Histogram buckets are a fixed set of service-level bounds
 * (5 ms … 60 s) rather than Micrometer's 70-odd default buckets, to keep each scrape small.
 */
public final class Metrics {

    private static final Logger LOG = LoggerFactory.getLogger(Metrics.class);

    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
                Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(30),
        Duration.ofSeconds(60)
    };

    private final PrometheusMeterRegistry registry =
            new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    /** Least time between two warnings of one kind. */
    private static final Duration WARN_EVERY = Duration.ofSeconds(10);

    private final Counter cacheHits;
    private final Counter cacheMisses;
    private final Counter rateLimitStoreErrors;
    private final Counter shotStoreErrors;
    private final Warnings pageStoreWarnings = new Warnings();
    private final Warnings rateLimitWarnings = new Warnings();
    private final Warnings shotWarnings = new Warnings();

    public Metrics() {
        cacheHits =
                Counter.builder("plinth.cache.requests")
                        .tag("result", "hit")
                        .description("Page-cache lookups")
                        .register(registry);
        cacheMisses =
                Counter.builder("plinth.cache.requests")
                        .tag("result", "miss")
                        .description("Page-cache lookups")
                        .register(registry);
        rateLimitStoreErrors =
                Counter.builder("plinth.ratelimit.store.errors")
                        .description(
                                "Rate-limit checks the shared store could not answer; the"
                                        + " replica's own buckets decided")
                        .register(registry);
        shotStoreErrors =
                Counter.builder("plinth.shots.store.errors")
                        .description(
                                "Shot writes and lookups the shared store failed; memory stood in")
                        .register(registry);
    }

    /** The registry, for meters of other route groups. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Records one finished HTTP request. */
    void request(String route, String method, int status, Duration took) {
        Timer.builder("plinth.http.requests")
                .description("HTTP requests by route and status")
                .tags("route", route, "method", method, "status", Integer.toString(status))
                .serviceLevelObjectives(BUCKETS)
                .register(registry)
                .record(took);
    }

    /**
     * Counts what the page cache does: hits, misses, and store failures (a store that is down or
     * slow serves reads uncached, and this counter says so).
     */
    CachingSource.Listener cacheListener() {
        Counter failures =
                Counter.builder("plinth.cache.store.errors")
                        .description("Page-store operations that failed; reads went on uncached")
                        .register(registry);
        return new CachingSource.Listener() {
            @Override
            public void hit() {
                cacheHits.increment();
            }

            @Override
            public void miss() {
                cacheMisses.increment();
            }

            @Override
            public void storeFailed(IOException e) {
                failures.increment();
                pageStoreWarnings.warn("page cache", e);
            }
        };
    }

    /**
     * Counts a rate-limit check the shared store could not answer; the replica's own bucket decided
     * instead.
     */
    void rateLimitStoreFailed(IOException e) {
        rateLimitStoreErrors.increment();
        rateLimitWarnings.warn("rate limit", e);
    }

    /** Counts a shot the shared store could not take or give; memory stood in. */
    void shotStoreFailed(IOException e) {
        shotStoreErrors.increment();
        shotWarnings.warn("shot store", e);
    }

    /**
     * Warnings at most once per {@link #WARN_EVERY} per kind, with how many were left out: a store
     * that is down fails every request, and the counters already say how often.
     */
    private static final class Warnings {
        private final AtomicLong last = new AtomicLong(System.nanoTime() - WARN_EVERY.toNanos());
        private final LongAdder quiet = new LongAdder();

        void warn(String what, IOException e) {
            long now = System.nanoTime();
            long then = last.get();
            if (now - then < WARN_EVERY.toNanos() || !last.compareAndSet(then, now)) {
                quiet.increment();
                return;
            }
            long left = quiet.sumThenReset();
            if (left == 0) {
                LOG.warn("{}: {}", what, e.getMessage());
            } else {
                LOG.warn("{}: {} (and {} more since the last warning)", what, e.getMessage(), left);
            }
        }
    }

    /** Counts a failed fetch or read by its kind (blocked, unreadable, too_large…). */
    void fetchError(String kind) {
        Counter.builder("plinth.fetch.errors")
                .description("Failed fetches by kind")
                .tag("kind", kind)
                .register(registry)
                .increment();
    }

    /** Registers a gauge read when scraped. */
    void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    /** The Prometheus text exposition. */
    String scrape() {
        return registry.scrape();
    }
}
