package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics} exposes requests, latency buckets, cache, fetch errors and queue gauges. */
class MetricsTest {

    @TempDir static Path cacheDir;
    static TestSite site;
    static Plinth plinth;

    @BeforeAll
    static void start() throws IOException {
        site = new TestSite();
        site.start();
        plinth = Plinth.start(Plinth.config(cacheDir));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.close();
    }

    @Test
    void exposesPrometheusText() throws Exception {
        String page = "/" + site.url("/counted?m=" + UUID.randomUUID());
        plinth.get(page);
        plinth.get(page);
        plinth.get("/http://127.0.0.1:1/refused");
        plinth.get(page, "X-No-Gfm", "perhaps");
        HttpResponse<String> r = plinth.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String m = r.body();
        assertTrue(
                m.contains(
                        "plinth_http_requests_seconds_count{method=\"GET\",route=\"/{url}\",status=\"200\"} 2"),
                m);
        assertTrue(
                m.contains(
                        "plinth_http_requests_seconds_count{method=\"GET\",route=\"/{url}\",status=\"400\"} 1"),
                m);
        assertTrue(
                m.contains(
                        "plinth_http_requests_seconds_bucket{method=\"GET\",route=\"/{url}\",status=\"200\",le=\"0.25\"}"),
                m);
        assertTrue(m.contains("plinth_cache_requests_total{result=\"hit\"} 1"), m);
        assertTrue(m.contains("plinth_cache_requests_total{result=\"miss\"} 2"), m);
        assertTrue(m.contains("plinth_fetch_errors_total{kind=\"unreadable\"} 1"), m);
        assertTrue(m.contains("plinth_reads_queued "), m);
        assertTrue(m.contains("plinth_reads_active "), m);
        assertTrue(m.contains("plinth_cache_bytes "), m);
    }
}
