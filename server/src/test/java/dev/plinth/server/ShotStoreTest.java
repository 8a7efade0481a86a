package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Stored shots, in memory and in a real Redis: only their owner gets them back, only until they
 * expire, memory stays bounded, and replicas sharing Redis serve each other's.
 */
@Timeout(120)
class ShotStoreTest {

    @RegisterExtension static final RedisServer server = new RedisServer();

    private static final Duration MINUTE = Duration.ofMinutes(1);

    private static ShotStore.Shot png(int size, int fill) {
        byte[] bytes = new byte[size];
        java.util.Arrays.fill(bytes, (byte) fill);
        return new ShotStore.Shot(bytes, "image/png");
    }

    private static void assertSameShot(ShotStore.Shot expected, ShotStore.Shot actual) {
        assertNotNull(actual);
        assertArrayEquals(expected.bytes(), actual.bytes());
        assertEquals(expected.mediaType(), actual.mediaType());
    }

    @Test
    void idsAreUnguessableAndUrlSafe() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = ShotStore.newId();
            assertTrue(ShotStore.ID.matcher(id).matches(), id);
            ids.add(id);
        }
        assertEquals(1000, ids.size());
    }

    @Test
    void memoryGivesAShotOnlyToItsOwner() {
        try (MemoryShotStore store = new MemoryShotStore(1 << 20)) {
            ShotStore.Shot shot = png(1000, 1);
            String id = store.put(shot, "key:alice", MINUTE);
            assertSameShot(shot, store.get(id, "key:alice"));
            assertNull(store.get(id, "key:bob"), "another key");
            assertNull(store.get(ShotStore.newId(), "key:alice"), "an unknown id");
        }
    }

    @Test
    void memoryForgetsAShotWhenItExpires() {
        AtomicLong now = new AtomicLong(1_000_000);
        try (MemoryShotStore store = new MemoryShotStore(1 << 20, now::get)) {
            String id = store.put(png(10, 2), "ip:127.0.0.1", Duration.ofSeconds(30));
            now.addAndGet(29_999);
            assertNotNull(store.get(id, "ip:127.0.0.1"));
            now.addAndGet(1);
            assertNull(store.get(id, "ip:127.0.0.1"));
            store.put(png(10, 3), "ip:127.0.0.1", Duration.ofSeconds(30));
            assertEquals(10, store.bytes(), "the expired shot left on the next write");
        }
    }

    @Test
    void memoryStaysWithinItsBoundByDroppingTheOldest() {
        try (MemoryShotStore store = new MemoryShotStore(10_000)) {
            String first = store.put(png(4000, 1), "o", MINUTE);
            String second = store.put(png(4000, 2), "o", MINUTE);
            String third = store.put(png(4000, 3), "o", MINUTE);
            assertTrue(store.bytes() <= 10_000, store.bytes() + " bytes held");
            assertNull(store.get(first, "o"), "the oldest went");
            assertNotNull(store.get(second, "o"));
            assertNotNull(store.get(third, "o"));
        }
    }

    @Test
    void aTimeToLiveMustBePositive() {
        try (MemoryShotStore store = new MemoryShotStore(1000)) {
            assertThrows(
                    IllegalArgumentException.class, () -> store.put(png(1, 1), "o", Duration.ZERO));
        }
    }

    @Test
    void replicasSharingRedisServeEachOthersShotsToTheSameOwnerOnly() {
        AtomicInteger failures = new AtomicInteger();
        try (Redis a = Redis.open(server.url(), Duration.ofMillis(500));
                Redis b = Redis.open(server.url(), Duration.ofMillis(500));
                ShotStore onA =
                        new RedisShotStore(
                                a, new MemoryShotStore(1 << 20), e -> failures.incrementAndGet());
                ShotStore onB =
                        new RedisShotStore(
                                b, new MemoryShotStore(1 << 20), e -> failures.incrementAndGet())) {
            ShotStore.Shot shot = png(300_000, 9);
            String id = onA.put(shot, "key:alice", MINUTE);
            assertSameShot(shot, onB.get(id, "key:alice"));
            assertNull(onB.get(id, "key:bob"), "another key");
            assertNull(onB.get("../../etc/passwd", "key:alice"), "not an id");
            assertNull(onB.get(ShotStore.newId(), "key:alice"), "an unknown id");
            assertEquals(0, failures.get());
        }
    }

    @Test
    void redisForgetsAShotWhenItExpires() throws Exception {
        try (Redis a = Redis.open(server.url(), Duration.ofMillis(500));
                ShotStore store = new RedisShotStore(a, new MemoryShotStore(1 << 20), e -> {})) {
            String id = store.put(png(100, 4), "o", Duration.ofMillis(300));
            assertNotNull(store.get(id, "o"));
            Thread.sleep(600);
            assertNull(store.get(id, "o"));
            assertEquals(":0", server.command("EXISTS", "plinth:shot:" + id).strip());
        }
    }

    @Test
    void whileRedisIsDownShotsStayInTheReplicasMemory() throws Exception {
        AtomicInteger failures = new AtomicInteger();
        try (Redis a = Redis.open(server.url(), Duration.ofMillis(100));
                ShotStore store =
                        new RedisShotStore(
                                a, new MemoryShotStore(1 << 20), e -> failures.incrementAndGet())) {
            server.kill();
            String id;
            try {
                ShotStore.Shot shot =
                        new ShotStore.Shot(
                                "not really a png".getBytes(StandardCharsets.UTF_8), "image/png");
                id = store.put(shot, "o", MINUTE);
                assertSameShot(shot, store.get(id, "o"));
                assertNull(store.get(id, "other"));
                assertTrue(failures.get() >= 2, failures.get() + " failures reported");
            } finally {
                server.start();
            }
            long until = System.nanoTime() + 15_000_000_000L;
            String shared = null;
            while (shared == null && System.nanoTime() < until) {
                int before = failures.get();
                String candidate = store.put(png(10, 5), "o", MINUTE);
                if (failures.get() == before) {
                    shared = candidate;
                } else {
                    Thread.sleep(50);
                }
            }
            assertNotNull(shared, "writes reach Redis again");
            assertEquals(":1", server.command("EXISTS", "plinth:shot:" + shared).strip());
            assertNotNull(store.get(id, "o"), "the shot kept during the outage is still served");
            assertNotEquals(id, shared);
        }
    }
}
