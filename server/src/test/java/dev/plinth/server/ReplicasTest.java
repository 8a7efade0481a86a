package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real {@code plinth serve} processes on loopback sharing one real Redis, as replicas behind a
 * load balancer: a page read through one is a cache hit through the other, one rate limit holds
 * across both, and killing Redis under load loses no request.
 *
 * <p>Processes, not two servers in this JVM: each replica then has its own memory (its own local
 * buckets, its own Redis client), so what they share can only have gone through Redis. One pair
 * serves every test, since each JVM is dear on two cores ({@code plinth serve} also preloads the
 * embedding model); the tests keep apart by API key, the unit of the rate limit.
 */
@Timeout(300)
class ReplicasTest {

    @RegisterExtension static final RedisServer redis = new RedisServer();

    @TempDir static Path dir;

    /** Requests a minute per key, on both replicas together. */
    private static final int RATE = 12;

    private static final List<String> LOAD_KEYS =
            IntStream.range(0, 40).mapToObj(i -> "load" + i).toList();

    static TestSite site;
    static Replica a;
    static Replica b;
    static final HttpClient http =
            HttpClient.newBuilder()
                    .executor(Executors.newVirtualThreadPerTaskExecutor())
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        site.start();
        String keys = String.join(",", LOAD_KEYS) + ",hit,limited";
        a = new Replica("a", keys);
        b = new Replica("b", keys);
        a.awaitServing();
        b.awaitServing();
    }

    @AfterAll
    static void stop() {
        for (Replica r : new Replica[] {a, b}) {
            if (r != null) {
                r.close();
            }
        }
        site.close();
    }

    /** One {@code plinth serve} child process and its log. */
    static final class Replica implements AutoCloseable {
        final String name;
        final Process process;
        final Path log;
        String base;

        Replica(String name, String keys) throws IOException {
            this.name = name;
            this.log = dir.resolve(name + ".log");
            String java = ProcessHandle.current().info().command().orElse("java");
            process =
                    new ProcessBuilder(
                                    java,
                                    "--enable-native-access=ALL-UNNAMED",
                                    "-Xmx512m",
                                    "-cp",
                                    System.getProperty("java.class.path"),
                                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                    Main.class.getName(),
                                    "serve",
                                    "--port",
                                    "0",
                                    "--allow-private-network",
                                    "--api-keys",
                                    keys,
                                    "--rate-limit",
                                    Integer.toString(RATE),
                                    "--cache",
                                    redis.url(),
                                    "--cache-timeout-ms",
                                    "100")
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
        }

        void awaitServing() throws Exception {
            Pattern serving = Pattern.compile("serving on (http://\\S+)");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < until && process.isAlive()) {
                Matcher m = serving.matcher(log());
                if (m.find()) {
                    base = m.group(1);
                    return;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("replica " + name + " did not start:\n" + log());
        }

        String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "";
            }
        }

        HttpResponse<String> get(String path, String key, String... headers)
                throws IOException, InterruptedException {
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(URI.create(base + path))
                            .header("Authorization", "Bearer " + key)
                            .timeout(Duration.ofSeconds(30));
            if (headers.length > 0) {
                request.headers(headers);
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }

        /** A read of {@code page} on the test site. */
        HttpResponse<String> read(String page, String key, String... headers)
                throws IOException, InterruptedException {
            return get("/" + site.url(page), key, headers);
        }

        /** The value of a Prometheus sample, e.g. {@code plinth_redis_connected}. */
        double metric(String sample) throws IOException, InterruptedException {
            String text = get("/metrics", "hit").body();
            Matcher m =
                    Pattern.compile("(?m)^" + Pattern.quote(sample) + "(?:\\{[^}]*\\})? (\\S+)$")
                            .matcher(text);
            if (!m.find()) {
                throw new AssertionError(sample + " is not in /metrics of " + name);
            }
            return Double.parseDouble(m.group(1));
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String cache(HttpResponse<String> r) {
        return r.headers().firstValue("X-Cache").orElse("(none)");
    }

    @Test
    void aPageReadThroughOneReplicaIsACacheHitThroughTheOther() throws Exception {
        String page = "/counted?id=" + UUID.randomUUID();
        HttpResponse<String> first = a.read(page, "hit");
        assertEquals(200, first.statusCode(), first.body());
        assertEquals("MISS", cache(first));
        // The automatic engine may load a page this small twice (directly, then rendered).
        int loadsByA = site.hits(page);
        HttpResponse<String> second = b.read(page, "hit");
        assertEquals(200, second.statusCode(), second.body());
        assertEquals("HIT", cache(second), b.log());
        assertEquals(loadsByA, site.hits(page), "B did not fetch the page");
        assertEquals(first.body(), second.body());
    }

    @Test
    void theRateLimitIsSharedByTheReplicas() throws Exception {
        // Each replica alone would grant RATE; together they must grant RATE, plus what
        // refilled meanwhile (one token every 60/RATE s).
        int ok = 0;
        Map<String, Integer> refused = new ConcurrentHashMap<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < 2 * RATE; i++) {
            Replica via = i % 2 == 0 ? a : b;
            HttpResponse<String> r = via.read("/article", "limited");
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertEquals(429, r.statusCode(), r.body());
                assertTrue(r.headers().firstValue("Retry-After").isPresent());
                refused.merge(via.name, 1, Integer::sum);
            }
        }
        double took = (System.nanoTime() - t0) / 1e9;
        assertTrue(
                ok >= RATE && ok <= RATE + 1 + took * RATE / 60,
                ok + " of " + 2 * RATE + " granted in " + took + " s");
        assertTrue(
                refused.getOrDefault("a", 0) > 0 && refused.getOrDefault("b", 0) > 0,
                "both replicas refused: " + refused);
    }

    @Test
    void killingRedisUnderLoadLosesNoRequestAndTheCacheResumes() throws Exception {
        List<String> pages = IntStream.range(0, 15).mapToObj(i -> "/counted?id=load-" + i).toList();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger done = new AtomicInteger();
        AtomicInteger sent = new AtomicInteger();
        // Phase of each answer: sent after Redis died and answered before it was restarted.
        AtomicBoolean down = new AtomicBoolean();
        List<String> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
        List<String> outageCaches = java.util.Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 6; c++) {
                clients.submit(() -> {
                    while (running.get()) {
                        int n = sent.getAndIncrement();
                        Replica via = n % 2 == 0 ? a : b;
                        String key = LOAD_KEYS.get(n % LOAD_KEYS.size());
                        boolean sentDuringOutage = down.get();
                        try {
                            // Direct loads: the load is on the replicas and Redis, not Chromium.
                            HttpResponse<String> r =
                                    via.read(
                                            pages.get(n % pages.size()), key, "X-Engine", "direct");
                            outcomes.add(
                                    r.statusCode() == 200
                                            ? "200"
                                            : r.statusCode() + " " + r.body());
                            if (sentDuringOutage && down.get()) {
                                outageCaches.add(cache(r));
                            }
                        } catch (Exception e) {
                            outcomes.add("failed: " + e);
                        }
                        done.incrementAndGet();
                    }
                    return null;
                });
            }
            awaitDone(done, 45);
            redis.kill();
            down.set(true);
            awaitDone(done, done.get() + 60);
            down.set(false);
            redis.start();
            awaitDone(done, done.get() + 45);
            running.set(false);
        }
        int requests = outcomes.size();
        // Each key sends at most a handful here, far below its limit on either replica.
        assertTrue(requests <= LOAD_KEYS.size() * RATE / 2, requests + " requests");
        Map<String, Long> kinds =
                outcomes.stream().collect(Collectors.groupingBy(o -> o, Collectors.counting()));
        assertEquals(Map.of("200", (long) requests), kinds, "every request answered 200");
        assertTrue(outageCaches.size() >= 30, outageCaches.size() + " answers during the outage");
        assertTrue(
                outageCaches.stream().allMatch("MISS"::equals),
                "answers while Redis was dead are uncached: " + outageCaches);
        assertTrue(a.metric("plinth_cache_store_errors_total") > 0);
        assertTrue(b.metric("plinth_cache_store_errors_total") > 0);

        // Redis is back, empty: a page read through A is soon a hit through B again.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String resumed = null;
        for (int i = 0; resumed == null && System.nanoTime() < until; i++) {
            String page = "/counted?id=" + UUID.randomUUID();
            String key = LOAD_KEYS.get(i % LOAD_KEYS.size());
            assertEquals(200, a.read(page, key, "X-Engine", "direct").statusCode());
            if ("HIT".equals(cache(b.read(page, key, "X-Engine", "direct")))) {
                resumed = page;
            } else {
                Thread.sleep(200);
            }
        }
        assertTrue(resumed != null, "the shared cache works again after Redis restarts");
        assertEquals(1.0, a.metric("plinth_redis_connected"));
        assertEquals(1.0, b.metric("plinth_redis_connected"));
    }

    private static void awaitDone(AtomicInteger done, int target) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (done.get() < target) {
            if (System.nanoTime() > until) {
                throw new AssertionError("only " + done.get() + " of " + target + " answered");
            }
            Thread.sleep(10);
        }
    }
}
