package dev.plinth.server;

import dev.plinth.browser.Browser;
import dev.plinth.reader.Reader;
import dev.plinth.reader.fetch.Fetcher;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: the reader's routes and any model APIs on one Javalin app running on virtual
 * threads, with API keys, a per-client rate limit, a request-body cap, metrics and an access log in
 * front of every route.
 *
 * <p>Model APIs join as {@link RouteGroup}s passed to {@link #start}; they are mounted before the
 * reader, whose {@code GET /{url}} takes every path nobody else claimed. Stopping is graceful:
 * Jetty stops accepting, requests in flight finish (up to {@link Config#stopTimeout}), then the
 * browser and the cache close, so nothing is half-written.
 */
public final class Server implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Server.class);
    private static final Logger ACCESS = LoggerFactory.getLogger("plinth.access");

    /** Paths anyone may call without a key, and that no rate limit counts. */
    private static final Set<String> OPEN = Set.of("/", "/health", "/favicon.ico");

    /**
     * How the server runs.
     *
     * @param host address to bind; <b>127.0.0.1</b>
     * @param port port to bind, 0 for any free one; <b>8080</b>
     * @param apiKeys accepted {@code Authorization: Bearer} keys; empty = no auth
     * @param noAuth allow binding a non-loopback address without keys
     * @param allowPrivateNetwork let the fetcher and browser reach private addresses
     * @param cacheDir page-cache folder; null = no cache
     * @param cacheMaxBytes bound on cached page bodies; <b>1 GiB</b>
     * @param rateLimitPerMinute requests a minute per key or IP; 0 = unlimited; <b>600</b>
     * @param maxReads reads running at once; <b>32</b>
     * @param maxQueue reads waiting for a slot before 429; <b>256</b>
     * @param maxQueueWait longest wait for a slot before 429; <b>30 s</b>
     * @param maxBodyBytes request-body cap; <b>32 MiB</b>
     * @param stopTimeout how long in-flight requests may take to finish on stop; <b>30 s</b>
     */
    public record Config(
            String host,
            int port,
            List<String> apiKeys,
            boolean noAuth,
            boolean allowPrivateNetwork,
            Path cacheDir,
            long cacheMaxBytes,
            int rateLimitPerMinute,
            int maxReads,
            int maxQueue,
            Duration maxQueueWait,
            int maxBodyBytes,
            Duration stopTimeout) {

        public Config {
            apiKeys = List.copyOf(apiKeys);
        }

        /** The defaults, with the cache in {@code cacheDir}. */
        public static Config defaults(Path cacheDir) {
            return new Config(
                    "127.0.0.1",
                    8080,
                    List.of(),
                    false,
                    false,
                    cacheDir,
                    1L << 30,
                    600,
                    32,
                    256,
                    Duration.ofSeconds(30),
                    32 << 20,
                    Duration.ofSeconds(30));
        }

        public Config withHost(String v) {
            return new Config(
                    v,
                    port,
                    apiKeys,
                    noAuth,
                    allowPrivateNetwork,
                    cacheDir,
                    cacheMaxBytes,
                    rateLimitPerMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    maxBodyBytes,
                    stopTimeout);
        }

        public Config withPort(int v) {
            return new Config(
                    host,
                    v,
                    apiKeys,
                    noAuth,
                    allowPrivateNetwork,
                    cacheDir,
                    cacheMaxBytes,
                    rateLimitPerMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    maxBodyBytes,
                    stopTimeout);
        }

        public Config withApiKeys(List<String> v) {
            return new Config(
                    host,
                    port,
                    v,
                    noAuth,
                    allowPrivateNetwork,
                    cacheDir,
                    cacheMaxBytes,
                    rateLimitPerMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    maxBodyBytes,
                    stopTimeout);
        }

        public Config withNoAuth(boolean v) {
            return new Config(
                    host,
                    port,
                    apiKeys,
                    v,
                    allowPrivateNetwork,
                    cacheDir,
                    cacheMaxBytes,
                    rateLimitPerMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    maxBodyBytes,
                    stopTimeout);
        }

        public Config withAllowPrivateNetwork(boolean v) {
            return new Config(
                    host,
                    port,
                    apiKeys,
                    noAuth,
                    v,
                    cacheDir,
                    cacheMaxBytes,
                    rateLimitPerMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    maxBodyBytes,
                    stopTimeout);
        }

        public Config withCache(Path dir, long maxBytes) {
            return new Config(
                    host,
                    port,
                    apiKeys,
                    noAuth,
                    allowPrivateNetwork,
                    dir,
                    maxBytes,
                    rateLimitPerMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    maxBodyBytes,
                    stopTimeout);
        }

        public Config withRateLimit(int perMinute) {
            return new Config(
                    host,
                    port,
                    apiKeys,
                    noAuth,
                    allowPrivateNetwork,
                    cacheDir,
                    cacheMaxBytes,
                    perMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    maxBodyBytes,
                    stopTimeout);
        }

        public Config withReads(int reads, int queue, Duration wait) {
            return new Config(
                    host,
                    port,
                    apiKeys,
                    noAuth,
                    allowPrivateNetwork,
                    cacheDir,
                    cacheMaxBytes,
                    rateLimitPerMinute,
                    reads,
                    queue,
                    wait,
                    maxBodyBytes,
                    stopTimeout);
        }

        public Config withMaxBodyBytes(int v) {
            return new Config(
                    host,
                    port,
                    apiKeys,
                    noAuth,
                    allowPrivateNetwork,
                    cacheDir,
                    cacheMaxBytes,
                    rateLimitPerMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    v,
                    stopTimeout);
        }

        public Config withStopTimeout(Duration v) {
            return new Config(
                    host,
                    port,
                    apiKeys,
                    noAuth,
                    allowPrivateNetwork,
                    cacheDir,
                    cacheMaxBytes,
                    rateLimitPerMinute,
                    maxReads,
                    maxQueue,
                    maxQueueWait,
                    maxBodyBytes,
                    v);
        }
    }

    private final Config config;
    private final Javalin app;
    private final Reader reader;
    private final PageCache cache;
    private final Metrics metrics;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Server(Config config, Javalin app, Reader reader, PageCache cache, Metrics metrics) {
        this.config = config;
        this.app = app;
        this.reader = reader;
        this.cache = cache;
        this.metrics = metrics;
    }

    /**
     * Starts the reader API plus {@code apis} (model route groups, may be empty) as {@code config}
     * says.
     *
     * @throws IllegalArgumentException when a non-loopback address would be served without keys or
     *     --no-auth
     * @throws IOException when the cache cannot be opened
     */
    public static Server start(Config config, List<RouteGroup> apis) throws IOException {
        if (config.apiKeys().isEmpty() && !config.noAuth() && !isLoopback(config.host())) {
            throw new IllegalArgumentException(
                    "binding "
                            + config.host()
                            + " exposes the server beyond this machine: "
                            + "set API keys (--api-keys or PLINTH_API_KEYS) or pass --no-auth");
        }
        Metrics metrics = new Metrics();
        PageCache cache =
                config.cacheDir() == null
                        ? null
                        : PageCache.open(config.cacheDir(), config.cacheMaxBytes());
        Fetcher fetcher =
                new Fetcher(
                        Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(
                                config.allowPrivateNetwork()));
        Reader reader =
                new Reader(
                        fetcher, Browser.lazy(new Browser.Settings(config.allowPrivateNetwork())));
        ReadSlots slots =
                new ReadSlots(
                        config.maxReads(), config.maxQueue(), config.maxQueueWait().toMillis());
        ReadService service = new ReadService(reader, fetcher, cache, slots, metrics);
        metrics.gauge("plinth.reads.active", "Reads running now", service::active);
        metrics.gauge("plinth.reads.queued", "Reads waiting for a slot", service::waiting);
        if (cache != null) {
            metrics.gauge("plinth.cache.bytes", "Bytes of cached page bodies", cache::bytes);
        }
        RateLimiter limiter = new RateLimiter(config.rateLimitPerMinute());
        List<byte[]> keys =
                config.apiKeys().stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();

        Javalin app =
                Javalin.create(c -> {
                    c.useVirtualThreads = true;
                    c.showJavalinBanner = false;
                    c.startupWatcherEnabled = false;
                    c.http.maxRequestSize = config.maxBodyBytes();
                    c.jetty.defaultHost = config.host();
                    c.jetty.defaultPort = config.port();
                    c.jetty.multipartConfig.maxFileSize(config.maxBodyBytes(), SizeUnit.BYTES);
                    c.jetty.multipartConfig.maxTotalRequestSize(
                            config.maxBodyBytes(), SizeUnit.BYTES);
                    c.jetty.multipartConfig.maxInMemoryFileSize(1 << 20, SizeUnit.BYTES);
                    c.jetty.modifyServer(s -> s.setStopTimeout(config.stopTimeout().toMillis()));
                    c.requestLogger.http((ctx, ms) -> logRequest(metrics, ctx, ms));
                });
        Errors.install(app);
        app.before(ctx -> admit(ctx, keys, limiter, config.maxBodyBytes()));
        app.get("/health", ctx -> ctx.json(java.util.Map.of("status", "ok")));
        app.get(
                "/metrics",
                ctx ->
                        ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                                .result(metrics.scrape()));
        List<RouteGroup> groups = new ArrayList<>(apis);
        groups.add(new ReaderRoutes(service, config.maxBodyBytes()));
        for (RouteGroup group : groups) {
            group.register(app);
        }
        try {
            app.start();
        } catch (RuntimeException e) {
            reader.close();
            if (cache != null) {
                cache.close();
            }
            throw e;
        }
        LOG.info(
                "plinth serving on http://{}:{} (cache: {}, auth: {}, private network: {})",
                config.host(),
                app.port(),
                cache == null ? "off" : cache.file(),
                keys.isEmpty() ? "off" : keys.size() + " key(s)",
                config.allowPrivateNetwork() ? "allowed" : "refused");
        return new Server(config, app, reader, cache, metrics);
    }

    /** API key, rate limit and body cap, in that order, before any route runs. */
    private static void admit(Context ctx, List<byte[]> keys, RateLimiter limiter, int maxBody) {
        if (OPEN.contains(ctx.path()) && ctx.method().name().equals("GET")) {
            return;
        }
        String client = "ip:" + ctx.ip();
        if (!keys.isEmpty()) {
            String auth = ctx.header("Authorization");
            if (auth == null || auth.isBlank()) {
                ctx.header("WWW-Authenticate", "Bearer");
                throw new ApiException(
                        401,
                        "AuthenticationRequiredError",
                        "an API key is required: send Authorization: Bearer <key>");
            }
            String key =
                    auth.regionMatches(true, 0, "Bearer ", 0, 7)
                            ? auth.substring(7).strip()
                            : auth.strip();
            byte[] given = key.getBytes(StandardCharsets.UTF_8);
            if (keys.stream().noneMatch(k -> MessageDigest.isEqual(k, given))) {
                ctx.header("WWW-Authenticate", "Bearer");
                throw new ApiException(
                        401, "AuthenticationFailedError", "the API key is not valid");
            }
            client = "key:" + key;
        }
        if (!ctx.path().equals("/metrics")) {
            long wait = limiter.acquire(client);
            if (wait > 0) {
                throw ApiException.tooManyRequests(
                        "rate limit reached; retry in " + wait + " s", wait);
            }
        }
        if (ctx.req().getContentLengthLong() > maxBody) {
            throw ApiException.tooLarge(
                    "the request body is "
                            + ctx.req().getContentLengthLong()
                            + " bytes, over the "
                            + maxBody
                            + "-byte limit");
        }
    }

    /** Metrics and one access-log line per request. */
    private static void logRequest(Metrics metrics, Context ctx, float ms) {
        String route = route(ctx);
        int status = ctx.statusCode();
        metrics.request(route, ctx.method().name(), status, Duration.ofNanos((long) (ms * 1e6)));
        if (ACCESS.isInfoEnabled()) {
            String path = ctx.path();
            ACCESS.info(
                    "method={} route={} status={} ms={} client={} cache={} path=\"{}\"",
                    ctx.method().name(),
                    route,
                    status,
                    String.format("%.1f", ms),
                    ctx.ip(),
                    ctx.attribute("plinth.cache") == null ? "-" : ctx.attribute("plinth.cache"),
                    (path.length() > 200 ? path.substring(0, 200) + "…" : path)
                            .replace("\"", "%22"));
        }
    }

    /**
     * The route template a request matched, {@code /{url}} for reader targets. A request refused
     * before routing (key, rate limit, body cap) is labelled with the route it was headed for, so
     * the label set stays small whatever paths clients send.
     */
    private static String route(Context ctx) {
        String matched;
        try {
            matched = ctx.endpointHandlerPath();
        } catch (RuntimeException e) {
            matched = "";
        }
        if (!matched.isEmpty() && !matched.equals("*")) {
            return matched.replace("<target>", "{url}");
        }
        String path = ctx.path();
        if (path.startsWith("/v1/")) {
            return "/v1/other";
        }
        return OPEN.contains(path) || path.equals("/metrics") ? path : "/{url}";
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The port the server listens on (the real one when started on port 0). */
    public int port() {
        return app.port();
    }

    /** The server's meters. */
    public Metrics metrics() {
        return metrics;
    }

    /** The configuration it runs with. */
    public Config config() {
        return config;
    }

    /** Blocks until the server has stopped. */
    public void await() throws InterruptedException {
        stopped.await();
    }

    /**
     * Stops gracefully: no new connections, in-flight requests finish, then the browser and cache
     * close.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            app.stop();
        } finally {
            reader.close();
            if (cache != null) {
                cache.close();
            }
            stopped.countDown();
        }
    }
}
