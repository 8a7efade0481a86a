package dev.plinth.reader;

import java.io.IOException;

/**
 * Storage behind {@link CachingSource}: pages by key, bounded by the store. The embedded store is
 * SQLite; a store shared by replicas plugs in here. A store may lose pages at any time (eviction, a
 * restart, an outage); {@link CachingSource} treats every failure as a miss.
 */
public interface PageStore extends AutoCloseable {

    /** The page stored under {@code key}, or null. */
    Page get(String key) throws IOException;

    /** Stores {@code page} under {@code key}, replacing what was there. */
    void put(String key, Page page) throws IOException;

    @Override
    void close();
}
