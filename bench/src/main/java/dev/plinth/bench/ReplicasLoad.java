package dev.plinth.bench;

import com.sun.net.httpserver.HttpServer;
import dev.plinth.server.Server;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Requests/s through two replicas sharing one Redis against one replica, on the same pages, cached
 * and uncached; with one replica on the embedded SQLite cache as the reference. Clients send {@code
 * GET /{url}} for the first 50 Scrapinghub pages (served by a local HTTP server) for a fixed time,
 * alternating between the replicas. Phases:
 *
 * <ol>
 *   <li><b>cached</b>: every page is in the cache, so each request is a cache lookup (SQLite, or
 *       one Redis {@code GET} and an inflate) plus conversion;
 *   <li><b>uncached</b>: {@code X-No-Cache: true}, so each request also fetches the page and writes
 *       it to the cache.
 * </ol>
 *
 * The replicas are {@link Server}s in this JVM, and Redis a {@code redis-server} process this
 * program starts on a free loopback port (Debian's package; {@code apt-get install redis-server}),
 * unless given a URL. Everything shares the machine's cores, so two replicas here measure what
 * sharing costs (a Redis round trip instead of a SQLite read), not what a second machine would add:
 * on separate machines each replica brings its own cores, and Redis, one thread doing a few
 * microseconds per request, is far from the bottleneck.
 *
 * <p>Run from the project root (args: {@code [CLIENTS] [SECONDS] [REDIS_URL|-] [DATA_DIR]}):
 *
 * <pre>{@code
 * MAVEN_OPTS=-Xmx1g mvn -q -B -Dplinth.build=target-server -pl bench -am test-compile exec:java \
 *   -Dexec.mainClass=dev.plinth.bench.ReplicasLoad -Dexec.args="64 20"
 * }</pre>
 */
public final class ReplicasLoad {

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.log.plinth.access", "warn");
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String given = args.length > 2 && !args[2].equals("-") ? args[2] : null;
        List<byte[]> pages =
                ScrapinghubPages.load(ScrapinghubPages.dir(args, 3)).stream()
                        .limit(50)
                        .map(ScrapinghubPages.Sample::html)
                        .toList();

        HttpServer site =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        site.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        site.createContext(
                "/page/",
                ex -> {
                    int i = Integer.parseInt(ex.getRequestURI().getPath().substring(6));
                    ServerLoad.send(ex, pages.get(i % pages.size()));
                });
        site.start();
        String siteBase = "http://127.0.0.1:" + site.getAddress().getPort();

        Path dir = Files.createTempDirectory("plinth-replicas");
        RedisProcess started = given == null ? RedisProcess.start(dir) : null;
        String redis = given != null ? given : "redis://127.0.0.1:" + started.port();
        System.out.printf(
                Locale.ROOT,
                "ReplicasLoad: %d clients, %d s per phase, %d pages, %d cores, max heap %d MiB,"
                        + " redis %s, load average %.2f%n",
                clients,
                seconds,
                pages.size(),
                Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20,
                redis,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());

        HttpClient http =
                HttpClient.newBuilder()
                        .executor(Executors.newVirtualThreadPerTaskExecutor())
                        .connectTimeout(Duration.ofSeconds(10))
                        .build();
        Consumer<Server.Config> base =
                c -> {
                    c.port = 0;
                    c.allowPrivateNetwork = true;
                    c.rateLimitPerMinute = 0;
                    c.browser = false;
                };
        try {
            measure(
                    true,
                    "1 sqlite",
                    List.of(base.andThen(c -> c.cacheDir = dir.resolve("sqlite"))),
                    http,
                    siteBase,
                    pages.size(),
                    clients,
                    seconds);
            measure(
                    false,
                    "1 redis",
                    List.of(base.andThen(c -> c.redis = redis)),
                    http,
                    siteBase,
                    pages.size(),
                    clients,
                    seconds);
            measure(
                    false,
                    "2 redis",
                    List.of(base.andThen(c -> c.redis = redis), base.andThen(c -> c.redis = redis)),
                    http,
                    siteBase,
                    pages.size(),
                    clients,
                    seconds);
        } finally {
            site.stop(0);
            if (started != null) {
                started.process().destroyForcibly();
            }
        }
        System.exit(0);
    }

    /**
     * Starts {@code replicas}, fills the cache, warms up, then reports the cached and uncached
     * phases, requests alternating over the replicas.
     */
    private static void measure(
            boolean first,
            String name,
            List<Consumer<Server.Config>> replicas,
            HttpClient http,
            String siteBase,
            int pages,
            int clients,
            int seconds)
            throws Exception {
        List<Server> servers = new ArrayList<>();
        try {
            for (Consumer<Server.Config> config : replicas) {
                servers.add(Server.start(config, List.of()));
            }
            // Page i through replica i mod n, then through the next: every replica reads every
            // page, and consecutive requests of one client go to different replicas.
            List<String> targets = new ArrayList<>();
            for (int round = 0; round < servers.size(); round++) {
                for (int i = 0; i < pages; i++) {
                    Server s = servers.get((i + round) % servers.size());
                    targets.add("http://127.0.0.1:" + s.port() + "/" + siteBase + "/page/" + i);
                }
            }
            for (String t : targets.subList(0, pages)) {
                http.send(
                        HttpRequest.newBuilder(URI.create(t)).build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            // The first setup also warms the JVM (JIT, pools): it gets a phase-long warm-up.
            ServerLoad.run(
                    http,
                    "",
                    targets,
                    clients,
                    first ? seconds : Math.min(seconds, 10),
                    new String[0]);
            double[] before = cacheCounts(servers);
            ServerLoad.report(
                    ServerLoad.run(http, "", targets, clients, seconds, new String[0]),
                    name + " cached");
            printCacheCounts(servers, before);
            before = cacheCounts(servers);
            ServerLoad.report(
                    ServerLoad.run(
                            http,
                            "",
                            targets,
                            clients,
                            seconds,
                            new String[] {"X-No-Cache", "true"}),
                    name + " uncached");
            printCacheCounts(servers, before);
        } finally {
            for (Server s : servers) {
                s.close();
            }
        }
    }

    /** Cache hits, misses and store errors so far, over all replicas. */
    private static double[] cacheCounts(List<Server> servers) {
        double[] counts = new double[3];
        for (Server s : servers) {
            var registry = s.metrics().registry();
            counts[0] +=
                    count(registry.find("plinth.cache.requests").tag("result", "hit").counter());
            counts[1] +=
                    count(registry.find("plinth.cache.requests").tag("result", "miss").counter());
            counts[2] += count(registry.find("plinth.cache.store.errors").counter());
        }
        return counts;
    }

    private static double count(io.micrometer.core.instrument.Counter c) {
        return c == null ? 0 : c.count();
    }

    /** What the cache did during the phase just reported: a sharing that fails shows here. */
    private static void printCacheCounts(List<Server> servers, double[] before) {
        double[] after = cacheCounts(servers);
        System.out.printf(
                Locale.ROOT,
                "          cache: %.0f hits, %.0f misses, %.0f store errors%n",
                after[0] - before[0],
                after[1] - before[1],
                after[2] - before[2]);
    }

    /** A {@code redis-server} this program started. */
    private record RedisProcess(Process process, int port) {

        /** One on a free loopback port, nothing persisted, LRU within 1 GiB. */
        static RedisProcess start(Path dir) throws IOException, InterruptedException {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            Process p =
                    new ProcessBuilder(
                                    "redis-server",
                                    "--port",
                                    Integer.toString(port),
                                    "--bind",
                                    "127.0.0.1",
                                    "--dir",
                                    dir.toString(),
                                    "--save",
                                    "",
                                    "--appendonly",
                                    "no",
                                    "--maxmemory",
                                    "1gb",
                                    "--maxmemory-policy",
                                    "allkeys-lru")
                            .redirectErrorStream(true)
                            .redirectOutput(dir.resolve("redis.log").toFile())
                            .start();
            long until = System.nanoTime() + 20_000_000_000L;
            while (!answersPing(port)) {
                if (!p.isAlive() || System.nanoTime() > until) {
                    throw new IllegalStateException(
                            "redis-server did not start: "
                                    + Files.readString(dir.resolve("redis.log")));
                }
                Thread.sleep(20);
            }
            return new RedisProcess(p, port);
        }
    }

    private static boolean answersPing(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] reply = new byte[7];
            int n = in.read(reply);
            return n > 0 && new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }
}
