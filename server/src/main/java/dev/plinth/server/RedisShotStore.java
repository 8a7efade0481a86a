package dev.plinth.server;

import io.lettuce.core.SetArgs;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Shots every replica can serve: one Redis string per shot, written with its time to live, so that
 * Redis forgets it when the URL stops working.
 *
 * <p>Notes. A value is the owner's hash (32 bytes), the media type (length-prefixed) and the image;
 * the id alone is the key, so a lookup with another owner's id finds the value and refuses it,
 * indistinguishably from a missing one. While Redis is away a shot is kept in this replica's memory
 * ({@code fallback}) under the same kind of id, and lookups look there too: a URL handed out during
 * an outage works through the replica that made it. Failures go to {@code failed}.
 */
final class RedisShotStore implements ShotStore {

    private static final String PREFIX = "plinth:shot:";

    /** Writes get longer than lookups in proportion to their size, at this rate. */
    private static final long WRITE_BYTES_PER_MS = 64 << 10;

    private final Redis redis;
    private final MemoryShotStore fallback;
    private final Consumer<IOException> failed;

    RedisShotStore(Redis redis, MemoryShotStore fallback, Consumer<IOException> failed) {
        this.redis = redis;
        this.fallback = fallback;
        this.failed = failed;
    }

    @Override
    public String put(Shot shot, String owner, Duration ttl) {
        ShotStore.checkTtl(ttl);
        String id = ShotStore.newId();
        byte[] value = encode(shot, owner);
        try {
            redis.call(
                    "shot write",
                    redis.timeout().plusMillis(value.length / WRITE_BYTES_PER_MS),
                    r -> r.set(PREFIX + id, value, SetArgs.Builder.px(ttl.toMillis())));
        } catch (IOException e) {
            failed.accept(e);
            fallback.put(id, shot, owner, ttl);
        }
        return id;
    }

    @Override
    public Shot get(String id, String owner) {
        if (id == null || !ShotStore.ID.matcher(id).matches()) {
            return null;
        }
        try {
            byte[] value = redis.call("shot lookup", r -> r.get(PREFIX + id));
            if (value != null) {
                return decode(value, owner);
            }
        } catch (IOException e) {
            failed.accept(e);
        }
        return fallback.get(id, owner);
    }

    private static byte[] encode(Shot shot, String owner) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(shot.bytes().length + 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(ShotStore.ownerHash(owner));
            byte[] type = shot.mediaType().getBytes(StandardCharsets.UTF_8);
            out.writeInt(type.length);
            out.write(type);
            out.write(shot.bytes());
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory does not fail", e);
        }
        return bytes.toByteArray();
    }

    /** The shot in {@code value} when {@code owner} stored it; null otherwise or when corrupt. */
    private static Shot decode(byte[] value, String owner) {
        if (value.length < 36
                || !MessageDigest.isEqual(Arrays.copyOf(value, 32), ShotStore.ownerHash(owner))) {
            return null;
        }
        int typeLength = ByteBuffer.wrap(value, 32, 4).getInt();
        if (typeLength < 0 || typeLength > value.length - 36) {
            return null;
        }
        String type = new String(value, 36, typeLength, StandardCharsets.UTF_8);
        return new Shot(Arrays.copyOfRange(value, 36 + typeLength, value.length), type);
    }

    /** Closes the fallback; the connection belongs to the server's {@link Redis}. */
    @Override
    public void close() {
        fallback.close();
    }
}
