package dev.plinth.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Redis (Debian's {@code redis-server}) for tests: its own process on a free loopback port,
 * its files in a temporary folder, nothing persisted. Register it with {@code @RegisterExtension
 * static final RedisServer redis = new RedisServer();}: it starts before the class's tests and is
 * killed after them. Tests may kill it, pause it (SIGSTOP, a hung server) and start it again on the
 * same port, as an operator's restart would.
 *
 * <p>A machine without {@code redis-server} fails the tests with a message saying what to install
 * ({@code ./run-tests} installs it): the shared store is never tested against a stand-in.
 */
final class RedisServer implements BeforeAllCallback, AfterAllCallback {

    private Path dir;
    private int port;
    private Process process;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("plinth-redis");
        port = freePort();
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** {@code redis://127.0.0.1:PORT}. */
    String url() {
        return "redis://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** Starts Redis on its port, empty, and waits until it answers {@code PING}. */
    synchronized void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        Path log = dir.resolve("redis.log");
        process =
                new ProcessBuilder(
                                binary(),
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
                                "256mb",
                                "--maxmemory-policy",
                                "allkeys-lru",
                                "--daemonize",
                                "no")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .start();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!answersPing()) {
            if (!process.isAlive() || System.nanoTime() > until) {
                process.destroyForcibly();
                throw new IllegalStateException(
                        "redis-server did not start on port "
                                + port
                                + ":\n"
                                + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    /** SIGKILL: Redis vanishes mid-request, as in a crash; its data is gone. */
    synchronized void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGSTOP: connections stay open and nothing answers, as a hung server does. */
    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    /** Runs a command with redis-cli semantics over the wire; its raw reply. */
    String command(String... words) throws IOException {
        StringBuilder request = new StringBuilder("*").append(words.length).append("\r\n");
        for (String w : words) {
            request.append('$')
                    .append(w.getBytes(StandardCharsets.UTF_8).length)
                    .append("\r\n")
                    .append(w)
                    .append("\r\n");
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buffer = new byte[1 << 16];
            int n = in.read(buffer);
            return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8);
        }
    }

    private boolean answersPing() {
        try {
            return command("PING").startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill =
                new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                        .inheritIO()
                        .start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    private static String binary() {
        for (String candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String d : path.split(":")) {
            Path p = Path.of(d, "redis-server");
            if (!d.isEmpty() && Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IllegalStateException(
                "redis-server is not installed: the shared-store tests run a real Redis"
                        + " (apt-get install redis-server; ./run-tests installs it)");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
