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
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGTERM at random moments from start-up on, against the built server ({@code plinth serve} from
 * the fat jar, in a process of its own): each trial starts a server with the default models
 * preloading, keeps clients reading a slow loopback page through it, and sends SIGTERM at a moment
 * drawn uniformly from the first {@code WINDOW} seconds after the process starts — while the JVM
 * boots, while the port is bound but models load, or while it serves.
 *
 * <p>A trial passes when the JVM exits by itself (0 when the server drained, 143 when the signal
 * came before it could take it over), leaves no {@code hs_err_pid*.log}, and every request the
 * server had begun — those that reached the slow page — got its full 200 answer. Requests the
 * server had not begun may be refused; they are counted apart.
 *
 * <p>Run from the project root after {@code mvn -B -ntp -o -q -DskipTests package -pl server -am}
 * (args: {@code [TRIALS] [WINDOW_SECONDS] [JAR]}):
 *
 * <pre>{@code
 * mvn -q -B -o -pl bench -am test-compile exec:java -Dexec.mainClass=dev.plinth.bench.SigtermTrials \
 *   -Dexec.args="50 8 server/target/plinth.jar"
 * }</pre>
 */
public final class SigtermTrials {

    /** How long the slow page takes: long enough that a stop often finds requests in flight. */
    private static final int SLOW_MILLIS = 400;

    private static final int CLIENTS = 4;

    record Trial(
            int n,
            long signalMillis,
            boolean serving,
            int exit,
            boolean exited,
            List<String> crashReports,
            int inFlight,
            int inFlightCompleted,
            int answeredOther,
            int notStarted,
            String failure) {

        boolean passed() {
            return exited
                    && (exit == 0 || exit == 143)
                    && crashReports.isEmpty()
                    && inFlight == inFlightCompleted;
        }
    }

    public static void main(String[] args) throws Exception {
        int trials = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        double window = args.length > 1 ? Double.parseDouble(args[1]) : 8;
        Path jar = Path.of(args.length > 2 ? args[2] : "server/target/plinth.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            System.err.println(
                    "no server jar at "
                            + jar
                            + ": mvn -B -ntp -o -q -DskipTests package -pl server -am");
            System.exit(2);
        }
        Set<String> reached = ConcurrentHashMap.newKeySet();
        HttpServer site = slowSite(reached);
        Random random = new Random(Long.getLong("seed", System.nanoTime()));
        int passed = 0;
        long started = System.nanoTime();
        System.out.printf(
                Locale.ROOT,
                "%d trials, SIGTERM uniform in [0, %.1f] s after the process starts, %d clients, jar"
                        + " %s%n",
                trials,
                window,
                CLIENTS,
                jar);
        int inFlight = 0, completed = 0, other = 0, notStarted = 0, servingAtSignal = 0;
        try {
            for (int n = 1; n <= trials; n++) {
                long signalAt = (long) (random.nextDouble() * window * 1000);
                Trial t = trial(n, jar, site.getAddress().getPort(), signalAt, reached);
                if (t.passed()) passed++;
                inFlight += t.inFlight();
                completed += t.inFlightCompleted();
                other += t.answeredOther();
                notStarted += t.notStarted();
                if (t.serving()) servingAtSignal++;
                System.out.printf(
                        Locale.ROOT,
                        "trial %2d: SIGTERM at %5d ms (%s), exit %s, in flight %d/%d completed,"
                                + " %d other answers, %d not begun%s%s%n",
                        n,
                        t.signalMillis(),
                        t.serving() ? "serving" : "starting",
                        t.exited() ? Integer.toString(t.exit()) : "HUNG",
                        t.inFlightCompleted(),
                        t.inFlight(),
                        t.answeredOther(),
                        t.notStarted(),
                        t.crashReports().isEmpty() ? "" : ", CRASH " + t.crashReports(),
                        t.failure() == null ? "" : ", " + t.failure());
            }
        } finally {
            site.stop(0);
        }
        System.out.printf(
                Locale.ROOT,
                "%n%d/%d trials passed (%d signalled while serving); in-flight requests completed"
                        + " %d/%d; other answers %d; requests not begun %d; %.0f s%n",
                passed,
                trials,
                servingAtSignal,
                completed,
                inFlight,
                other,
                notStarted,
                (System.nanoTime() - started) / 1e9);
        System.exit(passed == trials ? 0 : 1);
    }

    private static Trial trial(int n, Path jar, int sitePort, long signalAt, Set<String> reached)
            throws Exception {
        Path dir = Files.createTempDirectory("plinth-sigterm-");
        int port = freePort();
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        Path log = dir.resolve("server.log");
        long start = System.nanoTime();
        Process server =
                new ProcessBuilder(
                                javaBin,
                                "-Dai.djl.offline=true",
                                "-jar",
                                jar.toString(),
                                "serve",
                                "--port",
                                Integer.toString(port),
                                "--allow-private-network",
                                "--rate-limit",
                                "0",
                                "--cache-dir",
                                dir.resolve("cache").toString())
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
        AtomicBoolean stop = new AtomicBoolean();
        HttpClient http =
                HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(2))
                        .executor(Executors.newVirtualThreadPerTaskExecutor())
                        .build();
        record Outcome(String id, int status, String body, String error) {}
        List<Outcome> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            clients.add(
                    Thread.ofVirtual()
                            .start(() -> {
                                while (!stop.get()) {
                                    String id = UUID.randomUUID().toString();
                                    URI uri =
                                            URI.create(
                                                    "http://127.0.0.1:"
                                                            + port
                                                            + "/http://127.0.0.1:"
                                                            + sitePort
                                                            + "/slow?id="
                                                            + id);
                                    try {
                                        HttpResponse<String> r =
                                                http.send(
                                                        HttpRequest.newBuilder(uri)
                                                                .timeout(Duration.ofSeconds(60))
                                                                .build(),
                                                        HttpResponse.BodyHandlers.ofString());
                                        outcomes.add(
                                                new Outcome(id, r.statusCode(), r.body(), null));
                                    } catch (IOException e) {
                                        outcomes.add(
                                                new Outcome(
                                                        id, 0, null, e.getClass().getSimpleName()));
                                        sleep(50); // not up yet, or gone: try again shortly
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            }));
        }
        long wait = signalAt - (System.nanoTime() - start) / 1_000_000;
        if (wait > 0) Thread.sleep(wait);
        boolean serving = Files.readString(log).contains("serving on");
        server.destroy(); // SIGTERM
        boolean exited = server.waitFor(90, TimeUnit.SECONDS);
        stop.set(true);
        for (Thread t : clients) t.join(70_000);
        if (!exited) server.destroyForcibly().waitFor();
        http.close();
        List<String> crashes;
        try (var files = Files.list(dir)) {
            crashes =
                    files.map(f -> f.getFileName().toString())
                            .filter(f -> f.startsWith("hs_err"))
                            .toList();
        }
        int inFlight = 0, completed = 0, other = 0, notStarted = 0;
        String failure = null;
        for (Outcome o : outcomes) {
            if (reached.remove(o.id())) {
                inFlight++;
                if (o.status() == 200 && o.body().contains("took " + SLOW_MILLIS)) {
                    completed++;
                } else if (failure == null) {
                    failure =
                            "in-flight request got "
                                    + (o.error() != null ? o.error() : o.status() + " " + o.body());
                }
            } else if (o.status() != 0) {
                other++;
            } else {
                notStarted++;
            }
        }
        if (!crashes.isEmpty()
                || !exited
                || (server.exitValue() != 0 && server.exitValue() != 143)) {
            Path keep = Path.of("target", "sigterm-trial-" + n + ".log");
            Files.createDirectories(keep.getParent());
            Files.copy(log, keep, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            failure = (failure == null ? "" : failure + "; ") + "log kept in " + keep;
        } else {
            deleteTree(dir);
        }
        return new Trial(
                n,
                signalAt,
                serving,
                exited ? server.exitValue() : -1,
                exited,
                crashes,
                inFlight,
                completed,
                other,
                notStarted,
                failure);
    }

    /** A loopback site whose {@code /slow} page records the request's id, then waits to answer. */
    private static HttpServer slowSite(Set<String> reached) throws IOException {
        HttpServer site =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        site.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        site.createContext(
                "/slow",
                ex -> {
                    String query = ex.getRequestURI().getQuery();
                    reached.add(query == null ? "" : query.substring(query.indexOf('=') + 1));
                    sleep(SLOW_MILLIS);
                    byte[] body =
                            ("<html><head><title>Slow</title></head><body><article><h1>Slow"
                                            + " page</h1><p>This page took "
                                            + SLOW_MILLIS
                                            + " milliseconds to answer, on purpose, so that a"
                                            + " stopping server finds it in flight.</p></article>"
                                            + "</body></html>")
                                    .getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                    try (ex;
                            OutputStream out = ex.getResponseBody()) {
                        ex.sendResponseHeaders(200, body.length);
                        out.write(body);
                    }
                });
        site.start();
        return site;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
