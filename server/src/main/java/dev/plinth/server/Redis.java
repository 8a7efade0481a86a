package dev.plinth.server;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis that replicas share: one client and one multiplexed connection through which the page
 * cache ({@link RedisPageStore}), the rate limits ({@link RedisRateLimiter}) and stored screenshots
 * ({@link RedisShotStore}) reach it.
 *
 * <p>Notes. Redis speeds replicas up and makes them agree; a read never depends on it. Every call
 * is bounded by a timeout of tens of milliseconds and every failure is an {@link IOException} that
 * the caller turns into its local fallback (a cache miss, the replica's own bucket, memory). Each
 * way Redis can be away costs a request as little as possible:
 *
 * <ul>
 *   <li><b>Down at start.</b> plinth starts anyway; a background thread connects with backoff, and
 *       until it has, calls fail at once.
 *   <li><b>Dropped.</b> Lettuce reconnects by itself; meanwhile it rejects commands at once rather
 *       than buffering them ({@code REJECT_COMMANDS}), and commands cut off by the drop are not
 *       replayed after the reconnect: a late {@code SET} of an old page or a second token taken for
 *       one request would both be wrong.
 *   <li><b>Slow or hung.</b> A call that outlives its timeout fails. After {@value #TRIP_AFTER}
 *       failures in a row the circuit opens: calls fail at once for {@link #COOL_DOWN}, then the
 *       next call tries again (one failure reopens it, one success closes it). So a hung Redis
 *       costs a request nothing instead of the timeout, and Lettuce's queue (bounded by {@value
 *       #QUEUE}) cannot fill with commands nobody waits for.
 * </ul>
 *
 * Errors Redis answers (out of memory under {@code noeviction}, a wrong type) fail that call only
 * and do not open the circuit: the connection is fine.
 */
final class Redis implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Redis.class);

    /** Keys are strings, values bytes: pages and screenshots are binary. */
    private static final RedisCodec<String, byte[]> CODEC =
            RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    /** Failures in a row that open the circuit. */
    static final int TRIP_AFTER = 3;

    /** How long an open circuit fails calls without trying Redis. */
    static final Duration COOL_DOWN = Duration.ofSeconds(1);

    /** Commands Lettuce may hold unanswered before it refuses more. */
    private static final int QUEUE = 4096;

    /** Longest wait between two attempts to connect or reconnect. */
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);

    private final RedisURI uri;
    private final String where;
    private final Duration timeout;
    private final ClientResources resources;
    private final RedisClient client;
    private final AtomicInteger failures = new AtomicInteger();
    private volatile long openUntil = System.nanoTime();
    private volatile String lastFailure = "";
    private volatile StatefulRedisConnection<String, byte[]> connection;
    private volatile boolean closed;
    private Thread connector;

    private Redis(RedisURI uri, Duration timeout) {
        this.uri = uri;
        this.where = uri.getHost() + ":" + uri.getPort() + "/" + uri.getDatabase();
        this.timeout = timeout;
        this.resources =
                DefaultClientResources.builder()
                        .ioThreadPoolSize(2)
                        .computationThreadPoolSize(2)
                        .reconnectDelay(
                                Delay.exponential(
                                        Duration.ofMillis(20),
                                        MAX_BACKOFF,
                                        2,
                                        TimeUnit.MILLISECONDS))
                        .build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(
                ClientOptions.builder()
                        .autoReconnect(true)
                        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                        .replayFilter(command -> true)
                        .requestQueueSize(QUEUE)
                        .socketOptions(
                                SocketOptions.builder()
                                        .connectTimeout(Duration.ofSeconds(2))
                                        .keepAlive(true)
                                        .tcpNoDelay(true)
                                        .build())
                        .build());
    }

    /**
     * Connects to the Redis at {@code url} ({@code redis://[:password@]host:port[/db]}, or {@code
     * rediss://} for TLS), bounding each call by {@code timeout}. A Redis that cannot be reached
     * now is connected to in the background; until then every call fails at once.
     *
     * @throws IllegalArgumentException when {@code url} is not a Redis URL
     */
    static Redis open(String url, Duration timeout) {
        Redis redis = new Redis(parse(url), timeout);
        if (!redis.tryConnect(true)) {
            redis.connector = Thread.ofVirtual().name("plinth-redis-connect").start(redis::connect);
        }
        return redis;
    }

    /** {@code url} as Lettuce's URI; a clear error for anything else. */
    static RedisURI parse(String url) {
        String scheme = url.contains("://") ? url.substring(0, url.indexOf("://")) : "";
        if (!scheme.equalsIgnoreCase("redis") && !scheme.equalsIgnoreCase("rediss")) {
            throw new IllegalArgumentException(
                    "the shared cache must be a redis://host:port[/db] URL, not \"" + url + "\"");
        }
        try {
            return RedisURI.create(url);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "cannot read the Redis URL \"" + url + "\": " + e.getMessage(), e);
        }
    }

    /** Keeps trying to connect, backing off up to {@link #MAX_BACKOFF}, until it has or closes. */
    private void connect() {
        long backoffMs = 50;
        while (!closed) {
            try {
                Thread.sleep(backoffMs);
            } catch (InterruptedException e) {
                return;
            }
            if (tryConnect(false)) {
                return;
            }
            backoffMs = Math.min(MAX_BACKOFF.toMillis(), backoffMs * 2);
        }
    }

    private boolean tryConnect(boolean first) {
        try {
            StatefulRedisConnection<String, byte[]> c = client.connect(CODEC);
            synchronized (this) {
                if (closed) {
                    c.closeAsync();
                    return true;
                }
                connection = c;
            }
            if (!first) {
                LOG.warn("redis {}: connected; the shared cache and rate limits are back", where);
            }
            checkEviction(c);
            return true;
        } catch (RuntimeException e) {
            if (first) {
                LOG.warn(
                        "redis {} cannot be reached ({}); serving without it and connecting in"
                                + " the background",
                        where,
                        e.getMessage());
            }
            return false;
        }
    }

    /**
     * Warns when Redis would grow without bound or refuse writes when full: plinth bounds its keys
     * by a time to live, and Redis's own {@code maxmemory} bounds its memory.
     */
    private void checkEviction(StatefulRedisConnection<String, byte[]> c) {
        try {
            String info =
                    c.async().info("memory").get(timeout.toMillis() * 10, TimeUnit.MILLISECONDS);
            String max = field(info, "maxmemory");
            String policy = field(info, "maxmemory_policy");
            if ("0".equals(max)) {
                LOG.warn(
                        "redis {} has no maxmemory: cached pages leave only when their time to"
                                + " live ends; set maxmemory and maxmemory-policy allkeys-lru to"
                                + " bound it",
                        where);
            } else if ("noeviction".equals(policy)) {
                LOG.warn(
                        "redis {} evicts nothing (maxmemory-policy noeviction): once full, pages"
                                + " stop being cached; allkeys-lru keeps the recent ones",
                        where);
            }
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.debug("redis {}: INFO memory unavailable: {}", where, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String field(String info, String name) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).strip().toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    /** One Redis command, issued on the shared connection. */
    interface Command<T> {
        RedisFuture<T> on(RedisAsyncCommands<String, byte[]> redis);
    }

    /**
     * Runs {@code command} within the timeout; {@code what} names it in errors. Any failure
     * (unreachable, slow, refused) is an {@link IOException}.
     */
    <T> T call(String what, Command<T> command) throws IOException {
        return call(what, timeout, command);
    }

    /** {@link #call(String, Command)} with a wait of its own, for large values. */
    <T> T call(String what, Duration wait, Command<T> command) throws IOException {
        StatefulRedisConnection<String, byte[]> c = connection;
        if (c == null) {
            throw new IOException(what + ": redis " + where + " is not connected yet");
        }
        if (System.nanoTime() - openUntil < 0) {
            throw new IOException(
                    what
                            + ": redis "
                            + where
                            + " failed "
                            + TRIP_AFTER
                            + " times in a row ("
                            + lastFailure
                            + "); trying again within "
                            + COOL_DOWN.toMillis()
                            + " ms");
        }
        if (!c.isOpen()) {
            throw failed(what, "the connection is down; reconnecting");
        }
        RedisFuture<T> future = null;
        try {
            future = command.on(c.async());
            T value = future.get(wait.toNanos(), TimeUnit.NANOSECONDS);
            failures.set(0);
            return value;
        } catch (TimeoutException e) {
            future.cancel(false);
            throw failed(what, "no answer within " + wait.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RedisCommandExecutionException refused) {
                // Redis answered: the connection is healthy; only this command failed.
                failures.set(0);
                throw new Refused(what, where, refused.getMessage());
            }
            throw failed(what, String.valueOf(cause.getMessage()));
        } catch (InterruptedException e) {
            if (future != null) {
                future.cancel(false);
            }
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + ": interrupted while waiting for redis");
        } catch (RuntimeException e) {
            throw failed(what, String.valueOf(e.getMessage()));
        }
    }

    /** A failure that counts towards opening the circuit. */
    private IOException failed(String what, String why) {
        lastFailure = why;
        if (failures.incrementAndGet() >= TRIP_AFTER) {
            openUntil = System.nanoTime() + COOL_DOWN.toNanos();
        }
        return new IOException(what + ": redis " + where + ": " + why);
    }

    /** Redis answered the command with an error (e.g. {@code NOSCRIPT}, {@code OOM}). */
    static final class Refused extends IOException {
        final String reply;

        Refused(String what, String where, String reply) {
            super(what + ": redis " + where + " refused it: " + reply);
            this.reply = reply == null ? "" : reply;
        }
    }

    /**
     * A Lua script run by its SHA-1 ({@code EVALSHA}), sent whole once Redis says it does not have
     * it (first use, or after a restart emptied its script cache).
     */
    final class Script {
        private final String lua;
        private final String sha;

        private Script(String lua) {
            this.lua = lua;
            this.sha = sha1(lua);
        }

        /** Runs the script on {@code key} with {@code args}; its integer reply. */
        long run(String what, String key, String... args) throws IOException {
            String[] keys = {key};
            byte[][] values = new byte[args.length][];
            for (int i = 0; i < args.length; i++) {
                values[i] = args[i].getBytes(StandardCharsets.US_ASCII);
            }
            Long reply;
            try {
                reply =
                        call(
                                what,
                                r -> r.<Long>evalsha(sha, ScriptOutputType.INTEGER, keys, values));
            } catch (Refused e) {
                if (!e.reply.startsWith("NOSCRIPT")) {
                    throw e;
                }
                reply = call(what, r -> r.<Long>eval(lua, ScriptOutputType.INTEGER, keys, values));
            }
            return reply;
        }
    }

    /** {@code lua} as a script to run on this Redis. */
    Script script(String lua) {
        return new Script(lua);
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-1")
                                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }

    /** Whether the connection is up now. */
    boolean connected() {
        StatefulRedisConnection<String, byte[]> c = connection;
        return c != null && c.isOpen();
    }

    /** host:port/db, for logs (never the password). */
    String where() {
        return where;
    }

    /** The bound on one call. */
    Duration timeout() {
        return timeout;
    }

    @Override
    public void close() {
        StatefulRedisConnection<String, byte[]> c;
        synchronized (this) {
            closed = true;
            c = connection;
        }
        if (connector != null) {
            connector.interrupt();
        }
        try {
            if (c != null) {
                c.close();
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }
}
