package dev.plinth.server;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Shots in this process's memory, bounded in bytes: the store of a single server, and the fallback
 * of {@link RedisShotStore} while Redis is away.
 *
 * <p>Notes. Entries are kept in the order they were stored. Each put first drops expired entries
 * from the front, then the oldest while the total would pass {@code maxBytes}: with one time to
 * live for all shots (the usual case) the front is always the next to expire, so both are linear in
 * what they remove. An entry expired behind a longer-lived one waits for its turn or for the byte
 * bound, and {@link #get} never returns it.
 */
final class MemoryShotStore implements ShotStore {

    private record Entry(byte[] owner, Shot shot, long expiresAt) {}

    private final long maxBytes;
    private final LongSupplier millis;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
    private long bytes;

    /** A store of at most {@code maxBytes} of shots (or one shot, when it alone is larger). */
    MemoryShotStore(long maxBytes) {
        this(maxBytes, System::currentTimeMillis);
    }

    MemoryShotStore(long maxBytes, LongSupplier millis) {
        this.maxBytes = maxBytes;
        this.millis = millis;
    }

    @Override
    public String put(Shot shot, String owner, Duration ttl) {
        String id = ShotStore.newId();
        put(id, shot, owner, ttl);
        return id;
    }

    /** Stores under a given id: {@link RedisShotStore} keeps its ids when it falls back here. */
    synchronized void put(String id, Shot shot, String owner, Duration ttl) {
        long now = millis.getAsLong();
        long size = shot.bytes().length;
        Iterator<Map.Entry<String, Entry>> oldest = entries.entrySet().iterator();
        while (oldest.hasNext()) {
            Entry e = oldest.next().getValue();
            if (e.expiresAt() > now && bytes + size <= maxBytes) {
                break;
            }
            bytes -= e.shot().bytes().length;
            oldest.remove();
        }
        entries.put(
                id,
                new Entry(
                        ShotStore.ownerHash(owner),
                        shot,
                        now + ShotStore.checkTtl(ttl).toMillis()));
        bytes += size;
    }

    @Override
    public synchronized Shot get(String id, String owner) {
        Entry e = entries.get(id);
        if (e == null
                || e.expiresAt() <= millis.getAsLong()
                || !MessageDigest.isEqual(e.owner(), ShotStore.ownerHash(owner))) {
            return null;
        }
        return e.shot();
    }

    /** Bytes of shots held now. */
    synchronized long bytes() {
        return bytes;
    }

    @Override
    public synchronized void close() {
        entries.clear();
        bytes = 0;
    }
}
