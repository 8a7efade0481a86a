package dev.plinth.bench;

import com.sun.net.httpserver.HttpServer;
import dev.plinth.server.Server;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Load on the reader server over loopback: many concurrent clients reading real pages (the
 * Scrapinghub set, served by a local HTTP server) through {@code GET /{url}} for a fixed time.
 * Three phases, each against a fresh server:
 *
 * <ol>
 *   <li><b>cached</b>: every page is in the page cache, so each request is cache lookup +
 *       conversion;
 *   <li><b>uncached</b>: {@code X-No-Cache: true}, so each request also fetches the page;
 *   <li><b>overload</b>: a server with 4 read slots and a queue of 16 against a page that takes 2
 *       s, with far more clients than that: the excess must answer 429 at once, heap staying
 *       bounded.
 * </ol>
 *
 * Reports requests/s, latency p50/p99 per status, the status mix, and the peak heap in use (sampled
 * every 100 ms over the phase). Clients and server share one JVM and the machine's cores, so the
 * figures are a floor for the server alone.
 *
 * <p>Run from the project root (args: {@code [CLIENTS] [SECONDS] [OVERLOAD_CLIENTS] [DATA_DIR]});
 * the heap cap shows that overload does not grow memory:
 *
 * <pre>{@code
 * MAVEN_OPTS=-Xmx1g mvn -q -B -Dplinth.build=target-server -pl bench -am test-compile exec:java \
 *   -Dexec.mainClass=dev.plinth.bench.ServerLoad -Dexec.args="200 30 1000"
 * }</pre>
 */
public final class ServerLoad {

    record Phase(
            Map<Integer, long[]> latenciesByStatus, long errors, double seconds, long peakHeap) {}

    public static void main(String[] args) throws Exception {
        // One access-log line per request would measure the terminal, not the server.
        System.setProperty("org.slf4j.simpleLogger.log.plinth.access", "warn");
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int overloadClients = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        List<ScrapinghubPages.Sample> samples =
                ScrapinghubPages.load(ScrapinghubPages.dir(args, 3));
        List<byte[]> pages = samples.stream().limit(50).map(ScrapinghubPages.Sample::html).toList();

        HttpServer site =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        site.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        site.createContext(
                "/page/",
                ex -> {
                    int i = Integer.parseInt(ex.getRequestURI().getPath().substring(6));
                    send(ex, pages.get(i % pages.size()));
                });
        site.createContext(
                "/slow",
                ex -> {
                    try {
                        Thread.sleep(2000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    send(
                            ex,
                            "<html><body><article><p>A slow page for the overload phase of the load benchmark.</p></article></body></html>"
                                    .getBytes());
                });
        site.start();
        String siteBase = "http://127.0.0.1:" + site.getAddress().getPort();
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < pages.size(); i++) {
            targets.add("/" + siteBase + "/page/" + i);
        }
        System.out.printf(
                Locale.ROOT,
                "ServerLoad: %d clients, %d s per phase, %d pages (%.1f KiB mean), %d cores, max heap %d MiB%n",
                clients,
                seconds,
                pages.size(),
                pages.stream().mapToInt(p -> p.length).average().orElse(0) / 1024,
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20);

        HttpClient http =
                HttpClient.newBuilder()
                        .executor(Executors.newVirtualThreadPerTaskExecutor())
                        .connectTimeout(Duration.ofSeconds(10))
                        .build();
        Path cache = Files.createTempDirectory("plinth-load");
        Consumer<Server.Config> base =
                c -> {
                    c.cacheDir = cache;
                    c.port = 0;
                    c.allowPrivateNetwork = true;
                    c.rateLimitPerMinute = 0;
                    c.browser = false;
                };

        try (Server server = Server.start(base, List.of())) {
            String plinth = "http://127.0.0.1:" + server.port();
            for (String t : targets) {
                http.send(
                        HttpRequest.newBuilder(URI.create(plinth + t)).build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            run(
                    http,
                    plinth,
                    targets,
                    clients,
                    seconds,
                    new String[0]); // warm-up as long as a phase, not reported
            report(run(http, plinth, targets, clients, seconds, new String[0]), "cached");
            report(
                    run(
                            http,
                            plinth,
                            targets,
                            clients,
                            seconds,
                            new String[] {"X-No-Cache", "true"}),
                    "uncached");
        }
        Consumer<Server.Config> tight =
                base.andThen(c -> {
                    c.cacheDir = null;
                    c.maxReads = 4;
                    c.maxQueue = 16;
                });
        try (Server server = Server.start(tight, List.of())) {
            String plinth = "http://127.0.0.1:" + server.port();
            report(
                    run(
                            http,
                            plinth,
                            List.of("/" + siteBase + "/slow"),
                            overloadClients,
                            Math.min(seconds, 15),
                            new String[0]),
                    "overload");
        }
        site.stop(0);
        System.exit(0);
    }

    /**
     * {@code clients} loops, each sending requests back to back for {@code seconds}, to {@code
     * plinth} followed by each of {@code targets} in turn.
     */
    static Phase run(
            HttpClient http,
            String plinth,
            List<String> targets,
            int clients,
            int seconds,
            String[] headers)
            throws InterruptedException {
        Map<Integer, List<Long>> latencies = new ConcurrentHashMap<>();
        LongAdder errors = new LongAdder();
        AtomicLong peak = new AtomicLong();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                int offset = c;
                pool.submit(() -> {
                    int i = offset;
                    while (System.nanoTime() < end) {
                        HttpRequest.Builder b =
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        plinth + targets.get(i++ % targets.size())))
                                        .timeout(Duration.ofSeconds(60));
                        if (headers.length > 0) {
                            b.headers(headers);
                        }
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<byte[]> r =
                                    http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                            long took = System.nanoTime() - t0;
                            latencies
                                    .computeIfAbsent(
                                            r.statusCode(),
                                            k ->
                                                    java.util.Collections.synchronizedList(
                                                            new ArrayList<>()))
                                    .add(took);
                            if (r.statusCode() == 429) {
                                Thread.sleep(
                                        50); // a polite client backs off a little before retrying
                            }
                        } catch (IOException e) {
                            errors.increment();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
            }
            while (System.nanoTime() < end) {
                Thread.sleep(100);
                peak.accumulateAndGet(heapUsed(), Math::max);
            }
        }
        double took = (System.nanoTime() - start) / 1e9;
        Map<Integer, long[]> sorted = new TreeMap<>();
        latencies.forEach((status, list) -> {
            long[] a;
            synchronized (list) {
                a = list.stream().mapToLong(Long::longValue).toArray();
            }
            Arrays.sort(a);
            sorted.put(status, a);
        });
        return new Phase(sorted, errors.sum(), took, peak.get());
    }

    static void report(Phase p, String name) {
        long total = p.latenciesByStatus().values().stream().mapToLong(a -> a.length).sum();
        System.out.printf(
                Locale.ROOT,
                "%-9s %7d requests in %.1f s = %7.0f req/s, peak heap %d MiB (live after GC %d MiB),"
                        + " transport errors %d, load average %.1f%n",
                name,
                total,
                p.seconds(),
                total / p.seconds(),
                p.peakHeap() >> 20,
                liveAfterGc() >> 20,
                p.errors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        p.latenciesByStatus()
                .forEach((status, a) ->
                        System.out.printf(
                                Locale.ROOT,
                                "          status %d: %7d (%.1f%%)  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms%n",
                                status,
                                a.length,
                                100.0 * a.length / total,
                                pct(a, 0.50),
                                pct(a, 0.99),
                                a[a.length - 1] / 1e6));
    }

    private static double pct(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * sorted.length))] / 1e6;
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * Heap in use right after the last collections: the live set, as opposed to garbage not yet
     * collected.
     */
    private static long liveAfterGc() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p ->
                        p.getType() == java.lang.management.MemoryType.HEAP
                                && p.getCollectionUsage() != null)
                .mapToLong(p -> p.getCollectionUsage().getUsed())
                .sum();
    }

    static void send(com.sun.net.httpserver.HttpExchange ex, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
