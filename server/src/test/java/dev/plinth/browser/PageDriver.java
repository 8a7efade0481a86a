package dev.plinth.browser;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * A page in real headless Chromium driven through plinth's own DevTools client, for tests of pages
 * plinth serves (the playground). Chromium is started as the browser engine starts it, its traffic
 * through the guard proxy, which here admits loopback ports the test names and nothing else.
 */
public final class PageDriver implements AutoCloseable {

    private static final Duration STEP = Duration.ofSeconds(30);

    private final GuardProxy proxy;
    private final Chromium chromium;
    private final String session;

    private PageDriver(GuardProxy proxy, Chromium chromium, String session) {
        this.proxy = proxy;
        this.chromium = chromium;
        this.session = session;
    }

    /** A blank page in a fresh Chromium that may reach 127.0.0.1 on {@code ports}. */
    public static PageDriver open(int... ports) throws IOException {
        GuardProxy proxy = new GuardProxy(new RequestGuard(true, Set.of()));
        for (int port : ports) {
            proxy.expect("127.0.0.1", port);
        }
        String configured = System.getenv("PLINTH_CHROMIUM");
        Path executable =
                Path.of(
                        configured == null || configured.isBlank()
                                ? "/usr/bin/chromium"
                                : configured);
        Chromium chromium;
        try {
            chromium = Chromium.start(executable, proxy.port());
        } catch (IOException | RuntimeException e) {
            proxy.close();
            throw e;
        }
        try {
            Cdp cdp = chromium.cdp();
            String target =
                    cdp.call(null, "Target.createTarget", Map.of("url", "about:blank"), deadline())
                            .path("targetId")
                            .asText();
            String session =
                    cdp.call(
                                    null,
                                    "Target.attachToTarget",
                                    Map.of("targetId", target, "flatten", true),
                                    deadline())
                            .path("sessionId")
                            .asText();
            cdp.call(session, "Page.enable", Map.of(), deadline());
            cdp.call(session, "Runtime.enable", Map.of(), deadline());
            cdp.call(
                    session,
                    "Emulation.setDeviceMetricsOverride",
                    Map.of("width", 1280, "height", 900, "deviceScaleFactor", 1, "mobile", false),
                    deadline());
            return new PageDriver(proxy, chromium, session);
        } catch (Cdp.CdpException | RuntimeException e) {
            chromium.close();
            proxy.close();
            throw new IOException("cannot open a page: " + e.getMessage(), e);
        }
    }

    /** Loads {@code url} and waits until its document and scripts have run. */
    public void navigate(String url) throws IOException {
        call("Page.navigate", Map.of("url", url));
        await("document.readyState === 'complete'", STEP);
    }

    /** The value of a JavaScript expression (a promise is awaited). */
    public JsonNode eval(String expression) throws IOException {
        JsonNode reply =
                call(
                        "Runtime.evaluate",
                        Map.of(
                                "expression",
                                expression,
                                "returnByValue",
                                true,
                                "awaitPromise",
                                true));
        if (reply.has("exceptionDetails")) {
            throw new IOException("script failed: " + reply.path("exceptionDetails"));
        }
        return reply.path("result").path("value");
    }

    /** Waits until {@code condition} is truthy, or fails after {@code within}. */
    public void await(String condition, Duration within) throws IOException {
        Instant until = Instant.now().plus(within);
        while (true) {
            if (eval("!!(" + condition + ")").asBoolean()) {
                return;
            }
            if (Instant.now().isAfter(until)) {
                throw new IOException("not true within " + within + ": " + condition);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    /**
     * Presses {@code key} (a DOM key name such as "ArrowRight" or "Tab") in the focused element.
     */
    public void press(String key, String code, int keyCode) throws IOException {
        for (String type : new String[] {"rawKeyDown", "keyUp"}) {
            call(
                    "Input.dispatchKeyEvent",
                    Map.of(
                            "type",
                            type,
                            "key",
                            key,
                            "code",
                            code,
                            "windowsVirtualKeyCode",
                            keyCode));
        }
    }

    /** The visible page as PNG. */
    public byte[] screenshot() throws IOException {
        return Base64.getDecoder()
                .decode(
                        call(
                                        "Page.captureScreenshot",
                                        Map.of("format", "png", "captureBeyondViewport", true))
                                .path("data")
                                .asText());
    }

    private JsonNode call(String method, Map<String, ?> params) throws IOException {
        try {
            return chromium.cdp().call(session, method, params, deadline());
        } catch (Cdp.CdpException e) {
            throw new IOException(method + ": " + e.getMessage(), e);
        }
    }

    private static Instant deadline() {
        return Instant.now().plus(STEP);
    }

    @Override
    public void close() {
        try {
            chromium.close();
        } finally {
            proxy.close();
        }
    }
}
