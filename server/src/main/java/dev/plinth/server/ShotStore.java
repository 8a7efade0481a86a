package dev.plinth.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Screenshots and pageshots kept for a short while so that a response can link to them ({@code
 * screenshotUrl}, {@code pageshotUrl}): each under an id nobody can guess, readable only by the
 * client that stored it, gone after its time to live. Kept by this replica ({@link
 * MemoryShotStore}) or shared by every replica through Redis ({@link RedisShotStore}), so that a
 * URL handed out by one replica works through any other.
 *
 * <p>Neither method fails: a store that cannot reach what it shares keeps the shot in memory.
 */
interface ShotStore extends AutoCloseable {

    /** A stored image: its bytes and media type (e.g. {@code image/png}). */
    record Shot(byte[] bytes, String mediaType) {}

    /**
     * Stores {@code shot} for {@code owner} (an API key, or "" when the server asks for none: then
     * the unguessable id is the only key) for {@code ttl}; returns its id.
     */
    String put(Shot shot, String owner, Duration ttl);

    /**
     * The shot stored under {@code id} for {@code owner}; null when there is none, it expired, or
     * it is another owner's (the caller cannot tell which, so ids cannot be probed).
     */
    Shot get(String id, String owner);

    @Override
    void close();

    /** Where ids come from. */
    SecureRandom RANDOM = new SecureRandom();

    /** Ids: 256 random bits, base64url without padding. */
    Pattern ID = Pattern.compile("[A-Za-z0-9_-]{43}");

    /** A fresh id. */
    static String newId() {
        byte[] bits = new byte[32];
        RANDOM.nextBytes(bits);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
    }

    /** SHA-256 of {@code owner}: what stores keep, and compare in constant time. */
    static byte[] ownerHash(String owner) {
        try {
            return MessageDigest.getInstance("SHA-256")
                    .digest(owner.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A time to live a store accepts: positive. */
    static Duration checkTtl(Duration ttl) {
        if (ttl == null || !ttl.isPositive()) {
            throw new IllegalArgumentException(
                    "a shot's time to live must be positive, not " + ttl);
        }
        return ttl;
    }
}
