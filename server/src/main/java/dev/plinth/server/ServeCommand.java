package dev.plinth.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code plinth serve}: the HTTP API. Flags override the environment ({@code PLINTH_HOST}, {@code
 * PLINTH_PORT}, {@code PLINTH_API_KEYS}, {@code PLINTH_ALLOW_PRIVATE_NETWORK}, {@code
 * PLINTH_CACHE_DIR}, {@code PLINTH_CACHE}, and the language models' {@code PLINTH_LM_*} of {@link
 * LmFlags}), which overrides the defaults. Runs until SIGTERM or Ctrl-C, then stops gracefully.
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = "Start the HTTP API (reader, and models when loaded).")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--host", description = "Address to bind (default: $PLINTH_HOST or 127.0.0.1).")
    String host;

    @Option(names = "--port", description = "Port to bind (default: $PLINTH_PORT or 8080).")
    Integer port;

    @Option(
            names = "--api-keys",
            split = ",",
            description = "Accepted API keys, comma-separated (default: $PLINTH_API_KEYS).")
    List<String> apiKeys;

    @Option(
            names = "--no-auth",
            description = "Allow binding a non-loopback address without API keys.")
    boolean noAuth;

    @Option(
            names = "--allow-private-network",
            description =
                    "Let the reader fetch private and loopback addresses (default: $PLINTH_ALLOW_PRIVATE_NETWORK).")
    boolean allowPrivateNetwork;

    @Option(
            names = "--cache-dir",
            description = "Page-cache folder (default: $PLINTH_CACHE_DIR or ~/.cache/plinth).")
    Path cacheDir;

    @Option(names = "--no-cache", description = "Run without a page cache (and without Redis).")
    boolean noCache;

    @Option(
            names = "--cache",
            paramLabel = "URL",
            description =
                    "Redis shared by replicas, redis://host:port[/db]: the page cache, rate limits"
                            + " and stored screenshots; instead of --cache-dir (default:"
                            + " $PLINTH_CACHE).")
    String cache;

    @Option(
            names = "--cache-timeout-ms",
            defaultValue = "50",
            description =
                    "Bound on one Redis call, past which the request goes on without Redis"
                            + " (default: ${DEFAULT-VALUE}).")
    int cacheTimeoutMs;

    @Option(
            names = "--cache-ttl-hours",
            defaultValue = "24",
            description = "Longest a page stays in Redis (default: ${DEFAULT-VALUE}).")
    int cacheTtlHours;

    @Option(
            names = "--cache-max-mb",
            defaultValue = "1024",
            description = "Bound on cached page bodies in MiB (default: ${DEFAULT-VALUE}).")
    long cacheMaxMb;

    @Option(
            names = "--rate-limit",
            defaultValue = "600",
            description =
                    "Requests a minute per API key or IP; 0 = unlimited (default: ${DEFAULT-VALUE}).")
    int rateLimit;

    @Option(
            names = "--max-reads",
            defaultValue = "32",
            description = "Reads running at once (default: ${DEFAULT-VALUE}).")
    int maxReads;

    @Option(
            names = "--max-queue",
            defaultValue = "256",
            description =
                    "Reads waiting for a slot before answering 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(
            names = "--max-body-mb",
            defaultValue = "32",
            description = "Request-body cap in MiB (default: ${DEFAULT-VALUE}).")
    int maxBodyMb;

    @Option(
            names = "--proxy",
            paramLabel = "[CC=]URL",
            description =
                    "A proxy requests may ask for with X-Proxy: a two-letter country code and its"
                            + " proxy URL, or just a URL for X-Proxy: auto (repeatable).")
    List<String> proxies = List.of();

    @Option(
            names = "--model-alias",
            paramLabel = "NAME=MODEL",
            description =
                    "Another name for a model, repeatable; MODEL may be @embeddings, @rerank,"
                            + " @multi-vector or @classify for that endpoint's default"
                            + " (default: $PLINTH_MODEL_ALIASES, comma-separated).")
    java.util.Map<String, String> modelAliases;

    @Option(
            names = "--default-model",
            paramLabel = "ENDPOINT=MODEL",
            description =
                    "The model an endpoint (embeddings, rerank, multi-vector, classify) uses when a"
                            + " request names none, repeatable (default: $PLINTH_DEFAULT_MODELS).")
    java.util.Map<String, String> defaultModels;

    @Option(
            names = "--alias-preset",
            paramLabel = "PRESET",
            description =
                    "Answer the model names clients send by default: 'clients' maps Jina's and"
                            + " OpenAI's names (jina-embeddings-v3, text-embedding-3-small, ...) to"
                            + " the default models (default: $PLINTH_ALIAS_PRESET; off).")
    String aliasPreset;

    @picocli.CommandLine.Mixin LmFlags lm = new LmFlags();

    /** Model APIs mounted beside the reader, image URLs behind the default (strict) guard. */
    static List<RouteGroup> modelApis() {
        return modelApis(false);
    }

    /** Model APIs mounted beside the reader; each adds itself here with one line. */
    static List<RouteGroup> modelApis(boolean allowPrivateNetwork) {
        dev.plinth.reader.fetch.Fetcher images =
                new dev.plinth.reader.fetch.Fetcher(
                        dev.plinth.reader.fetch.Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(
                                allowPrivateNetwork));
        List<RouteGroup> apis = new ArrayList<>();
        apis.add(new EmbeddingsRoutes(ServerModels.embedder(), images));
        apis.add(new ModelsRoutes(ServerModels.registry()));
        apis.add(new RerankRoutes(new dev.plinth.models.Reranker(ServerModels.registry()), images));
        apis.add(new MultiVectorRoutes(new dev.plinth.models.MultiVector(ServerModels.registry())));
        apis.add(
                new ClassifyRoutes(
                        new dev.plinth.models.Classifier(ServerModels.embedder()), images));
        apis.add(
                new SegmentRoutes(dev.plinth.models.Segmenter.withModels(ServerModels.registry())));
        return apis;
    }

    @Override
    public Integer call() throws Exception {
        Consumer<Server.Config> config;
        try {
            config = config();
            ServerModels.configure(models());
        } catch (IllegalArgumentException e) {
            System.err.println("plinth serve: " + e.getMessage());
            return 2;
        }
        Server server;
        try {
            server = Server.start(config, modelApis(allowPrivateNetwork()));
        } catch (IllegalArgumentException | Server.PortInUseException e) {
            System.err.println("plinth: " + e.getMessage());
            return 2;
        } catch (java.io.IOException | RuntimeException e) {
            // A cache folder not writable…: say so plainly; a stack trace helps nobody here.
            System.err.println("plinth serve: cannot start: " + e.getMessage());
            return 1;
        }
        // Until here no native library is loaded; from here a signal drains before the JVM exits.
        Stopper.install(server);
        ServerModels.preloadDefault();
        System.err.println(
                "plinth: serving on http://" + server.config().host + ":" + server.port());
        server.await();
        ServerModels.close();
        return 0;
    }

    /**
     * Stops the server on SIGTERM and Ctrl-C, before the JVM starts shutting down.
     *
     * <p>Why not a shutdown hook. The JVM runs shutdown hooks all at once, and ONNX Runtime
     * registers one that frees its native environment: a model still loading (or running) when that
     * hook fires crashes the JVM (SIGSEGV in {@code createSession}). So the signal is taken here
     * instead: the server drains its requests and closes its models — waiting for a load in
     * progress — and only then does {@code serve} return and the JVM exit, when no native work is
     * left for any hook to pull the floor from under. A signal before the models start loading
     * finds no native library to harm and takes the JVM's usual way out. A second signal stops at
     * once.
     */
    static final class Stopper {
        private final Server server;
        private final AtomicBoolean requested = new AtomicBoolean();

        private Stopper(Server server) {
            this.server = server;
        }

        static void install(Server server) {
            Stopper stopper = new Stopper(server);
            for (String name : List.of("TERM", "INT")) {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stopper.stop());
            }
        }

        private void stop() {
            if (!requested.compareAndSet(false, true)) {
                // A second signal while draining: the user wants out now.
                System.err.println("plinth: stopping at once");
                Runtime.getRuntime().halt(1);
            }
            server.close();
        }
    }

    /** The server settings: flags, else the environment, else the defaults. */
    Consumer<Server.Config> config() {
        String host = this.host != null ? this.host : env("PLINTH_HOST", "127.0.0.1");
        int port = this.port != null ? this.port : port(env("PLINTH_PORT", "8080"));
        List<String> keys =
                apiKeys != null
                        ? clean(apiKeys)
                        : clean(Arrays.asList(env("PLINTH_API_KEYS", "").split(",")));
        boolean allowPrivate = allowPrivateNetwork();
        String redis = redis();
        Path cache =
                noCache || redis != null ? null : cacheDir != null ? cacheDir : defaultCacheDir();
        Map<String, String> proxyTable = new LinkedHashMap<>();
        for (String proxy : proxies) {
            int eq = proxy.indexOf('=');
            boolean country = eq == 2 && proxy.substring(0, 2).matches("[A-Za-z]{2}");
            String url = country ? proxy.substring(3).strip() : proxy.strip();
            if (!url.matches("(?i)(https?|socks5h?)://.+")) {
                throw new IllegalArgumentException(
                        "--proxy takes [CC=]URL with an http, https or socks5 URL, not \""
                                + proxy
                                + "\"");
            }
            proxyTable.put(country ? proxy.substring(0, 2).toLowerCase(Locale.ROOT) : "", url);
        }
        Server.Config models = new Server.Config();
        lm.apply(models);
        return c -> {
            c.lm = models.lm;
            c.vlm = models.vlm;
            c.lmConcurrency = models.lmConcurrency;
            c.lmQueue = models.lmQueue;
            c.lmContextTokens = models.lmContextTokens;
            c.lmTimeout = models.lmTimeout;
            c.lmFallback = models.lmFallback;
            c.host = host;
            c.port = port;
            c.apiKeys = keys;
            c.noAuth = noAuth;
            c.allowPrivateNetwork = allowPrivate;
            c.cacheDir = cache;
            c.cacheMaxBytes = cacheMaxMb << 20;
            c.redis = redis;
            c.redisTimeout = java.time.Duration.ofMillis(cacheTimeoutMs);
            c.redisPageTtl = java.time.Duration.ofHours(cacheTtlHours);
            c.rateLimitPerMinute = rateLimit;
            c.maxReads = maxReads;
            c.maxQueue = maxQueue;
            c.maxBodyBytes = Math.toIntExact((long) maxBodyMb << 20);
            c.proxies = proxyTable;
        };
    }

    /**
     * The Redis URL: {@code --cache}, else {@code PLINTH_CACHE} unless a flag chose another cache
     * ({@code --cache-dir}) or none ({@code --no-cache}); two caches on the command line are an
     * error.
     */
    private String redis() {
        if (cache != null && (noCache || cacheDir != null)) {
            throw new IllegalArgumentException(
                    "--cache names Redis as the page cache; drop "
                            + (noCache ? "--no-cache" : "--cache-dir"));
        }
        String url =
                cache != null
                        ? cache
                        : noCache || cacheDir != null ? null : env("PLINTH_CACHE", null);
        if (url != null) {
            Redis.parse(url);
            if (cacheTimeoutMs < 1 || cacheTtlHours < 1) {
                throw new IllegalArgumentException(
                        "--cache-timeout-ms and --cache-ttl-hours must be at least 1, not "
                                + cacheTimeoutMs
                                + " and "
                                + cacheTtlHours);
            }
        }
        return url;
    }

    /** Whether targets and images may be private addresses: the flag or the environment. */
    private boolean allowPrivateNetwork() {
        return allowPrivateNetwork
                || Boolean.parseBoolean(env("PLINTH_ALLOW_PRIVATE_NETWORK", "false"));
    }

    /** The model registry's options: aliases, the preset, default models per endpoint. */
    dev.plinth.models.ModelRegistry.Options models() {
        var options = dev.plinth.models.ModelRegistry.Options.defaults();
        String preset = aliasPreset != null ? aliasPreset : env("PLINTH_ALIAS_PRESET", null);
        if (preset != null) {
            if (!preset.equals("clients"))
                throw new IllegalArgumentException(
                        "--alias-preset must be 'clients', not '" + preset + "'");
            options = options.withAliases(dev.plinth.models.ModelRegistry.CLIENT_ALIASES);
        }
        options =
                options.withAliases(
                        modelAliases != null
                                ? modelAliases
                                : pairs("PLINTH_MODEL_ALIASES", env("PLINTH_MODEL_ALIASES", "")));
        var defaults =
                defaultModels != null
                        ? defaultModels
                        : pairs("PLINTH_DEFAULT_MODELS", env("PLINTH_DEFAULT_MODELS", ""));
        for (var d : defaults.entrySet()) options = options.withDefault(d.getKey(), d.getValue());
        return options;
    }

    /** {@code a=b,c=d} as a map; a clear error naming {@code what} for a pair without '='. */
    static java.util.Map<String, String> pairs(String what, String text) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String pair : text.split(",")) {
            if (pair.isBlank()) continue;
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1)
                throw new IllegalArgumentException(
                        what + " takes NAME=MODEL pairs, not \"" + pair.strip() + "\"");
            out.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
        }
        return out;
    }

    private static int port(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "PLINTH_PORT must be a port number, not \"" + value + "\"");
        }
    }

    private static Path defaultCacheDir() {
        String env = System.getenv("PLINTH_CACHE_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base =
                xdg != null && !xdg.isBlank()
                        ? Path.of(xdg)
                        : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("plinth");
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v.strip();
    }

    private static List<String> clean(List<String> keys) {
        return keys.stream().map(String::strip).filter(k -> !k.isEmpty()).toList();
    }
}
