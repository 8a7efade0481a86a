package dev.plinth.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * URL mode on local[2] against three loopback hosts (127.0.0.1, .2 and .3 are distinct hosts to the
 * job): a good one, a slow one and a failing one. Each server counts what it sees, so the
 * politeness bounds are asserted from the hosts' side.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UrlBatchTest {

    private static final int PER_HOST = 2;
    private static final double RATE = 20; // request starts a second per host

    private static SparkSession spark;
    private static Host good;
    private static Host slow;
    private static Host failing;

    /** One loopback host: every request is counted, with its start time and the peak in flight. */
    private static final class Host {
        final String address;
        final HttpServer server;
        final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
        final List<Long> starts = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();

        Host(String address, long delayMillis) throws IOException {
            this.address = address;
            server =
                    HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 64);
            server.setExecutor(Executors.newFixedThreadPool(16));
            server.createContext(
                    "/",
                    exchange -> {
                        starts.add(System.nanoTime());
                        peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                        try {
                            String path = exchange.getRequestURI().getPath();
                            int n =
                                    hits.computeIfAbsent(path, p -> new AtomicInteger())
                                            .incrementAndGet();
                            sleep(delayMillis);
                            answer(exchange, path, n);
                        } finally {
                            inFlight.decrementAndGet();
                        }
                    });
            server.start();
        }

        String url(String path) {
            return "http://" + address + ":" + server.getAddress().getPort() + path;
        }

        int hits(String path) {
            AtomicInteger n = hits.get(path);
            return n == null ? 0 : n.get();
        }

        void reset() {
            hits.clear();
            starts.clear();
            peak.set(0);
        }
    }

    private static void answer(HttpExchange exchange, String path, int hit) throws IOException {
        int status = 200;
        String body;
        if (path.startsWith("/fail/")) {
            status = 503;
            body = "<html><body><p>down for maintenance</p></body></html>";
        } else if (path.startsWith("/flaky/") && hit == 1) {
            status = 429;
            exchange.getResponseHeaders().add("Retry-After", "0");
            body = "<html><body><p>slow down</p></body></html>";
        } else if (path.startsWith("/missing")) {
            status = 404;
            body = "<html><body><p>no such page</p></body></html>";
        } else if (path.equals("/robots.txt")) {
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            body = "User-agent: *\nDisallow: /private/\n";
        } else {
            body =
                    "<html><head><title>Page "
                            + path
                            + "</title></head><body><article><h1>Page "
                            + path
                            + "</h1><p>"
                            + "This page is served on loopback to the batch job, with enough text"
                            + " to be its main content. ".repeat(4)
                            + "</p></article></body></html>";
        }
        if (!exchange.getResponseHeaders().containsKey("Content-Type")) {
            exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @BeforeAll
    static void start() throws IOException {
        spark = TestData.spark();
        good = new Host("127.0.0.1", 0);
        slow = new Host("127.0.0.2", 400);
        failing = new Host("127.0.0.3", 0);
    }

    @AfterAll
    static void stop() {
        spark.stop();
        for (Host h : List.of(good, slow, failing)) {
            h.server.stop(0);
        }
    }

    private static Plinth.Settings settings() {
        return Plinth.Settings.builder()
                .allowPrivateNetwork(true) // the hosts are on loopback: an explicit test setting
                .perHost(PER_HOST)
                .perHostRate(RATE)
                .backoff(Duration.ofMillis(100))
                .maxAttempts(3)
                .timeout(Duration.ofSeconds(10))
                .partitions(3)
                .build();
    }

    private static Map<String, Row> byUrl(List<Row> rows) {
        Map<String, Row> out = new HashMap<>();
        for (Row row : rows) {
            out.put(row.getString(row.fieldIndex("url")), row);
        }
        return out;
    }

    private static String closedPortUrl() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.4"))) {
            return "http://127.0.0.4:" + s.getLocalPort() + "/nobody-home";
        }
    }

    @Test
    @Order(1)
    void fetchesPolitelyAndTurnsEveryFailureIntoARow(@TempDir Path dir) throws IOException {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            urls.add(good.url("/page/" + i));
            urls.add(slow.url("/page/" + i));
        }
        for (int i = 0; i < 3; i++) {
            urls.add(failing.url("/fail/" + i));
            urls.add(failing.url("/flaky/" + i));
        }
        urls.add(failing.url("/missing"));
        String refused = closedPortUrl();
        urls.add(refused);
        urls.add("not a url");
        Path list = dir.resolve("urls.txt");
        Files.write(list, urls);
        String out = dir.resolve("out").toString();

        Batch.Summary summary =
                Batch.run(
                        spark,
                        new Batch.Job(
                                List.of(list.toString()), null, out, false, 100_000, settings()));

        assertEquals(urls.size(), summary.written());
        assertEquals(3 + 1 + 1 + 1, summary.failed());
        Map<String, Row> rows = byUrl(spark.read().parquet(out).collectAsList());
        assertEquals(urls.size(), rows.size());
        for (int i = 0; i < 10; i++) {
            for (Host host : List.of(good, slow)) {
                Row row = rows.get(host.url("/page/" + i));
                assertNull(row.getAs("error"));
                assertEquals(200, (int) row.getAs("status"));
                assertEquals("Page /page/" + i, row.getAs("title"));
                assertTrue(((String) row.getAs("content")).contains("served on loopback"));
                assertEquals(1, host.hits("/page/" + i));
            }
        }
        for (int i = 0; i < 3; i++) {
            Row fail = rows.get(failing.url("/fail/" + i));
            assertEquals("HTTP 503 after 3 attempts", fail.getAs("error"));
            assertEquals(503, (int) fail.getAs("status"));
            assertNull(fail.getAs("content"));
            assertEquals(3, failing.hits("/fail/" + i), "503s are retried, then given up");
            Row flaky = rows.get(failing.url("/flaky/" + i));
            assertNull(flaky.getAs("error"), "a 429 is retried and then succeeds");
            assertEquals(2, failing.hits("/flaky/" + i));
        }
        assertEquals("HTTP 404", rows.get(failing.url("/missing")).getAs("error"));
        assertEquals(1, failing.hits("/missing"), "a 404 is not retried");
        String cannot = rows.get(refused).getAs("error");
        assertNotNull(cannot);
        assertTrue(cannot.contains("cannot fetch"), cannot);
        assertTrue(((String) rows.get("not a url").getAs("error")).startsWith("not a valid URL"));

        for (Host host : List.of(good, slow, failing)) {
            assertTrue(
                    host.peak.get() <= PER_HOST,
                    host.address + " saw " + host.peak.get() + " requests at once");
            List<Long> arrivals = new ArrayList<>(host.starts);
            Collections.sort(arrivals);
            // The job's first request also builds the executor's HTTP client, so it can arrive
            // later than its start by more than an interval (it failed one run so): the spacing is
            // judged from the second arrival on.
            List<Long> starts = arrivals.subList(1, arrivals.size());
            double seconds = (starts.getLast() - starts.getFirst()) / 1e9;
            // n request starts at most 1/RATE apart need (n - 1)/RATE seconds; arrivals jitter a
            // little, so allow one interval of slack.
            assertTrue(
                    starts.size() - 1 <= RATE * seconds + 1,
                    host.address + ": " + starts.size() + " requests in " + seconds + " s");
        }
        assertEquals(PER_HOST, slow.peak.get(), "the slow host is kept at its bound, not below");
    }

    @Test
    @Order(2)
    void resumesWithoutFetchingWhatTheOutputHas(@TempDir Path dir) throws IOException {
        good.reset();
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            urls.add(good.url("/resume/" + i));
        }
        Path half = dir.resolve("half.txt");
        Files.write(half, urls.subList(0, 4));
        Path all = dir.resolve("all.txt");
        Files.write(all, urls);
        String out = dir.resolve("out").toString();

        Batch.run(
                spark,
                new Batch.Job(List.of(half.toString()), null, out, false, 100_000, settings()));
        Batch.Summary second =
                Batch.run(
                        spark,
                        new Batch.Job(List.of(all.toString()), null, out, false, 3, settings()));

        assertEquals(4, second.written());
        assertEquals(4, second.skipped());
        assertEquals(2, second.rounds(), "4 URLs left in rounds of 3");
        for (int i = 0; i < 8; i++) {
            assertEquals(1, good.hits("/resume/" + i), "/resume/" + i + " fetched once");
        }
        assertEquals(8, spark.read().parquet(out).count());
    }

    @Test
    @Order(3)
    void honoursRobotsTxtWhenAsked(@TempDir Path dir) throws IOException {
        Path list = dir.resolve("urls.txt");
        Files.write(list, List.of(good.url("/private/secret"), good.url("/public")));
        String out = dir.resolve("out").toString();
        Batch.run(
                spark,
                new Batch.Job(
                        List.of(list.toString()),
                        null,
                        out,
                        false,
                        100_000,
                        settings().toBuilder().robotsTxt("plinth").build()));
        Map<String, Row> rows = byUrl(spark.read().parquet(out).collectAsList());
        String refused = rows.get(good.url("/private/secret")).getAs("error");
        assertNotNull(refused);
        assertTrue(refused.contains("robots.txt disallows"), refused);
        assertNull(rows.get(good.url("/public")).getAs("error"));
    }

    @Test
    @Order(4)
    void plinthBatchRunsTheJobFromTheCommandLine(@TempDir Path dir) throws IOException {
        good.reset();
        Path list = dir.resolve("urls.txt");
        Files.write(list, List.of("# two pages", good.url("/cli/1"), "", good.url("/cli/2")));
        String out = dir.resolve("out").toString();

        int code =
                BatchCommand.run(
                        "--input", list.toString(), "--output", out, "--allow-private-network");

        assertEquals(0, code);
        // The command stops the session it ran on; read the result with a fresh one.
        spark = TestData.spark();
        List<Row> rows = spark.read().parquet(out).collectAsList();
        assertEquals(2, rows.size());
        for (Row row : rows) {
            assertNull(row.getAs("error"));
        }
        assertEquals(1, good.hits("/cli/1"));
        assertEquals(1, good.hits("/cli/2"));
    }
}
