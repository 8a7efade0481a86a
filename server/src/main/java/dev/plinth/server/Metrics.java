package dev.plinth.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The server's meters, scraped at {@code /metrics} in Prometheus text format: requests by route,
 * method and status with a latency histogram, page-cache hits and misses, fetch errors by kind, and
 * gauges for reads running and waiting. Histogram buckets are a fixed set of service-level bounds
 * (5 ms … 60 s) rather than Micrometer's 70-odd default buckets, to keep each scrape small.
 */
public final class Metrics {

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
    private final Counter cacheHits;
    private final Counter cacheMisses;

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

    void cacheHit() {
        cacheHits.increment();
    }

    void cacheMiss() {
        cacheMisses.increment();
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
