package dev.plinth.server;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Screenshots and pageshots handed out by URL ({@code screenshotUrl}, {@code pageshotUrl}), as the
 * hosted reader hands out links to stored pictures rather than the bytes. A picture lives for a
 * while under an unguessable id and is served only to the API key that asked for it.
 */
interface ShotStore extends AutoCloseable {

    /** Stores {@code png} for {@code owner} (an API key, or "" without auth); returns its id. */
    String put(byte[] png, String owner);

    /** The picture stored under {@code id} for {@code owner}, or null (unknown, expired, other). */
    byte[] get(String id, String owner);

    @Override
    default void close() {}

    /** A new id: 128 random bits, hex. */
    static String newId(SecureRandom random) {
        byte[] id = new byte[16];
        random.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    /**
     * The embedded store: pictures in memory, each for {@code ttl}, the oldest dropped first when
     * they pass {@code maxBytes} together.
     */
    final class InMemory implements ShotStore {
        private record Shot(byte[] png, String owner, long expiresAt) {}

        private final Map<String, Shot> shots = new LinkedHashMap<>();
        private final SecureRandom random = new SecureRandom();
        private final Duration ttl;
        private final long maxBytes;
        private final Clock clock;
        private long bytes;

        InMemory(Duration ttl, long maxBytes) {
            this(ttl, maxBytes, Clock.systemUTC());
        }

        InMemory(Duration ttl, long maxBytes, Clock clock) {
            this.ttl = ttl;
            this.maxBytes = maxBytes;
            this.clock = clock;
        }

        @Override
        public synchronized String put(byte[] png, String owner) {
            String id = newId(random);
            long now = clock.millis();
            shots.put(id, new Shot(png, owner, now + ttl.toMillis()));
            bytes += png.length;
            // Insertion order is age order: expired and, past the cap, oldest pictures go first.
            for (Iterator<Shot> it = shots.values().iterator();
                    it.hasNext() && shots.size() > 1; ) {
                Shot oldest = it.next();
                if (oldest.expiresAt > now && bytes <= maxBytes) {
                    break;
                }
                it.remove();
                bytes -= oldest.png.length;
            }
            return id;
        }

        @Override
        public synchronized byte[] get(String id, String owner) {
            Shot shot = shots.get(id);
            if (shot == null || shot.expiresAt <= clock.millis() || !shot.owner.equals(owner)) {
                return null;
            }
            return shot.png;
        }
    }
}
