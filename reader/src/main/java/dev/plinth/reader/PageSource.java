package dev.plinth.reader;

import java.net.URI;

/**
 * Where pages come from: the direct fetcher, the browser engine, the engine choice over both
 * ({@link Engines}), and a cache in front of any of them ({@link CachingSource}). Everything that
 * changes what comes back is in {@link FetchOptions}; conversion happens elsewhere.
 */
public interface PageSource extends AutoCloseable {

    /** Loads {@code target} as {@code options} say. */
    Page load(URI target, FetchOptions options) throws ReaderException;

    /**
     * Refuses {@code target} exactly as {@link #load} would refuse it before any request (scheme,
     * userinfo, addresses the network policy forbids), without loading it. A cache asks this before
     * every answer, so that it never hands out what the current policy would not fetch.
     */
    void admit(URI target) throws ReaderException;

    /**
     * The network policy in force, as a short stable name: pages loaded under different policies
     * are different pages to a cache.
     */
    String policy();

    @Override
    default void close() {}
}
