package dev.plinth.server;

import dev.plinth.browser.Browser;
import dev.plinth.reader.CachingSource;
import dev.plinth.reader.Engines;
import dev.plinth.reader.PageSource;
import dev.plinth.reader.Reader;
import dev.plinth.reader.fetch.Fetcher;
import dev.plinth.reader.lm.ReaderLm;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
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
    private static final Set<String> OPEN =
            Set.of("/", "/health", "/favicon.ico", "/openapi.json", "/openapi.yaml");

    /** Where the playground's static files are served; open too, since the page asks for keys. */
    static final String PLAYGROUND = dev.plinth.server.playground.Playground.PATH;

    /** Bytes of screenshots an embedded shot store keeps. */
    private static final long SHOTS_BYTES = 256L << 20;

    /** The request attribute holding the caller's API key (absent without auth). */
    static final String API_KEY = "plinth.key";

    /** Failed authentications a minute from one address before it is told to wait. */
    private static final int AUTH_FAILURES_PER_MINUTE = 30;

    /**
     * How the server runs: a mutable object handed to the consumer given to {@link #start}, as
     * Javalin's own config is. Every field has its default.
     */
    public static final class Config {
        /** Address to bind; <b>127.0.0.1</b>. */
        public String host = "127.0.0.1";

        /** Port to bind, 0 for any free one; <b>8080</b>. */
        public int port = 8080;

        /** Accepted {@code Authorization: Bearer} keys; empty = no auth. */
        public List<String> apiKeys = List.of();

        /** Allow binding a non-loopback address without keys. */
        public boolean noAuth;

        /** Let the fetcher and browser reach private addresses. */
        public boolean allowPrivateNetwork;

        /** Page-cache folder; null = no cache. */
        public Path cacheDir;

        /**
         * Redis shared by replicas ({@code redis://host:port[/db]}): the page cache, the rate
         * limits and stored shots; null = none. It replaces {@link #cacheDir}, which must then be
         * null.
         */
        public String redis;

        /** Bound on one Redis call, past which a request goes on without it; <b>50 ms</b>. */
        public Duration redisTimeout = Duration.ofMillis(50);

        /** Longest a page stays in Redis; <b>24 h</b>. */
        public Duration redisPageTtl = Duration.ofHours(24);

        /** Bound on cached page bodies; <b>1 GiB</b>. */
        public long cacheMaxBytes = 1L << 30;

        /** Requests a minute per key or IP; 0 = unlimited; <b>600</b>. */
        public int rateLimitPerMinute = 600;

        /** Reads running at once; <b>32</b>. */
        public int maxReads = 32;

        /** Reads waiting for a slot before 429; <b>256</b>. */
        public int maxQueue = 256;

        /** Longest wait for a read slot before 429; <b>30 s</b>. */
        public Duration maxQueueWait = Duration.ofSeconds(30);

        /** Request-body cap, chunked bodies included; <b>32 MiB</b>. */
        public int maxBodyBytes = 32 << 20;

        /** How long in-flight requests may take to finish on stop; <b>30 s</b>. */
        public Duration stopTimeout = Duration.ofSeconds(30);

        /** Whether to look for a browser engine (Chromium); <b>true</b>. */
        public boolean browser = true;

        /**
         * Proxies a request may ask for with {@code X-Proxy}: by two-letter country code, {@code
         * ""} for the default; none by default.
         */
        public Map<String, String> proxies = Map.of();

        /**
         * Stored screenshots and pageshots; null = <b>in memory, 256 MiB in all</b> (in Redis when
         * {@link #redis} is set).
         */
        public ShotStore shots;

        /**
         * The OpenAI-compatible backend serving ReaderLM-v2, for {@code readerlm-v2}, {@code
         * instruction} and {@code jsonSchema}; null = none, and those options answer 400.
         */
        public ReaderLm.Backend lm;

        /** The backend serving a vision model, for {@code vlm} and generated alt text; or null. */
        public ReaderLm.Backend vlm;

        /** Language-model calls in flight at once; <b>2</b>. */
        public int lmConcurrency = 2;

        /** Language-model calls waiting for a slot before 429; <b>16</b>. */
        public int lmQueue = 16;

        /** The model's context window as served, in tokens; <b>32768</b>. */
        public int lmContextTokens = 32_768;

        /** Longest one read waits for the language models; <b>120 s</b>. */
        public Duration lmTimeout = Duration.ofSeconds(120);

        /** Let {@code X-Engine: auto} hand unsure pages to the language model; <b>off</b>. */
        public boolean lmFallback;
    }

    private final Config config;
    private final Javalin app;
    private final Reader reader;
    private final Metrics metrics;
    private final Redis redis;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Server(Config config, Javalin app, Reader reader, Metrics metrics, Redis redis) {
        this.config = config;
        this.app = app;
        this.reader = reader;
        this.metrics = metrics;
        this.redis = redis;
    }

    /**
     * Starts the reader API plus {@code apis} (model route groups, may be empty) as {@code
     * configure} sets up the {@link Config}. Nothing slow or native happens here beyond binding the
     * port, so a busy port fails fast and leaves nothing half-started.
     *
     * @throws IllegalArgumentException when a non-loopback address would be served without keys or
     *     --no-auth
     * @throws PortInUseException when the port is taken
     * @throws IOException when the cache cannot be opened
     */
    public static Server start(Consumer<Config> configure, List<RouteGroup> apis)
            throws IOException {
        Config config = new Config();
        configure.accept(config);
        config.apiKeys = List.copyOf(config.apiKeys);
        if (config.apiKeys.isEmpty() && !config.noAuth && !isLoopback(config.host)) {
            throw new IllegalArgumentException(
                    "binding "
                            + config.host
                            + " exposes the server beyond this machine: "
                            + "set API keys (--api-keys or PLINTH_API_KEYS) or pass --no-auth");
        }
        if (config.redis != null) {
            if (config.cacheDir != null) {
                throw new IllegalArgumentException(
                        "two page caches named: a folder ("
                                + config.cacheDir
                                + ") and Redis ("
                                + config.redis
                                + "); pick one");
            }
            Redis.parse(config.redis);
        }
        // Bound first, before anything else starts: a taken port is one plain error, and Jetty
        // never begins a start it would have to unwind.
        ServerSocketChannel listening = bind(config);
        Metrics metrics = new Metrics();
        Redis redis = null;
        Reader reader;
        try {
            redis = shared(config, metrics);
            reader = reader(config, metrics, redis);
        } catch (IOException | RuntimeException e) {
            listening.close();
            if (redis != null) {
                redis.close();
            }
            throw e;
        }
        ReadSlots slots =
                new ReadSlots(config.maxReads, config.maxQueue, config.maxQueueWait.toMillis());
        ReadService service =
                new ReadService(reader, slots, metrics, config.cacheDir != null || redis != null);
        metrics.gauge("plinth.reads.active", "Reads running now", service::active);
        metrics.gauge("plinth.reads.queued", "Reads waiting for a slot", service::waiting);
        Admission admission =
                new Admission(
                        config,
                        RateLimiter.of(
                                redis,
                                "requests",
                                config.rateLimitPerMinute,
                                metrics::rateLimitStoreFailed),
                        RateLimiter.of(
                                redis,
                                "auth-failures",
                                AUTH_FAILURES_PER_MINUTE,
                                metrics::rateLimitStoreFailed));

        Javalin app =
                Javalin.create(c -> {
                    c.useVirtualThreads = true;
                    c.showJavalinBanner = false;
                    c.startupWatcherEnabled = false;
                    c.http.maxRequestSize = config.maxBodyBytes;
                    c.jetty.addConnector((server, http) -> {
                        ServerConnector connector =
                                new ServerConnector(server, new HttpConnectionFactory(http));
                        connector.setHost(config.host);
                        connector.setPort(config.port);
                        // A burst of clients waits in the kernel's queue instead
                        // of being reset.
                        connector.setAcceptQueueSize(1024);
                        try {
                            // Jetty serves the socket bound above: binding the port again
                            // would find it taken (by that very socket).
                            connector.open(listening);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                        return connector;
                    });
                    c.jetty.multipartConfig.maxFileSize(config.maxBodyBytes, SizeUnit.BYTES);
                    c.jetty.multipartConfig.maxTotalRequestSize(
                            config.maxBodyBytes, SizeUnit.BYTES);
                    c.jetty.multipartConfig.maxInMemoryFileSize(1 << 20, SizeUnit.BYTES);
                    c.jetty.modifyServer(s -> {
                        s.setStopTimeout(config.stopTimeout.toMillis());
                        s.setErrorHandler(new JsonErrorHandler());
                    });
                    c.jetty.modifyServletContextHandler(
                            h -> BodyCap.install(h, config.maxBodyBytes));
                    c.jetty.modifyHttpConfiguration(h -> h.setSendServerVersion(false));
                    c.requestLogger.http((ctx, ms) -> logRequest(metrics, ctx, ms));
                });
        Errors.install(app);
        app.before(admission::admit);
        app.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
        app.get(
                "/metrics",
                ctx ->
                        ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                                .result(metrics.scrape()));
        List<RouteGroup> groups = new ArrayList<>(apis);
        ShotStore shots =
                config.shots != null
                        ? config.shots
                        : redis == null
                                ? new MemoryShotStore(SHOTS_BYTES)
                                : new RedisShotStore(
                                        redis,
                                        new MemoryShotStore(SHOTS_BYTES),
                                        metrics::shotStoreFailed);
        // MCP's tools call the API itself on loopback, so they meet the same guards and messages.
        String self = "http://" + loopbackFor(config.host) + ":";
        groups.add(
                dev.plinth.server.mcp.Mcp.http(
                        () -> self + app.port(), admission.internal, !apis.isEmpty()));
        groups.add(dev.plinth.server.playground.Playground.routes(!apis.isEmpty()));
        groups.add(
                dev.plinth.server.openapi.OpenApi.routes(
                        ReaderOptions.documented(), !apis.isEmpty()));
        groups.add(
                new ReaderRoutes(
                        service,
                        config.maxBodyBytes,
                        new ReaderOptions.ServerSide(config.proxies),
                        shots));
        for (RouteGroup group : groups) {
            group.register(app);
        }
        try {
            app.start();
        } catch (RuntimeException e) {
            reader.close();
            listening.close();
            if (redis != null) {
                redis.close();
            }
            throw e;
        }
        if (config.lm != null) {
            LOG.info(
                    "language models: {}{}{}",
                    config.lm,
                    config.vlm == null ? "" : ", vision " + config.vlm,
                    config.lmFallback ? ", fallback for unsure pages on" : "");
        }
        LOG.info(
                "plinth serving on http://{}:{} (cache: {}, auth: {}, private network: {})",
                config.host,
                app.port(),
                redis != null
                        ? "redis " + redis.where()
                        : config.cacheDir == null ? "off" : config.cacheDir,
                config.apiKeys.isEmpty() ? "off" : config.apiKeys.size() + " key(s)",
                config.allowPrivateNetwork ? "allowed" : "refused");
        return new Server(config, app, reader, metrics, redis);
    }

    /** The Redis replicas share, when one is configured, with a gauge of its connection. */
    private static Redis shared(Config config, Metrics metrics) {
        if (config.redis == null) {
            return null;
        }
        Redis redis = Redis.open(config.redis, config.redisTimeout);
        metrics.gauge(
                "plinth.redis.connected",
                "1 while the shared Redis is connected, else 0",
                () -> redis.connected() ? 1 : 0);
        return redis;
    }

    /** The reader behind the routes: engines, then the cache in front of them. */
    private static Reader reader(Config config, Metrics metrics, Redis redis) throws IOException {
        Fetcher fetcher =
                new Fetcher(
                        Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(
                                config.allowPrivateNetwork));
        Browser browser =
                config.browser
                        ? Browser.ifInstalled(new Browser.Settings(config.allowPrivateNetwork))
                        : null;
        PageSource source = new Engines(fetcher, browser, fetcher.settings().timeout());
        if (redis != null) {
            source =
                    new CachingSource(
                            source,
                            new RedisPageStore(redis, config.redisPageTtl),
                            metrics.cacheListener());
        } else if (config.cacheDir != null) {
            SqlitePageStore store = SqlitePageStore.open(config.cacheDir, config.cacheMaxBytes);
            metrics.gauge("plinth.cache.bytes", "Bytes of cached page bodies", store::bytes);
            source = new CachingSource(source, store, metrics.cacheListener());
        }
        return new Reader(source, lmSettings(config, fetcher));
    }

    /** The reader's settings with the language models configured, if any. */
    static Reader.Settings lmSettings(Config config, Fetcher fetcher) {
        if (config.lm == null) {
            if (config.vlm != null) {
                throw new IllegalArgumentException(
                        "--vlm-url needs --lm-url too: the vision model works beside ReaderLM-v2");
            }
            return Reader.Settings.DEFAULTS;
        }
        int context = config.lmContextTokens;
        ReaderLm lm =
                new ReaderLm(
                        ReaderLm.Settings.builder(config.lm)
                                .vlm(config.vlm)
                                .concurrency(config.lmConcurrency, config.lmQueue)
                                .vlmConcurrency(config.lmConcurrency, config.lmQueue)
                                // A quarter of the context for the answer, as the model card's
                                // 8k of 32k.
                                .context(context, Math.max(64, Math.min(8192, context / 4)))
                                .build());
        return Reader.Settings.DEFAULTS.withLm(
                lm, config.lmTimeout, config.lmFallback, images(fetcher));
    }

    /** Images to caption come through the reader's fetcher: its SSRF guard, size and time caps. */
    static ReaderLm.ImageLoader images(Fetcher fetcher) {
        return (url, timeout) -> {
            dev.plinth.reader.Page page;
            try {
                page = fetcher.fetch(url, null);
            } catch (dev.plinth.reader.ReaderException e) {
                throw new IOException(e.getMessage(), e);
            }
            if (page.status() >= 400) {
                throw new IOException("HTTP " + page.status());
            }
            return new ReaderLm.Image(page.body(), page.contentType());
        };
    }

    /** Thrown by {@link #start} when the port is taken by another process. */
    public static final class PortInUseException extends IOException {
        PortInUseException(int port, Throwable cause) {
            super("port " + port + " is already in use (try --port)", cause);
        }
    }

    /**
     * The listening socket. Its backlog is large so that a burst of clients waits in the kernel's
     * queue instead of being reset.
     */
    private static ServerSocketChannel bind(Config config) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(new InetSocketAddress(config.host, config.port), 1024);
            return channel;
        } catch (BindException e) {
            channel.close();
            throw new PortInUseException(config.port, e);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * API key, rate limit and body cap, in that order, before any route runs. A failed key counts
     * against the caller's address, so keys cannot be guessed at line rate.
     */
    private static final class Admission {
        private final List<byte[]> keys;
        private final RateLimiter limiter;
        private final RateLimiter authFailures;
        private final int maxBody;

        /** The secret that marks the MCP tools' calls of the API; new with every start. */
        final String internal = secret();

        private static String secret() {
            byte[] bytes = new byte[24];
            new java.security.SecureRandom().nextBytes(bytes);
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        }

        Admission(Config config, RateLimiter limiter, RateLimiter authFailures) {
            this.keys =
                    config.apiKeys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
            this.limiter = limiter;
            this.authFailures = authFailures;
            this.maxBody = config.maxBodyBytes;
        }

        void admit(Context ctx) {
            if ((OPEN.contains(ctx.path()) || ctx.path().startsWith(PLAYGROUND))
                    && ctx.method().name().equals("GET")) {
                return;
            }
            String client = "ip:" + ctx.ip();
            if (!keys.isEmpty()) {
                String auth = ctx.header("Authorization");
                String key =
                        auth == null
                                ? ""
                                : auth.regionMatches(true, 0, "Bearer ", 0, 7)
                                        ? auth.substring(7).strip()
                                        : auth.strip();
                byte[] given = key.getBytes(StandardCharsets.UTF_8);
                if (keys.stream().noneMatch(k -> MessageDigest.isEqual(k, given))) {
                    long wait = authFailures.acquire(client);
                    if (wait > 0) {
                        throw ApiException.tooManyRequests(
                                "too many failed authentications from this address; retry in "
                                        + wait
                                        + " s",
                                wait);
                    }
                    ctx.header("WWW-Authenticate", "Bearer");
                    throw key.isEmpty()
                            ? new ApiException(
                                    401,
                                    "AuthenticationRequiredError",
                                    "an API key is required: send Authorization: Bearer <key>")
                            : new ApiException(
                                    401, "AuthenticationFailedError", "the API key is not valid");
                }
                client = "key:" + key;
                ctx.attribute(API_KEY, key);
            }
            // A tool call's own API call was counted as the /mcp request that made it.
            boolean ownCall =
                    MessageDigest.isEqual(
                            internal.getBytes(StandardCharsets.UTF_8),
                            String.valueOf(ctx.header(dev.plinth.server.mcp.Mcp.INTERNAL_HEADER))
                                    .getBytes(StandardCharsets.UTF_8));
            if (!ctx.path().equals("/metrics") && !ownCall) {
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

    /** The address this machine reaches the server at: a wildcard bind answers on loopback. */
    private static String loopbackFor(String host) {
        try {
            InetAddress address = InetAddress.getByName(host);
            if (address.isAnyLocalAddress()) {
                return "127.0.0.1";
            }
            return address instanceof java.net.Inet6Address
                    ? "[" + address.getHostAddress() + "]"
                    : address.getHostAddress();
        } catch (UnknownHostException e) {
            return host;
        }
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
     * Stops gracefully: no new connections, in-flight requests finish (up to the stop timeout),
     * then the reader (browser, cache) closes, then the connection to Redis.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            app.stop();
        } finally {
            try {
                reader.close();
            } finally {
                try {
                    if (redis != null) {
                        redis.close();
                    }
                } finally {
                    stopped.countDown();
                }
            }
        }
    }
}
