package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code plinth serve}: its flags, and a real process that finishes in-flight requests on SIGTERM.
 */
class ServeCommandTest {

    @TempDir Path dir;

    @Test
    void flagsBecomeTheServerConfig() {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd)
                .parseArgs(
                        "--host",
                        "127.0.0.2",
                        "--port",
                        "9999",
                        "--api-keys",
                        "a, b",
                        "--allow-private-network",
                        "--cache-dir",
                        dir.toString(),
                        "--rate-limit",
                        "5",
                        "--max-reads",
                        "3",
                        "--max-queue",
                        "7",
                        "--max-body-mb",
                        "2");
        Server.Config c = cmd.config();
        assertEquals("127.0.0.2", c.host());
        assertEquals(9999, c.port());
        assertEquals(List.of("a", "b"), c.apiKeys());
        assertTrue(c.allowPrivateNetwork());
        assertEquals(dir, c.cacheDir());
        assertEquals(5, c.rateLimitPerMinute());
        assertEquals(3, c.maxReads());
        assertEquals(7, c.maxQueue());
        assertEquals(2 << 20, c.maxBodyBytes());
        ServeCommand noCache = new ServeCommand();
        new CommandLine(noCache).parseArgs("--no-cache");
        assertEquals(null, noCache.config().cacheDir());
        assertFalse(noCache.config().noAuth());
    }

    @Test
    @Timeout(90)
    void sigtermLetsInFlightRequestsFinish() throws Exception {
        try (TestSite site = new TestSite()) {
            site.start();
            String java = ProcessHandle.current().info().command().orElse("java");
            Process child =
                    new ProcessBuilder(
                                    java,
                                    "--enable-native-access=ALL-UNNAMED",
                                    "-cp",
                                    System.getProperty("java.class.path"),
                                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                                    Main.class.getName(),
                                    "serve",
                                    "--port",
                                    "0",
                                    "--allow-private-network",
                                    "--cache-dir",
                                    dir.toString())
                            .start();
            try {
                BufferedReader err =
                        new BufferedReader(new InputStreamReader(child.getErrorStream()));
                Pattern serving = Pattern.compile("serving on (http://\\S+)");
                String base = null;
                for (String line; base == null && (line = err.readLine()) != null; ) {
                    Matcher m = serving.matcher(line);
                    if (m.find()) {
                        base = m.group(1);
                    }
                }
                assertTrue(base != null, "the server said where it serves");
                // Keep draining the child's log, so it can never block on a full pipe and a failure
                // can show it.
                StringBuffer log = new StringBuffer();
                Thread.ofVirtual()
                        .start(() -> err.lines().forEach(line -> log.append(line).append('\n')));
                HttpClient http = HttpClient.newHttpClient();
                String slow = "/slow?ms=1000&id=" + UUID.randomUUID();
                CompletableFuture<HttpResponse<String>> inFlight =
                        http.sendAsync(
                                HttpRequest.newBuilder(URI.create(base + "/" + site.url(slow)))
                                        .timeout(Duration.ofSeconds(30))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (site.hits(slow) == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(1, site.hits(slow));
                child.destroy(); // SIGTERM
                HttpResponse<String> r;
                try {
                    r = inFlight.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    child.waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError(
                            "the in-flight request failed; the server's log:\n" + log, e);
                }
                assertEquals(200, r.statusCode());
                assertTrue(r.body().contains("took 1000 milliseconds"), r.body());
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the server exited after SIGTERM");
            } finally {
                child.destroyForcibly();
            }
        }
    }
}
