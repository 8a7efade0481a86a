package dev.plinth.reader;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A cache in front of any {@link PageSource}: pages, not results, so one load serves every format
 * and selector.
 *
 * <p>Rules, each one here and nowhere else:
 *
 * <ul>
 *   <li>The key is the normalized URL, the source's network policy and every component of {@link
 *       FetchOptions} except those marked {@link FetchOptions.NotInCacheKey}: a new fetch option is
 *       part of the key by construction.
 *   <li>The wrapped source's policy is asked first ({@link PageSource#admit}), for the URL asked
 *       for and for the final URL of a cached page: a hit never returns what the current policy
 *       would refuse, whoever stored it.
 *   <li>Pages loaded with cookies may be personal: they are neither stored nor served.
 *   <li>Only successful pages (2xx) are stored, and none a request asked to keep out ({@code
 *       noStore}).
 *   <li>A failing store is a miss, never a failed read.
 * </ul>
 */
public final class CachingSource implements PageSource {

    /** What the cache does, for metrics and logs; every method has a no-op default. */
    public interface Listener {
        /** A read took its page from the cache. */
        default void hit() {}

        /** A read looked in the cache and loaded instead. */
        default void miss() {}

        /** The store failed; the read went on without it. */
        default void storeFailed(IOException e) {}
    }

    private final PageSource source;
    private final PageStore store;
    private final Listener listener;

    public CachingSource(PageSource source, PageStore store, Listener listener) {
        this.source = source;
        this.store = store;
        this.listener = listener;
    }

    @Override
    public Page load(URI target, FetchOptions options) throws ReaderException {
        source.admit(target);
        if (!options.cookies().isEmpty()) {
            return source.load(target, options);
        }
        String key = key(target, source.policy(), options);
        Duration tolerance = options.cacheTolerance();
        if (tolerance.isPositive()) {
            Page stored = stored(key);
            if (stored != null
                    && !stored.loadedAt().isBefore(Instant.now().minus(tolerance))
                    && admitted(stored.url())) {
                listener.hit();
                return stored.asCached();
            }
            listener.miss();
        }
        Page page = source.load(target, options);
        if (page.status() >= 200 && page.status() < 300 && !options.noStore()) {
            try {
                store.put(key, page);
            } catch (IOException e) {
                listener.storeFailed(e);
            }
        }
        return page;
    }

    private Page stored(String key) {
        try {
            return store.get(key);
        } catch (IOException e) {
            listener.storeFailed(e);
            return null;
        }
    }

    /** A redirect target stored under an allowed URL is judged again: policies change. */
    private boolean admitted(URI url) {
        try {
            source.admit(url);
            return true;
        } catch (ReaderException e) {
            return false;
        }
    }

    @Override
    public void admit(URI target) throws ReaderException {
        source.admit(target);
    }

    @Override
    public String policy() {
        return source.policy();
    }

    @Override
    public void close() {
        try {
            source.close();
        } finally {
            store.close();
        }
    }

    /**
     * The key of a load: SHA-256 over the normalized URL, the network policy and each fetch option
     * by name.
     */
    static String key(URI target, String policy, FetchOptions options) {
        StringBuilder material = new StringBuilder(normalize(target)).append('\n').append(policy);
        for (RecordComponent c : FetchOptions.class.getRecordComponents()) {
            if (c.isAnnotationPresent(FetchOptions.NotInCacheKey.class)) {
                continue;
            }
            try {
                material.append('\n')
                        .append(c.getName())
                        .append('=')
                        .append(c.getAccessor().invoke(options));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("a record accessor is public", e);
            }
        }
        try {
            return HexFormat.of()
                    .formatHex(
                            MessageDigest.getInstance("SHA-256")
                                    .digest(material.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Lower-case scheme and host, no default port, no fragment, {@code /} for an empty path. */
    static String normalize(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        int port = url.getPort();
        boolean defaultPort =
                port == -1
                        || scheme.equals("http") && port == 80
                        || scheme.equals("https") && port == 443;
        String path =
                url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        String query = url.getRawQuery() == null ? "" : "?" + url.getRawQuery();
        String host = url.getHost() == null ? "" : url.getHost().toLowerCase(Locale.ROOT);
        return scheme + "://" + host + (defaultPort ? "" : ":" + port) + path + query;
    }
}
