package dev.plinth.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Soak and overload against the built server ({@code plinth serve} from the fat jar, a process of
 * its own, default models): mixed traffic — reads of loopback article pages (half past the cache),
 * embeddings and reranking — from {@code CLIENTS} clients for {@code MINUTES}, then 20× that many
 * clients on each route in turn.
 *
 * <p>Soak reports the server's RSS and heap (after a full collection, through {@code jcmd}) at the
 * start — after a warm-up of the same traffic — and at the end, RSS each minute, requests by route
 * and status, the error count (anything but 200 and 429, connection failures included: must be 0),
 * and {@code /health} latency p50/p99/max polled every 200 ms throughout. Overload reports, per
 * route, how the answers split between 200 and 429 and how fast each came: a 429 must come at once
 * (p99 under a second), never after a minute in a queue.
 *
 * <p>The server runs with {@code --max-reads 8 --max-queue 32} so reads can be overloaded with a
 * few hundred clients; model queues keep their defaults. Run from the project root after {@code mvn
 * -B -ntp -o -q -DskipTests package -pl server -am} (args: {@code [MINUTES] [CLIENTS] [JAR]}):
 *
 * <pre>{@code
 * mvn -q -B -o -pl bench -am test-compile exec:java -Dexec.mainClass=dev.plinth.bench.SoakLoad \
 *   -Dexec.args="10 8 server/target/plinth.jar"
 * }</pre>
 */
public final class SoakLoad {

    private static final String[] WORDS =
            ("search index query document vector model reader page server cache token embedding"
                            + " ranking score relevance passage answer retrieval language text"
                            + " content network request response latency memory thread pool queue")
                    .split(" ");

    enum Route {
        READ,
        EMBED,
        RERANK
    }

    /** Counts and latencies of one phase, by route and status (0: no answer). */
    static final class Tally {
        final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        final Map<String, ConcurrentLinkedQueue<Long>> micros = new ConcurrentHashMap<>();
        final LongAdder errors = new LongAdder();
        final ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();

        void add(Route route, int status, long nanos, String error) {
            String key = route + " " + status;
            counts.computeIfAbsent(key, k -> new LongAdder()).increment();
            micros.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(nanos / 1000);
            if (status != 200 && status != 429) {
                errors.increment();
                if (firstErrors.size() < 5) firstErrors.add(key + ": " + error);
            }
        }

        long total() {
            return counts.values().stream().mapToLong(LongAdder::sum).sum();
        }

        void print(String indent) {
            for (String key : new TreeMap<>(counts).keySet()) {
                long[] l = micros.get(key).stream().mapToLong(Long::longValue).sorted().toArray();
                System.out.printf(
                        Locale.ROOT,
                        "%s%-10s %7d  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms%n",
                        indent,
                        key,
                        counts.get(key).sum(),
                        pct(l, 0.50) / 1000.0,
                        pct(l, 0.99) / 1000.0,
                        l.length == 0 ? 0 : l[l.length - 1] / 1000.0);
            }
            System.out.printf(
                    Locale.ROOT,
                    "%serrors (not 200 or 429): %d %s%n",
                    indent,
                    errors.sum(),
                    firstErrors);
        }
    }

    public static void main(String[] args) throws Exception {
        double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 10;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Path jar = Path.of(args.length > 2 ? args[2] : "server/target/plinth.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            System.err.println("no server jar at " + jar);
            System.exit(2);
        }
        HttpServer site = site();
        int sitePort = site.getAddress().getPort();
        Path dir = Files.createTempDirectory("plinth-soak-");
        int port = freePort();
        Path javaBin = Path.of(ProcessHandle.current().info().command().orElse("java"));
        Process server =
                new ProcessBuilder(
                                javaBin.toString(),
                                "-Dai.djl.offline=true",
                                "-Dorg.slf4j.simpleLogger.log.plinth.access=warn",
                                "-jar",
                                jar.toString(),
                                "serve",
                                "--port",
                                Integer.toString(port),
                                "--allow-private-network",
                                "--rate-limit",
                                "0",
                                "--max-reads",
                                "8",
                                "--max-queue",
                                "32",
                                "--cache-dir",
                                dir.resolve("cache").toString())
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("server.log").toFile())
                        .start();
        HttpClient http =
                HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(10))
                        .executor(Executors.newVirtualThreadPerTaskExecutor())
                        .build();
        String base = "http://127.0.0.1:" + port;
        String siteBase = "http://127.0.0.1:" + sitePort;
        int exit = 1;
        try {
            awaitServing(http, base, dir.resolve("server.log"), server);
            Path jcmd = javaBin.resolveSibling("jcmd");
            System.out.printf(
                    Locale.ROOT,
                    "soak: %.1f min, %d clients (reads 50%%, half uncached; embeddings 30%%; rerank"
                            + " 20%%), server pid %d, load %s%n",
                    minutes,
                    clients,
                    server.pid(),
                    loadavg());

            run(http, base, siteBase, clients, Duration.ofSeconds(30), new Tally(), null);
            long rssStart = rss(server.pid());
            long heapStart = heapAfterGc(jcmd, server.pid());
            System.out.printf(
                    Locale.ROOT,
                    "after a 30 s warm-up: RSS %d MiB, heap after full GC %d MiB%n",
                    rssStart >> 20,
                    heapStart >> 20);

            Tally soak = new Tally();
            Health health = new Health(http, base);
            long started = System.nanoTime();
            run(
                    http,
                    base,
                    siteBase,
                    clients,
                    Duration.ofMillis((long) (minutes * 60_000)),
                    soak,
                    () ->
                            System.out.printf(
                                    Locale.ROOT,
                                    "  %5.1f min: %d requests, RSS %d MiB, load %s%n",
                                    (System.nanoTime() - started) / 60e9,
                                    soak.total(),
                                    rss(server.pid()) >> 20,
                                    loadavg()));
            health.close();
            double seconds = (System.nanoTime() - started) / 1e9;
            long rssEnd = rss(server.pid());
            long heapEnd = heapAfterGc(jcmd, server.pid());
            System.out.printf(
                    Locale.ROOT,
                    "soak done: %d requests in %.0f s (%.1f/s)%n",
                    soak.total(),
                    seconds,
                    soak.total() / seconds);
            soak.print("  ");
            System.out.printf(
                    Locale.ROOT,
                    "  RSS %d -> %d MiB, heap after full GC %d -> %d MiB%n",
                    rssStart >> 20,
                    rssEnd >> 20,
                    heapStart >> 20,
                    heapEnd >> 20);
            health.print("  ");

            boolean quick = true;
            for (Route route : Route.values()) {
                Tally over = new Tally();
                Health h = new Health(http, base);
                runOne(http, base, siteBase, route, 20 * clients, Duration.ofSeconds(20), over);
                h.close();
                System.out.printf(
                        Locale.ROOT,
                        "overload %s: %d clients for 20 s, load %s%n",
                        route,
                        20 * clients,
                        loadavg());
                over.print("  ");
                h.print("  ");
                var refused = over.micros.get(route + " 429");
                long[] l =
                        refused == null
                                ? new long[0]
                                : refused.stream().mapToLong(Long::longValue).sorted().toArray();
                if (l.length == 0 || pct(l, 0.99) > 1_000_000 || over.errors.sum() > 0) {
                    quick = false;
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "%nsoak errors %d; every overloaded route answered 429 with p99 under 1 s: %s;"
                            + " RSS %d -> %d MiB; heap %d -> %d MiB; /health max %.0f ms%n",
                    soak.errors.sum(),
                    quick ? "yes" : "NO",
                    rssStart >> 20,
                    rssEnd >> 20,
                    heapStart >> 20,
                    heapEnd >> 20,
                    health.max() / 1000.0);
            exit = soak.errors.sum() == 0 && quick ? 0 : 1;
        } finally {
            server.destroy();
            server.waitFor(60, TimeUnit.SECONDS);
            server.destroyForcibly();
            site.stop(0);
        }
        System.exit(exit);
    }

    /** Mixed traffic from {@code clients} clients for {@code length}; {@code each} every minute. */
    private static void run(
            HttpClient http,
            String base,
            String siteBase,
            int clients,
            Duration length,
            Tally tally,
            Runnable each)
            throws InterruptedException {
        long end = System.nanoTime() + length.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long seed = c;
            threads.add(
                    Thread.ofVirtual()
                            .start(() -> {
                                Random random = new Random(seed);
                                while (System.nanoTime() < end) {
                                    double p = random.nextDouble();
                                    Route r =
                                            p < 0.5
                                                    ? Route.READ
                                                    : p < 0.8 ? Route.EMBED : Route.RERANK;
                                    call(http, base, siteBase, r, random, false, tally);
                                }
                            }));
        }
        long nextMinute = System.nanoTime() + 60_000_000_000L;
        for (Thread t : threads) {
            while (!t.join(Duration.ofSeconds(1))) {
                if (each != null && System.nanoTime() > nextMinute) {
                    each.run();
                    nextMinute += 60_000_000_000L;
                }
            }
        }
    }

    /** {@code clients} clients on one route for {@code length}; reads go to a 1 s page. */
    private static void runOne(
            HttpClient http,
            String base,
            String siteBase,
            Route route,
            int clients,
            Duration length,
            Tally tally)
            throws InterruptedException {
        long end = System.nanoTime() + length.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long seed = 1000 + c;
            threads.add(
                    Thread.ofVirtual()
                            .start(() -> {
                                Random random = new Random(seed);
                                while (System.nanoTime() < end) {
                                    call(http, base, siteBase, route, random, true, tally);
                                }
                            }));
        }
        for (Thread t : threads) t.join();
    }

    private static void call(
            HttpClient http,
            String base,
            String siteBase,
            Route route,
            Random random,
            boolean heavy,
            Tally tally) {
        HttpRequest.Builder b;
        switch (route) {
            case READ -> {
                String target =
                        heavy
                                ? siteBase + "/slow?n=" + random.nextInt(1_000_000)
                                : siteBase + "/page/" + random.nextInt(200);
                b = HttpRequest.newBuilder(URI.create(base + "/" + target)).GET();
                if (heavy || random.nextBoolean()) b.header("X-No-Cache", "true");
            }
            case EMBED -> {
                StringBuilder json = new StringBuilder("{\"input\": [");
                int n = heavy ? 32 : 8;
                for (int i = 0; i < n; i++) {
                    if (i > 0) json.append(',');
                    json.append('"').append(sentence(random, 10 + random.nextInt(60))).append('"');
                }
                b = post(base + "/v1/embeddings", json.append("]}").toString());
            }
            default -> {
                StringBuilder json =
                        new StringBuilder("{\"query\": \"")
                                .append(sentence(random, 8))
                                .append("\", \"documents\": [");
                int n = heavy ? 32 : 10;
                for (int i = 0; i < n; i++) {
                    if (i > 0) json.append(',');
                    json.append('"').append(sentence(random, 20 + random.nextInt(80))).append('"');
                }
                b = post(base + "/v1/rerank", json.append("]}").toString());
            }
        }
        long start = System.nanoTime();
        try {
            HttpResponse<String> r =
                    http.send(
                            b.timeout(Duration.ofSeconds(120)).build(),
                            HttpResponse.BodyHandlers.ofString());
            tally.add(
                    route,
                    r.statusCode(),
                    System.nanoTime() - start,
                    r.body().substring(0, Math.min(200, r.body().length())));
            if (r.statusCode() == 429) {
                Thread.sleep(50); // a polite client waits a little, as Retry-After asks
            }
        } catch (IOException e) {
            tally.add(route, 0, System.nanoTime() - start, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static HttpRequest.Builder post(String url, String json) {
        return HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    private static String sentence(Random random, int words) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < words; i++) {
            if (i > 0) s.append(' ');
            s.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return s.toString();
    }

    /** /health every 200 ms from a thread of its own, latencies kept. */
    static final class Health implements AutoCloseable {
        private final ConcurrentLinkedQueue<Long> micros = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Health(HttpClient http, String base) {
            HttpRequest request =
                    HttpRequest.newBuilder(URI.create(base + "/health"))
                            .timeout(Duration.ofSeconds(30))
                            .build();
            thread =
                    Thread.ofPlatform()
                            .daemon()
                            .start(() -> {
                                while (running.get()) {
                                    long start = System.nanoTime();
                                    try {
                                        http.send(request, HttpResponse.BodyHandlers.discarding());
                                        micros.add((System.nanoTime() - start) / 1000);
                                        Thread.sleep(200);
                                    } catch (IOException e) {
                                        micros.add(30_000_000L);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            });
        }

        long max() {
            return micros.stream().mapToLong(Long::longValue).max().orElse(0);
        }

        void print(String indent) {
            long[] l = micros.stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf(
                    Locale.ROOT,
                    "%s/health: %d polls, p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                    indent,
                    l.length,
                    pct(l, 0.5) / 1000.0,
                    pct(l, 0.99) / 1000.0,
                    l.length == 0 ? 0 : l[l.length - 1] / 1000.0);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    private static long pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    /** Article pages of 5 to 300 paragraphs at /page/{n}, and a page that takes 1 s at /slow. */
    private static HttpServer site() throws IOException {
        HttpServer site =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        // Platform threads: the site shares this JVM with hundreds of client threads in overload,
        // and on their carriers its pages would come late, taken for the server's slowness.
        site.setExecutor(Executors.newCachedThreadPool());
        site.createContext(
                "/page/",
                ex -> {
                    String path = ex.getRequestURI().getPath();
                    int n = Integer.parseInt(path.substring(path.lastIndexOf('/') + 1));
                    Random random = new Random(n);
                    StringBuilder html =
                            new StringBuilder("<html><head><title>Page ")
                                    .append(n)
                                    .append(
                                            "</title></head><body><nav><a href=\"/\">Home</a></nav>")
                                    .append("<article><h1>Page ")
                                    .append(n)
                                    .append("</h1>");
                    int paragraphs = 5 + random.nextInt(296);
                    for (int i = 0; i < paragraphs; i++) {
                        if (i % 10 == 9)
                            html.append("<h2>").append(sentence(random, 4)).append("</h2>");
                        html.append("<p>")
                                .append(sentence(random, 20 + random.nextInt(60)))
                                .append(".</p>");
                    }
                    html.append("</article><footer>Footer</footer></body></html>");
                    send(ex, html.toString());
                });
        site.createContext(
                "/slow",
                ex -> {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    send(
                            ex,
                            "<html><body><article><h1>Slow</h1><p>"
                                    + "A page that takes a second to come, so reads hold their"
                                    + " slots.</p></article></body></html>");
                });
        site.start();
        return site;
    }

    private static void send(com.sun.net.httpserver.HttpExchange ex, String html)
            throws IOException {
        byte[] body = html.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        try (ex;
                OutputStream out = ex.getResponseBody()) {
            ex.sendResponseHeaders(200, body.length);
            out.write(body);
        }
    }

    private static void awaitServing(HttpClient http, String base, Path log, Process server)
            throws Exception {
        long until = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < until && server.isAlive()) {
            if (Files.readString(log).contains("serving on")) {
                HttpResponse<String> r =
                        http.send(
                                HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                                HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the server did not start:\n" + Files.readString(log));
    }

    /** Resident set size of a process, from /proc. */
    private static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) << 10;
                }
            }
        } catch (IOException e) {
            // gone
        }
        return -1;
    }

    /** The server's heap in use after a full collection, through jcmd. */
    private static long heapAfterGc(Path jcmd, long pid) throws Exception {
        jcmd(jcmd, pid, "GC.run");
        String info = jcmd(jcmd, pid, "GC.heap_info");
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) << 10 : -1;
    }

    private static String jcmd(Path jcmd, long pid, String command) throws Exception {
        Process p =
                new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                        .redirectErrorStream(true)
                        .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    private static String loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return String.join(" ", Arrays.copyOf(f, 3));
        } catch (IOException e) {
            return "?";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
