package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
        Server.Config c = new Server.Config();
        cmd.config().accept(c);
        assertEquals("127.0.0.2", c.host);
        assertEquals(9999, c.port);
        assertEquals(List.of("a", "b"), c.apiKeys);
        assertTrue(c.allowPrivateNetwork);
        assertEquals(dir, c.cacheDir);
        assertEquals(5, c.rateLimitPerMinute);
        assertEquals(3, c.maxReads);
        assertEquals(7, c.maxQueue);
        assertEquals(2 << 20, c.maxBodyBytes);
        ServeCommand noCache = new ServeCommand();
        new CommandLine(noCache).parseArgs("--no-cache");
        Server.Config d = new Server.Config();
        noCache.config().accept(d);
        assertEquals(null, d.cacheDir);
        assertFalse(d.noAuth);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    @Timeout(90)
    void sigtermLetsInFlightRequestsFinish() throws Exception {
        try (TestSite site = new TestSite()) {
            site.start();
            String java = ProcessHandle.current().info().command().orElse("java");
            Path output = dir.resolve("server.log");
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
                                    dir.resolve("cache").toString())
                            .directory(dir.toFile())
                            .redirectErrorStream(true)
                            .redirectOutput(output.toFile())
                            .start();
            Supplier<String> log = () -> read(output);
            try {
                Pattern serving = Pattern.compile("serving on (http://\\S+)");
                String base = null;
                for (long until = System.nanoTime() + 60_000_000_000L;
                        base == null && System.nanoTime() < until && child.isAlive(); ) {
                    Matcher m = serving.matcher(log.get());
                    if (m.find()) {
                        base = m.group(1);
                    } else {
                        Thread.sleep(50);
                    }
                }
                assertTrue(base != null, () -> "the server said where it serves:\n" + log.get());
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
                            "the in-flight request failed; the server's log:\n" + log.get(), e);
                }
                if (r.statusCode() != 200) {
                    child.waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError(
                            "the in-flight request got "
                                    + r.statusCode()
                                    + ": "
                                    + r.body()
                                    + "\nthe server's log:\n"
                                    + log.get());
                }
                assertTrue(r.body().contains("took 1000 milliseconds"), r.body());
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the server exited after SIGTERM");
                assertEquals(0, child.exitValue(), log.get());
                try (var files = Files.list(dir)) {
                    assertEquals(
                            List.of(),
                            files.map(f -> f.getFileName().toString())
                                    .filter(f -> f.startsWith("hs_err"))
                                    .toList(),
                            "no JVM crash report");
                }
            } finally {
                child.destroyForcibly();
            }
        }
    }

    @Test
    void aBusyPortIsAPlainMessageAndExitStatus2() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream saved = System.err;
            int status;
            try {
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                status =
                        Main.run(
                                "serve",
                                "--port",
                                Integer.toString(taken.getLocalPort()),
                                "--no-cache");
            } finally {
                System.setErr(saved);
            }
            String said = err.toString(StandardCharsets.UTF_8);
            assertEquals(2, status, said);
            assertTrue(
                    said.contains(
                            "port " + taken.getLocalPort() + " is already in use (try --port)"),
                    said);
            assertFalse(said.contains("Exception"), said);
        }
    }
}
