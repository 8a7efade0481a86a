package dev.plinth.browser;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One Chromium process: started headless on a fresh profile folder, connected over CDP, stopped and
 * its profile deleted on {@link #close()}.
 *
 * <p>Chromium picks its own debugging port ({@code --remote-debugging-port=0}) and writes it, with
 * the browser endpoint's path, to {@code DevToolsActivePort} in the profile: reading that file is
 * race-free, unlike parsing stderr or guessing a free port. Every network connection goes through
 * the {@link GuardProxy}; the flags also close the side doors a proxy does not cover (QUIC,
 * WebRTC's UDP, Chromium's own background traffic) and make Chromium resolve no host names itself.
 */
final class Chromium implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Process process;
    private final Path profile;
    private final URI endpoint;
    private final Cdp cdp;
    private final Thread shutdownHook;

    private Chromium(Process process, Path profile, URI endpoint, Cdp cdp, Thread shutdownHook) {
        this.process = process;
        this.profile = profile;
        this.endpoint = endpoint;
        this.cdp = cdp;
        this.shutdownHook = shutdownHook;
    }

    /** Starts {@code executable}, routing all traffic through the proxy on {@code proxyPort}. */
    static Chromium start(Path executable, int proxyPort) throws IOException {
        Path profile = Files.createTempDirectory("plinth-chromium-");
        List<String> command =
                new ArrayList<>(
                        List.of(
                                executable.toString(),
                                "--headless",
                                "--disable-gpu",
                                "--disable-quic",
                                "--no-first-run",
                                "--no-default-browser-check",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--disable-extensions",
                                "--disable-default-apps",
                                "--disable-breakpad",
                                "--disable-client-side-phishing-detection",
                                "--disable-domain-reliability",
                                "--disable-component-extensions-with-background-pages",
                                "--no-pings",
                                "--no-service-autorun",
                                "--metrics-recording-only",
                                "--disable-dev-shm-usage",
                                "--mute-audio",
                                "--hide-scrollbars",
                                "--password-store=basic",
                                "--use-mock-keychain",
                                // Pages of every request render in their own tab; keep them running
                                // at full speed.
                                "--disable-background-timer-throttling",
                                "--disable-renderer-backgrounding",
                                "--disable-backgrounding-occluded-windows",
                                // Iframes in the page's own process, so the page's request
                                // interception sees them.
                                "--disable-site-isolation-trials",
                                "--disable-features=site-per-process,IsolateOrigins,Translate,MediaRouter,OptimizationHints,"
                                        + "OptimizationGuideModelDownloading,InterestFeedContentSuggestions,AutofillServerCommunication,"
                                        + "DialMediaRouteProvider,CertificateTransparencyComponentUpdater",
                                // All traffic through the guard; none of it resolved or sent around
                                // it.
                                "--proxy-server=socks5://127.0.0.1:" + proxyPort,
                                "--proxy-bypass-list=<-loopback>",
                                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                                "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
                                "--webrtc-ip-handling-policy=disable_non_proxied_udp",
                                "--log-level=3",
                                "--remote-debugging-port=0",
                                "--user-data-dir=" + profile));
        if (runningAsRoot()) {
            command.add("--no-sandbox"); // Chromium's sandbox refuses to start as root
        }
        command.add("about:blank");

        Process process;
        try {
            process =
                    new ProcessBuilder(command)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .redirectError(profile.resolve("chromium.log").toFile())
                            .start();
        } catch (IOException e) {
            deleteQuietly(profile);
            throw new IOException("cannot start " + executable + ": " + e.getMessage(), e);
        }
        Thread hook =
                new Thread(() -> {
                    kill(process);
                    deleteQuietly(profile);
                });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            URI endpoint = awaitEndpoint(process, profile);
            Cdp cdp = Cdp.connect(endpoint, Duration.ofSeconds(5));
            return new Chromium(process, profile, endpoint, cdp, hook);
        } catch (IOException | Cdp.CdpException | RuntimeException e) {
            String log = tail(profile.resolve("chromium.log"));
            kill(process);
            deleteQuietly(profile);
            removeHook(hook);
            throw new IOException(
                    "cannot start "
                            + executable
                            + ": "
                            + e.getMessage()
                            + (log.isBlank() ? "" : "; its log ends with: " + log),
                    e);
        }
    }

    /** The protocol connection to the browser. */
    Cdp cdp() {
        return cdp;
    }

    /** The browser's process id. */
    long pid() {
        return process.pid();
    }

    /** The DevTools port, which pages must never reach. */
    int devToolsPort() {
        return endpoint.getPort();
    }

    /** Whether the browser process is running and its connection is open. */
    boolean isAlive() {
        return process.isAlive() && cdp.isOpen();
    }

    /** Memory of the browser and all its child processes. */
    Memory memory() {
        return Memory.ofTree(process.toHandle());
    }

    @Override
    public void close() {
        if (process.isAlive() && cdp.isOpen()) {
            // Browser.close lets Chromium exit cleanly (it then deletes its own temporary files).
            cdp.send(null, "Browser.close", null);
            try {
                process.waitFor(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        cdp.close();
        kill(process);
        deleteQuietly(profile);
        removeHook(shutdownHook);
    }

    private static URI awaitEndpoint(Process process, Path profile) throws IOException {
        Path portFile = profile.resolve("DevToolsActivePort");
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("it exited with status " + process.exitValue());
            }
            if (Files.exists(portFile)) {
                List<String> lines = Files.readAllLines(portFile, StandardCharsets.UTF_8);
                if (lines.size() >= 2 && !lines.get(1).isBlank()) {
                    return URI.create(
                            "ws://127.0.0.1:" + lines.get(0).strip() + lines.get(1).strip());
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for it to start");
            }
        }
        throw new IOException(
                "it wrote no DevToolsActivePort within " + START_TIMEOUT.toSeconds() + " s");
    }

    /** Kills the browser and every process it started (renderers, zygotes, utilities). */
    private static void kill(Process process) {
        List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
        process.destroyForcibly();
        family.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // the JVM is already shutting down and runs the hook itself
        }
    }

    private static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static String tail(Path log) {
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8).strip();
            return text.substring(Math.max(0, text.length() - 500));
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteQuietly(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(p -> {
                        try {
                            Files.deleteIfExists(p);
                        } catch (IOException ignored) {
                            // a file Chromium still holds open; the folder goes with the next
                            // attempt or reboot
                        }
                    });
        } catch (IOException ignored) {
            // nothing left to delete
        }
    }
}
