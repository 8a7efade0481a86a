package dev.plinth.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.ReaderException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One page rendered in one tab: open, guard, navigate, wait until the page is done, read the DOM,
 * take a screenshot if asked, clean up. Read top to bottom, {@link #render} is the whole flow.
 *
 * <p><b>Guard.</b> {@code Fetch.enable} pauses every request the page makes — the navigation, each
 * redirect hop, subresources, XHR/fetch, iframes — before it is sent; each is vetted by the {@link
 * RequestGuard} off the socket thread (one verdict per origin), then either failed with {@code
 * BlockedByClient} or registered with the {@link GuardProxy}, which lets out only what a page asked
 * for, and continued. Refusals become warnings (the page is still read), or the error of the whole
 * read when it is the page itself that was refused. WebSockets are not interceptable: they are
 * judged from {@code Network.webSocketCreated} (warning or registration) and the proxy does the
 * rest.
 *
 * <p><b>When is a page done?</b> By default like Puppeteer's {@code networkidle0}: the document has
 * been parsed, no request has been in flight for {@value #NETWORK_QUIET_MS} ms, and the DOM's
 * content (nodes and text, not attributes) has not changed for {@value #DOM_QUIET_MS} ms. A respond
 * timing (Jina's {@code X-Respond-Timing}, after its {@code isSnapshotAcceptableForEarlyResponse})
 * reads earlier, each later one a stricter condition than the one before: {@code html} once the
 * document is parsed (DOMContentLoaded); {@code visible-content} once the body shows {@value
 * #VISIBLE_TEXT_CHARS} characters of text, or the DOM is quiet; {@code mutation-idle} once the DOM
 * is quiet; {@code resource-idle} once, besides, no request for a document, script, stylesheet,
 * XHR, fetch or event stream has been in flight for {@value #NETWORK_QUIET_MS} ms; {@code
 * media-idle} the same with images, media and fonts counted too; {@code network-idle} every request
 * (beacons and the rest) counted, which is the default. With wait-for-selector, it is done when
 * every selector matches and the DOM is quiet, whatever the timing. Otherwise the deadline ends the
 * wait and the page is read as it stands, with a warning. Requests in flight are counted from
 * {@code Network} events, by {@link Traffic class}; DOM changes by a {@code MutationObserver} that
 * {@code page.js} installs in an isolated world before any script of the page runs, so the page can
 * neither see nor disturb it.
 *
 * <p><b>Page scripts</b> (Jina's {@code injectPageScript}) run once the page is done, in the page's
 * main world so they see its state, one after the other, each awaited when it returns a promise and
 * stopped after {@value #SCRIPT_LIMIT_MS} ms or at the end of the wait, whichever comes first; then
 * the tab waits again by the same rule, so that what a script started (a click that loads more) is
 * read. A script that throws or overruns is a warning, never a failed read. Its requests are the
 * page's requests: paused and vetted by the guard like any other.
 *
 * <p><b>Deadline.</b> Every protocol call waits at most until the deadline; the wait ends early
 * enough to leave a fifth of the time (at most 2 s) for reading the DOM, and the tab is closed in
 * {@code finally}, so no page outlives its request.
 */
final class Tab {

    static final int NETWORK_QUIET_MS = 500;
    static final int DOM_QUIET_MS = 200;
    static final int VISIBLE_TEXT_CHARS = 100;
    static final int SCRIPT_LIMIT_MS = 10_000;

    /**
     * Text below which a page that hid iframes or shadow roots is told so, as Jina's reader tells
     * it under 200 tokens: about 800 characters of English.
     */
    static final int LOW_TEXT_CHARS = 800;

    private static final int POLL_MS = 50;
    private static final int MAX_HTML_CHARS = 10 << 20;
    private static final int MAX_PAGESHOT_HEIGHT = 16_384;
    private static final int MAX_WARNINGS = 20;
    private static final String WORLD = "plinth";
    private static final String PAGE_JS = resource("page.js");
    private static final ExecutorService GUARD_THREADS =
            Executors.newVirtualThreadPerTaskExecutor();

    private final Cdp cdp;
    private final RequestGuard guard;
    private final GuardProxy proxy;
    private final String userAgent;
    private final URI url;
    private final FetchOptions options;
    private final Duration timeout;
    private final Instant deadline;

    // Written by the socket thread (events), read by the rendering thread.
    private final Map<String, Traffic> inFlight = new ConcurrentHashMap<>();
    private final AtomicLongArray lastActivity = new AtomicLongArray(Traffic.values().length);
    private final Set<String> warnings =
            java.util.Collections.synchronizedSet(new LinkedHashSet<>());
    private final Set<String> origins = ConcurrentHashMap.newKeySet();
    private final Map<String, Optional<String>> verdicts = new ConcurrentHashMap<>();
    private final Set<String> expected = new java.util.HashSet<>();
    private boolean closed;
    private volatile boolean closedCleanly = true;
    private volatile int worldContext;
    private volatile JsonNode mainResponse;
    private volatile String crashed;
    private volatile String refusedNavigation;
    private String sessionId;
    private String contextId;
    private String mainFrame;

    Tab(
            Cdp cdp,
            RequestGuard guard,
            GuardProxy proxy,
            String userAgent,
            URI url,
            FetchOptions options,
            Duration timeout,
            Instant deadline) {
        this.cdp = cdp;
        this.guard = guard;
        this.proxy = proxy;
        this.userAgent = userAgent;
        this.url = url;
        this.options = options;
        this.timeout = timeout;
        this.deadline = deadline;
        long now = System.nanoTime();
        for (int i = 0; i < lastActivity.length(); i++) {
            lastActivity.set(i, now);
        }
    }

    /** Renders the page in a new tab of {@code contextId}; the tab is gone when this returns. */
    Page render(String contextId) throws ReaderException {
        this.contextId = contextId;
        String refusal = guard.refusal(url.toString());
        if (refusal != null) {
            throw new ReaderException(Kind.BLOCKED, refusal);
        }
        checkOptions(options);
        String targetId = null;
        try {
            targetId =
                    call(
                                    null,
                                    "Target.createTarget",
                                    Map.of(
                                            "url",
                                            "about:blank",
                                            "browserContextId",
                                            contextId,
                                            "background",
                                            true))
                            .path("targetId")
                            .asText();
            mainFrame = targetId; // a page target's main frame has the target's id
            sessionId =
                    call(
                                    null,
                                    "Target.attachToTarget",
                                    Map.of("targetId", targetId, "flatten", true))
                            .path("sessionId")
                            .asText();
            cdp.listen(sessionId, this::onEvent);
            prepare();
            navigate();
            boolean done = awaitDone();
            if (!options.pageScripts().isEmpty()) {
                runPageScripts();
                done = awaitDone() && done;
            }
            Page page = snapshot();
            if (!done) {
                warn(
                        "The page was still loading at the deadline ("
                                + timeout.toMillis() / 1000.0
                                + " s"
                                + (options.respondTiming() == null
                                        ? ""
                                        : ", waiting for " + wire(options.respondTiming()))
                                + "): the content may be partial");
            }
            return new Page(
                    page.url(),
                    page.status(),
                    page.contentType(),
                    page.charset(),
                    page.body(),
                    page.headers(),
                    List.copyOf(warningsCopy()),
                    page.screenshot(),
                    FetchOptions.Engine.BROWSER,
                    null,
                    false);
        } catch (Cdp.CdpException e) {
            if (crashed != null) {
                throw new ReaderException(
                        Kind.UNREADABLE, "the browser tab crashed while loading " + url, e);
            }
            throw new ReaderException(
                    Kind.UNREADABLE,
                    "the browser failed while loading " + url + ": " + e.getMessage(),
                    e);
        } finally {
            close(targetId);
        }
    }

    // ---- set-up ---------------------------------------------------------------------------------

    /**
     * Sets the tab up before it loads anything. The calls are independent, so they are sent at once
     * and awaited together: the browser answers them in order, one round trip instead of ten.
     */
    private void prepare() throws Cdp.CdpException, ReaderException {
        List<Map<String, Object>> cookies = new ArrayList<>();
        for (String cookie : options.cookies()) {
            cookies.add(Cookies.parse(cookie, url));
        }
        Map<String, Object> agent = new HashMap<>();
        agent.put("userAgent", options.userAgent() != null ? options.userAgent() : userAgent);
        String locale =
                options.locale() == null || options.locale().isBlank() ? null : options.locale();
        if (locale != null) {
            agent.put("acceptLanguage", locale);
        }

        List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
        calls.add(
                cdp.send(
                        sessionId,
                        "Fetch.enable",
                        Map.of("patterns", List.of(Map.of("urlPattern", "*")))));
        calls.add(
                cdp.send(
                        sessionId,
                        "Network.enable",
                        Map.of("maxTotalBufferSize", 1 << 20, "maxResourceBufferSize", 1 << 19)));
        calls.add(cdp.send(sessionId, "Page.enable", Map.of()));
        calls.add(
                cdp.send(
                        sessionId,
                        "Page.addScriptToEvaluateOnNewDocument",
                        Map.of("source", PAGE_JS, "worldName", WORLD)));
        calls.add(cdp.send(sessionId, "Runtime.enable", Map.of()));
        calls.add(cdp.send(sessionId, "Inspector.enable", Map.of()));
        calls.add(cdp.send(sessionId, "Emulation.setDeviceMetricsOverride", deviceMetrics()));
        if (options.viewport() != null && options.viewport().touch()) {
            calls.add(
                    cdp.send(
                            sessionId,
                            "Emulation.setTouchEmulationEnabled",
                            Map.of("enabled", true, "maxTouchPoints", 5)));
        }
        calls.add(cdp.send(sessionId, "Emulation.setUserAgentOverride", agent));
        CompletableFuture<JsonNode> localeCall =
                locale == null
                        ? null
                        : cdp.send(
                                sessionId,
                                "Emulation.setLocaleOverride",
                                Map.of(
                                        "locale",
                                        locale.split("[,;]")[0].strip().replace('-', '_')));
        CompletableFuture<JsonNode> cookieCall =
                cookies.isEmpty()
                        ? null
                        : cdp.send(sessionId, "Network.setCookies", Map.of("cookies", cookies));
        for (CompletableFuture<JsonNode> call : calls) {
            await(call);
        }
        if (localeCall != null) {
            try {
                await(localeCall);
            } catch (Cdp.CdpException e) {
                warn(
                        "The browser does not know the locale '"
                                + locale
                                + "'; only Accept-Language was set");
            }
        }
        if (cookieCall != null) {
            try {
                await(cookieCall);
            } catch (Cdp.CdpException e) {
                throw new ReaderException(
                        Kind.BAD_OPTION, "the browser refused a cookie: " + e.getMessage());
            }
        }
        if (options.proxyUrl() != null) {
            warn("The browser engine does not use the proxy URL; the page was loaded without it");
        }
    }

    /**
     * The viewport as Puppeteer's {@code setViewport} gives it: size, scale (0 keeps the browser's
     * own), mobile emulation (meta viewport, overlay scrollbars) and, for a landscape or mobile
     * viewport, the screen orientation pages read from {@code screen.orientation}. A desktop
     * viewport keeps the orientation the browser derives from its size.
     */
    private Map<String, Object> deviceMetrics() {
        FetchOptions.Viewport viewport = options.viewportOrDefault();
        Map<String, Object> metrics = new HashMap<>();
        metrics.put("width", viewport.width());
        metrics.put("height", viewport.height());
        metrics.put("deviceScaleFactor", viewport.deviceScaleFactor());
        metrics.put("mobile", viewport.mobile());
        if (viewport.landscape() || viewport.mobile()) {
            metrics.put(
                    "screenOrientation",
                    viewport.landscape()
                            ? Map.of("type", "landscapePrimary", "angle", 90)
                            : Map.of("type", "portraitPrimary", "angle", 0));
        }
        return metrics;
    }

    private void navigate() throws Cdp.CdpException, ReaderException {
        Map<String, Object> params = new HashMap<>();
        params.put("url", url.toString());
        if (options.referer() != null) {
            params.put("referrer", options.referer());
            // Sent as given: the default policy would drop an https referrer on an http page.
            params.put("referrerPolicy", "unsafeUrl");
        }
        JsonNode result;
        try {
            result = cdp.call(sessionId, "Page.navigate", params, softDeadline());
        } catch (Cdp.CdpException e) {
            if (Instant.now().isBefore(softDeadline())) {
                throw e;
            }
            throw new ReaderException(
                    Kind.UNREADABLE,
                    url + " sent no response within " + timeout.toMillis() / 1000.0 + " s");
        }
        String error = Cdp.text(result.get("errorText"));
        if (error != null) {
            // A refused hop (a redirect to a private address) is the guard's verdict, not a network
            // error.
            String refusal = refusedNavigation;
            if (refusal != null) {
                throw new ReaderException(Kind.BLOCKED, refusal);
            }
            JsonNode response = mainResponse;
            String type = response == null ? "" : response.path("mimeType").asText("");
            if (response != null && !type.isEmpty() && !isDocument(type)) {
                // A PDF, an image or a download: Chromium shows or saves it, there is no DOM to
                // read.
                throw new ReaderException(
                        Kind.UNREADABLE,
                        url
                                + " is "
                                + type
                                + ", not a web page; the browser engine reads web pages, the direct engine reads this");
            }
            if (!error.equals("net::ERR_ABORTED") || response == null) {
                throw new ReaderException(Kind.UNREADABLE, "cannot load " + url + ": " + error);
            }
        }
    }

    // ---- waiting --------------------------------------------------------------------------------

    /** Waits until the page is done (true) or the wait's deadline passed (false). */
    private boolean awaitDone() throws Cdp.CdpException, ReaderException {
        List<String> selectors = options.waitForSelector();
        FetchOptions.RespondTiming timing = options.respondTiming();
        boolean withText =
                selectors.isEmpty() && timing == FetchOptions.RespondTiming.VISIBLE_CONTENT;
        String expression =
                "__plinth.probe(" + Cdp.JSON.valueToTree(selectors) + ", " + withText + ")";
        while (Instant.now().isBefore(softDeadline())) {
            if (crashed != null) {
                throw new Cdp.CdpException(crashed);
            }
            JsonNode probe = worldContext == 0 ? null : evaluate(expression, false);
            if (probe != null && isDone(probe, selectors, timing)) {
                return true;
            }
            sleep(POLL_MS);
        }
        if (!selectors.isEmpty() && worldContext != 0) {
            JsonNode probe = evaluate(expression, false);
            if (probe == null || !probe.path("matched").asBoolean()) {
                warn("No element matched " + String.join(", ", selectors) + " before the deadline");
            }
        }
        return false;
    }

    /**
     * Whether the page is done by the rule its options choose (the class notes give them all). Each
     * timing after {@code html} asks what the one before asks and more, so a later timing never
     * reads earlier than an earlier one.
     */
    private boolean isDone(
            JsonNode probe, List<String> selectors, FetchOptions.RespondTiming timing) {
        boolean quietDom = probe.path("sinceChange").asDouble() >= DOM_QUIET_MS;
        if (!selectors.isEmpty()) {
            return probe.path("matched").asBoolean() && quietDom;
        }
        if ("loading".equals(probe.path("readyState").asText())) {
            return false;
        }
        if (timing == null) {
            return quietDom && quietFor(Traffic.OTHER) >= NETWORK_QUIET_MS;
        }
        return switch (timing) {
            case HTML -> true;
            case VISIBLE_CONTENT ->
                    quietDom || probe.path("visibleChars").asInt() >= VISIBLE_TEXT_CHARS;
            case MUTATION_IDLE -> quietDom;
            case RESOURCE_IDLE -> quietDom && quietFor(Traffic.CONTENT) >= NETWORK_QUIET_MS;
            case MEDIA_IDLE -> quietDom && quietFor(Traffic.MEDIA) >= NETWORK_QUIET_MS;
            case NETWORK_IDLE -> quietDom && quietFor(Traffic.OTHER) >= NETWORK_QUIET_MS;
        };
    }

    /**
     * Milliseconds since the last request of class {@code upTo} or an earlier one started or ended;
     * 0 while one is in flight.
     */
    private long quietFor(Traffic upTo) {
        for (Traffic traffic : inFlight.values()) {
            if (traffic.compareTo(upTo) <= 0) {
                return 0;
            }
        }
        long last = 0;
        for (int i = 0; i <= upTo.ordinal(); i++) {
            last = Math.max(last, lastActivity.get(i));
        }
        return (System.nanoTime() - last) / 1_000_000;
    }

    /**
     * What a request is, for the respond timings: what makes the page's content (its documents,
     * scripts, styles and data), what decorates it (images, media, fonts), and the rest (beacons,
     * manifests, reports). Jina's reader counts styles with media; they are content here, because a
     * style can hide or show text.
     */
    enum Traffic {
        CONTENT,
        MEDIA,
        OTHER;

        /** The class of a CDP {@code Network.ResourceType}. */
        static Traffic of(String resourceType) {
            return switch (resourceType) {
                case "Document",
                        "Script",
                        "Stylesheet",
                        "XHR",
                        "Fetch",
                        "EventSource",
                        "Prefetch",
                        "Preflight",
                        "SignedExchange" ->
                        CONTENT;
                case "Image", "Media", "Font", "TextTrack" -> MEDIA;
                default -> OTHER;
            };
        }
    }

    // ---- page scripts ---------------------------------------------------------------------------

    /**
     * Runs the request's scripts in the page's main world, in order, each bounded by {@value
     * #SCRIPT_LIMIT_MS} ms and the end of the wait. {@code timeout} stops a script that never
     * yields (a loop); a promise that never settles is left behind when its time is up.
     */
    private void runPageScripts() throws Cdp.CdpException {
        List<String> scripts = options.pageScripts();
        for (int i = 0; i < scripts.size(); i++) {
            String name = "Page script " + (i + 1) + " of " + scripts.size();
            Instant now = Instant.now();
            Instant limit = now.plusMillis(SCRIPT_LIMIT_MS);
            if (limit.isAfter(softDeadline())) {
                limit = softDeadline();
            }
            long millis = Duration.between(now, limit).toMillis();
            if (millis < POLL_MS) {
                warn(
                        (i + 1 == scripts.size()
                                        ? name
                                        : "Page scripts " + (i + 1) + " to " + scripts.size())
                                + " did not run: the deadline was reached first");
                return;
            }
            Map<String, Object> params = new HashMap<>();
            params.put("expression", scripts.get(i));
            params.put("awaitPromise", true);
            params.put("userGesture", true);
            params.put("timeout", millis);
            params.put("objectGroup", "plinth-page-scripts");
            JsonNode result;
            try {
                result = cdp.call(sessionId, "Runtime.evaluate", params, limit);
            } catch (Cdp.CdpException e) {
                if (crashed != null || !cdp.isOpen()) {
                    throw e;
                }
                if (Instant.now().isBefore(limit)) {
                    // Not the time limit: the script navigated away, or the protocol refused it.
                    warn(name + " failed: " + e.getMessage());
                    continue;
                }
                warn(
                        name
                                + " did not finish within "
                                + millis / 1000.0
                                + " s; the page was read without waiting longer");
                continue;
            }
            JsonNode exception = result.get("exceptionDetails");
            if (exception != null) {
                String text =
                        exception
                                .path("exception")
                                .path("description")
                                .asText(exception.path("text").asText());
                warn(name + " failed: " + text.lines().findFirst().orElse(text));
            }
        }
    }

    /** Jina's name of a respond timing. */
    private static String wire(FetchOptions.RespondTiming timing) {
        return timing.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    // ---- reading the page -----------------------------------------------------------------------

    private Page snapshot() throws Cdp.CdpException, ReaderException {
        if (worldContext == 0) {
            throw new ReaderException(
                    Kind.UNREADABLE, url + " produced no document before the deadline");
        }
        Map<String, Object> flags =
                Map.of(
                        "shadow",
                        options.withShadowDom(),
                        "iframes",
                        options.iframes().name().toLowerCase(Locale.ROOT),
                        "maxChars",
                        MAX_HTML_CHARS,
                        "lowText",
                        LOW_TEXT_CHARS);
        JsonNode dom = evaluate("__plinth.serialize(" + Cdp.JSON.valueToTree(flags) + ")", true);
        if (dom == null) {
            throw new ReaderException(
                    Kind.UNREADABLE, "the page's document went away before it could be read");
        }
        if (dom.path("truncated").asBoolean()) {
            warn(
                    "The rendered page is over "
                            + (MAX_HTML_CHARS >> 20)
                            + " MiB of HTML; the rest was cut");
        }
        if (dom.path("textChars").asInt() < LOW_TEXT_CHARS) {
            warnWhatWasLeftOut(dom);
        }
        byte[] screenshot =
                switch (options.capture()) {
                    case SCREENSHOT -> screenshot(false);
                    case PAGESHOT -> screenshot(true);
                    case NONE -> null;
                };

        JsonNode response = mainResponse;
        int status = response == null ? 200 : response.path("status").asInt(200);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        if (response != null) {
            response.path("headers")
                    .properties()
                    .forEach(h ->
                            headers.put(
                                    h.getKey().toLowerCase(Locale.ROOT),
                                    List.of(h.getValue().asText().split("\n"))));
        }
        URI finalUrl = parseOr(dom.path("url").asText(), url);
        byte[] html = dom.path("html").asText().getBytes(StandardCharsets.UTF_8);
        return new Page(
                finalUrl,
                status,
                "text/html",
                StandardCharsets.UTF_8,
                html,
                headers,
                List.of(),
                screenshot,
                FetchOptions.Engine.BROWSER,
                null,
                false);
    }

    /**
     * Jina's hints for a page that read short: its content may be in the iframes or shadow roots
     * the read left out. Counted while serializing, so a page of normal length costs nothing.
     */
    private void warnWhatWasLeftOut(JsonNode dom) {
        if (dom.path("hiddenFrames").asInt() > 0) {
            warn(
                    "This page contains iframes that are currently hidden, consider enabling iframe"
                            + " processing (X-With-Iframe: true or quoted)");
        }
        if (dom.path("foreignFrames").asInt() > 0) {
            warn(
                    "This page contains iframes from other origins, which are not read: only"
                            + " same-origin iframes are");
        }
        if (dom.path("hiddenShadowRoots").asInt() > 0) {
            warn(
                    "This page contains shadow DOM that is currently hidden, consider enabling"
                            + " shadow DOM processing (X-With-Shadow-Dom: true)");
        }
    }

    private byte[] screenshot(boolean fullPage) throws Cdp.CdpException {
        Map<String, Object> params = new HashMap<>();
        params.put("format", "png");
        if (fullPage) {
            JsonNode size =
                    call(sessionId, "Page.getLayoutMetrics", Map.of()).path("cssContentSize");
            int width =
                    (int)
                            Math.ceil(
                                    size.path("width")
                                            .asDouble(options.viewportOrDefault().width()));
            int height =
                    (int)
                            Math.ceil(
                                    size.path("height")
                                            .asDouble(options.viewportOrDefault().height()));
            // The cap is on the picture's pixels: a scaled viewport gets fewer CSS pixels of page.
            double scale = Math.max(1, options.viewportOrDefault().deviceScaleFactor());
            int maxHeight = (int) (MAX_PAGESHOT_HEIGHT / scale);
            if (height > maxHeight) {
                warn(
                        "The page is "
                                + height
                                + " px tall; the page shot stops at "
                                + maxHeight
                                + " px");
                height = maxHeight;
            }
            params.put("captureBeyondViewport", true);
            params.put(
                    "clip",
                    Map.of(
                            "x",
                            0,
                            "y",
                            0,
                            "width",
                            Math.max(1, width),
                            "height",
                            Math.max(1, height),
                            "scale",
                            1));
        }
        String data =
                cdp.call(sessionId, "Page.captureScreenshot", params, deadline)
                        .path("data")
                        .asText();
        return Base64.getDecoder().decode(data);
    }

    /**
     * Evaluates {@code expression} in plinth's isolated world of the main frame; null if that world
     * is gone.
     */
    private JsonNode evaluate(String expression, boolean untilHardDeadline)
            throws Cdp.CdpException, ReaderException {
        int context = worldContext;
        JsonNode result;
        try {
            result =
                    cdp.call(
                            sessionId,
                            "Runtime.evaluate",
                            Map.of(
                                    "expression",
                                    expression,
                                    "contextId",
                                    context,
                                    "returnByValue",
                                    true),
                            untilHardDeadline ? deadline : softDeadline());
        } catch (Cdp.CdpException e) {
            if (context != worldContext || String.valueOf(e.getMessage()).contains("context")) {
                return null; // a navigation replaced the document between the probe and now
            }
            if (!untilHardDeadline && !Instant.now().isBefore(softDeadline())) {
                return null; // a probe sent just before the wait ended: the wait is over, not the
                // read
            }
            throw e;
        }
        JsonNode exception = result.get("exceptionDetails");
        if (exception != null) {
            String text =
                    exception
                            .path("exception")
                            .path("description")
                            .asText(exception.path("text").asText());
            if (text.contains("SyntaxError") && text.contains("querySelector")) {
                throw new ReaderException(
                        Kind.BAD_OPTION,
                        "not a valid CSS selector: "
                                + String.join(", ", options.waitForSelector()));
            }
            throw new ReaderException(
                    Kind.UNREADABLE,
                    "reading the page failed: " + text.lines().findFirst().orElse(text));
        }
        return result.path("result").path("value");
    }

    // ---- events ---------------------------------------------------------------------------------

    /**
     * Runs on the socket thread: bookkeeping only; the guard's DNS look-ups go to virtual threads.
     */
    private void onEvent(String method, JsonNode params) {
        switch (method) {
            case "Fetch.requestPaused" -> GUARD_THREADS.execute(() -> vet(params));
            case "Network.requestWillBeSent" -> {
                Traffic traffic = Traffic.of(params.path("type").asText());
                inFlight.put(params.path("requestId").asText(), traffic);
                lastActivity.set(traffic.ordinal(), System.nanoTime());
                String origin = origin(params.path("request").path("url").asText());
                if (origin != null) {
                    origins.add(origin);
                }
            }
            case "Network.loadingFinished", "Network.loadingFailed" -> {
                Traffic traffic = inFlight.remove(params.path("requestId").asText());
                lastActivity.set(
                        (traffic == null ? Traffic.OTHER : traffic).ordinal(), System.nanoTime());
            }
            case "Network.responseReceived" -> {
                lastActivity.set(
                        Traffic.of(params.path("type").asText()).ordinal(), System.nanoTime());
                if ("Document".equals(params.path("type").asText())
                        && mainFrame.equals(params.path("frameId").asText())) {
                    mainResponse = params.path("response");
                }
            }
            case "Network.webSocketCreated" -> {
                String socket = params.path("url").asText();
                GUARD_THREADS.execute(() -> {
                    String why = guard.refusal(socket);
                    if (why != null) {
                        warn("Blocked a WebSocket to " + socket + ": " + why);
                    } else {
                        expect(socket);
                    }
                });
            }
            case "Runtime.executionContextCreated" -> {
                JsonNode context = params.path("context");
                if (WORLD.equals(context.path("name").asText())
                        && mainFrame.equals(context.path("auxData").path("frameId").asText())) {
                    worldContext = context.path("id").asInt();
                }
            }
            case "Runtime.executionContextDestroyed" -> {
                if (params.path("executionContextId").asInt() == worldContext) {
                    worldContext = 0;
                }
            }
            case "Runtime.executionContextsCleared" -> worldContext = 0;
            case "Page.javascriptDialogOpening" ->
                    cdp.send(sessionId, "Page.handleJavaScriptDialog", Map.of("accept", false));
            case "Inspector.targetCrashed" -> crashed = "the page's renderer crashed";
            default -> {}
        }
    }

    private void vet(JsonNode params) {
        String requestId = params.path("requestId").asText();
        String requested = params.path("request").path("url").asText();
        // The verdict depends on scheme, credentials, host and port only: one look-up per origin.
        String why =
                verdicts.computeIfAbsent(
                                originKey(requested),
                                k -> Optional.ofNullable(guard.refusal(requested)))
                        .orElse(null);
        if (why == null) {
            expect(requested);
            cdp.send(sessionId, "Fetch.continueRequest", Map.of("requestId", requestId));
            return;
        }
        if ("Document".equals(params.path("resourceType").asText())
                && mainFrame.equals(params.path("frameId").asText())) {
            refusedNavigation = "refused to load " + requested + ": " + why;
        }
        warn("Blocked a request to " + requested + ": " + why);
        cdp.send(
                sessionId,
                "Fetch.failRequest",
                Map.of("requestId", requestId, "errorReason", "BlockedByClient"));
    }

    // ---- clean-up -------------------------------------------------------------------------------

    /**
     * Whether the tab was cleaned up and closed; if not, its context must not serve another page.
     */
    boolean closedCleanly() {
        return closedCleanly;
    }

    /**
     * Clears what the page stored for the origins it touched, then closes the tab. A second at
     * most: the page's deadline is already spent, and a browser that takes longer is not well.
     */
    private void close(String targetId) {
        if (targetId == null) {
            return;
        }
        Instant cleanup = Instant.now().plusSeconds(1);
        try {
            if (sessionId != null && cdp.isOpen()) {
                for (String origin : origins) {
                    cdp.send(
                            sessionId,
                            "Storage.clearDataForOrigin",
                            Map.of("origin", origin, "storageTypes", "all"));
                }
                cdp.call(sessionId, "Network.clearBrowserCookies", Map.of(), cleanup);
            }
        } catch (Cdp.CdpException e) {
            closedCleanly =
                    false; // the tab is closed below either way; the pool disposes the context
        } finally {
            if (sessionId != null) {
                cdp.forget(sessionId);
            }
            try {
                if (cdp.isOpen()) {
                    cdp.call(null, "Target.closeTarget", Map.of("targetId", targetId), cleanup);
                    closePopups(cleanup);
                }
            } catch (Cdp.CdpException e) {
                closedCleanly = false;
            }
            synchronized (expected) {
                closed = true;
                for (String endpoint : expected) {
                    int colon = endpoint.lastIndexOf(':');
                    proxy.unexpect(
                            endpoint.substring(0, colon),
                            Integer.parseInt(endpoint.substring(colon + 1)));
                }
            }
        }
    }

    /** Tells the proxy that this page asked for {@code url}'s host and port (once per endpoint). */
    private void expect(String url) {
        try {
            URI u = new URI(url);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (u.getHost() == null || !Set.of("http", "https", "ws", "wss").contains(scheme)) {
                return;
            }
            int port =
                    u.getPort() >= 0
                            ? u.getPort()
                            : scheme.equals("https") || scheme.equals("wss") ? 443 : 80;
            String host = u.getHost();
            synchronized (expected) {
                if (!closed && expected.add(host + ":" + port)) {
                    proxy.expect(host, port);
                }
            }
        } catch (URISyntaxException e) {
            // nothing to expect: Chromium cannot connect anywhere for a URL it could not parse
            // either
        }
    }

    /**
     * Windows the page opened ({@code window.open}) live in the same context: close them with it.
     */
    private void closePopups(Instant until) throws Cdp.CdpException {
        for (JsonNode target :
                cdp.call(null, "Target.getTargets", Map.of(), until).path("targetInfos")) {
            if (contextId.equals(target.path("browserContextId").asText())) {
                cdp.send(
                        null,
                        "Target.closeTarget",
                        Map.of("targetId", target.path("targetId").asText()));
            }
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /**
     * Refuses what the browser cannot honour within its bounds, before a tab is opened. The HTTP
     * API refuses these earlier with its own message; this holds for every other caller.
     */
    static void checkOptions(FetchOptions options) throws ReaderException {
        FetchOptions.Viewport viewport = options.viewportOrDefault();
        if (viewport.width() < 1
                || viewport.width() > 8192
                || viewport.height() < 1
                || viewport.height() > 8192
                || !(viewport.deviceScaleFactor() >= 0 && viewport.deviceScaleFactor() <= 4)) {
            throw new ReaderException(
                    Kind.BAD_OPTION,
                    "the viewport must be 1 to 8192 pixels each way with a scale factor from 0 to"
                            + " 4, not "
                            + viewport.width()
                            + "x"
                            + viewport.height()
                            + " at "
                            + viewport.deviceScaleFactor());
        }
        List<String> scripts = options.pageScripts();
        long chars = scripts.stream().mapToLong(String::length).sum();
        if (scripts.size() > FetchOptions.MAX_PAGE_SCRIPTS
                || chars > FetchOptions.MAX_PAGE_SCRIPT_CHARS) {
            throw new ReaderException(
                    Kind.BAD_OPTION,
                    "page scripts are limited to "
                            + FetchOptions.MAX_PAGE_SCRIPTS
                            + " scripts and "
                            + FetchOptions.MAX_PAGE_SCRIPT_CHARS
                            + " characters in all, not "
                            + scripts.size()
                            + " of "
                            + chars);
        }
    }

    private JsonNode call(String session, String method, Map<String, ?> params)
            throws Cdp.CdpException {
        return cdp.call(session, method, params, deadline);
    }

    private JsonNode await(CompletableFuture<JsonNode> reply) throws Cdp.CdpException {
        return Cdp.await(reply, deadline);
    }

    /** Time kept back from waiting to read the DOM and take a screenshot: a fifth, at most 2 s. */
    private Instant softDeadline() {
        return deadline.minusMillis(Math.min(2000, timeout.toMillis() / 5));
    }

    private void warn(String warning) {
        synchronized (warnings) {
            if (warnings.size() < MAX_WARNINGS) {
                warnings.add(warning);
            }
        }
    }

    private List<String> warningsCopy() {
        synchronized (warnings) {
            return new ArrayList<>(warnings);
        }
    }

    private static String origin(String url) {
        try {
            URI u = new URI(url);
            if (u.getScheme() == null || u.getHost() == null || !u.getScheme().startsWith("http")) {
                return null;
            }
            return u.getScheme() + "://" + u.getRawAuthority();
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * {@code scheme://authority} of an absolute URL; the whole URL when it has no authority (data:,
     * blob:).
     */
    private static String originKey(String url) {
        int scheme = url.indexOf("://");
        if (scheme < 0) {
            return url;
        }
        int end = url.indexOf('/', scheme + 3);
        int query = url.indexOf('?', scheme + 3);
        int fragment = url.indexOf('#', scheme + 3);
        int cut = url.length();
        for (int i : new int[] {end, query, fragment}) {
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        return url.substring(0, cut);
    }

    private static boolean isDocument(String mimeType) {
        return mimeType.startsWith("text/")
                || mimeType.contains("html")
                || mimeType.contains("xml")
                || mimeType.equals("application/json");
    }

    private static URI parseOr(String text, URI fallback) {
        try {
            return text == null || text.isBlank() || text.startsWith("about:")
                    ? fallback
                    : new URI(text);
        } catch (Exception e) {
            return fallback;
        }
    }

    private static void sleep(int millis) throws ReaderException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReaderException(Kind.UNREADABLE, "interrupted while waiting for the page");
        }
    }

    private static String resource(String name) {
        try (InputStream in = Tab.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(
                        name + " is missing from the browser module's resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
