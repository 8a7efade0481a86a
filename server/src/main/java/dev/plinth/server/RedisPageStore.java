package dev.plinth.server;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import dev.plinth.reader.PageStore;
import io.lettuce.core.SetArgs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The {@link PageStore} replicas share: each page one Redis string, written with a time to live.
 * Keys come from {@link dev.plinth.reader.CachingSource}, which also decides freshness and policy;
 * this class only stores. It keeps what {@link SqlitePageStore} keeps: final URL, status, media
 * type, charset, headers, body, warnings, screenshot, engine and when the page was loaded.
 *
 * <p>Notes. <b>Bounded by Redis, aged by plinth.</b> Every key is written with a time to live
 * ({@code SET … PX}), so a page leaves even from a Redis without {@code maxmemory}; the memory
 * bound itself is Redis's {@code maxmemory} with an LRU policy ({@link Redis} warns at connect when
 * there is none). Redis already keeps an approximate LRU over all its keys, shared by every
 * replica; doing it again in plinth (a sorted set of access times and a byte counter) would double
 * the writes of every hit and make replicas race on one counter. A page whose entry would pass
 * {@value #MAX_ENTRY_BYTES} bytes is not stored: one value that large would hold the connection
 * every replica shares.
 *
 * <p><b>One value per page.</b> A binary record (below) in one {@code GET}/{@code SET}: a page is
 * whole or absent, never half-written, and a hit is one round trip. The layout version is part of
 * the key, so replicas of two versions during a rolling update never read each other's values.
 * Bodies are deflated (fastest level) when that saves a tenth or more: HTML shrinks four- to
 * eight-fold, which is Redis memory and wire time, for about a millisecond per 100 KiB.
 */
final class RedisPageStore implements PageStore {

    /** Part of every key: the layout below. */
    private static final String PREFIX = "plinth:page:1:";

    /** Largest entry stored, body and screenshot included. */
    static final int MAX_ENTRY_BYTES = 16 << 20;

    /** Largest body or screenshot a record may claim, so a corrupt length cannot exhaust memory. */
    private static final int MAX_PART_BYTES = 64 << 20;

    /** Bodies shorter than this are stored as they are. */
    private static final int DEFLATE_ABOVE = 1024;

    /** Writes get longer than lookups in proportion to their size, at this rate. */
    private static final long WRITE_BYTES_PER_MS = 64 << 10;

    private final Redis redis;
    private final Duration ttl;

    /** A store on {@code redis} whose pages live at most {@code ttl}. */
    RedisPageStore(Redis redis, Duration ttl) {
        this.redis = redis;
        this.ttl = ttl;
    }

    @Override
    public Page get(String key) throws IOException {
        byte[] value = redis.call("page cache lookup", r -> r.get(PREFIX + key));
        return value == null ? null : decode(value);
    }

    @Override
    public void put(String key, Page page) throws IOException {
        byte[] value = encode(page);
        if (value.length > MAX_ENTRY_BYTES) {
            return;
        }
        Duration wait = redis.timeout().plusMillis(value.length / WRITE_BYTES_PER_MS);
        redis.call(
                "page cache write",
                wait,
                r -> r.set(PREFIX + key, value, SetArgs.Builder.px(ttl.toMillis())));
    }

    /** Nothing to close: the connection belongs to the server's {@link Redis}. */
    @Override
    public void close() {}

    // The record: every field in order, strings and byte arrays length-prefixed.
    //   url, status, contentType, charset, headers (count, then name, value count, values),
    //   warnings (count, values), engine ("" for none), loadedAt (epoch seconds, nanoseconds),
    //   body (0 raw | 1 deflated, original length, stored length, bytes), screenshot (-1 or bytes)

    static byte[] encode(Page page) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(page.body().length / 3 + 256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            string(out, page.url().toString());
            out.writeInt(page.status());
            string(out, page.contentType());
            string(out, page.charset().name());
            out.writeInt(page.headers().size());
            for (Map.Entry<String, List<String>> h : page.headers().entrySet()) {
                string(out, h.getKey());
                out.writeInt(h.getValue().size());
                for (String v : h.getValue()) {
                    string(out, v);
                }
            }
            out.writeInt(page.warnings().size());
            for (String w : page.warnings()) {
                string(out, w);
            }
            string(out, page.engine() == null ? "" : page.engine().name());
            out.writeLong(page.loadedAt().getEpochSecond());
            out.writeInt(page.loadedAt().getNano());
            byte[] body = page.body();
            byte[] deflated = body.length > DEFLATE_ABOVE ? deflate(body) : null;
            if (deflated != null && deflated.length < body.length - body.length / 10) {
                out.writeByte(1);
                out.writeInt(body.length);
                blob(out, deflated);
            } else {
                out.writeByte(0);
                out.writeInt(body.length);
                blob(out, body);
            }
            if (page.screenshot() == null) {
                out.writeInt(-1);
            } else {
                blob(out, page.screenshot());
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory does not fail", e);
        }
        return bytes.toByteArray();
    }

    /**
     * The page in {@code value}; an {@link IOException} naming what is wrong when it is corrupt.
     */
    static Page decode(byte[] value) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            URI url = URI.create(string(in));
            int status = in.readInt();
            String contentType = string(in);
            Charset charset = charset(string(in));
            int headerCount = count(in);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (int i = 0; i < headerCount; i++) {
                String name = string(in);
                int n = count(in);
                List<String> values = new ArrayList<>(n);
                for (int j = 0; j < n; j++) {
                    values.add(string(in));
                }
                headers.put(name, List.copyOf(values));
            }
            int warningCount = count(in);
            List<String> warnings = new ArrayList<>(warningCount);
            for (int i = 0; i < warningCount; i++) {
                warnings.add(string(in));
            }
            String engine = string(in);
            Instant loadedAt = Instant.ofEpochSecond(in.readLong(), in.readInt());
            int encoding = in.readByte();
            int length = in.readInt();
            byte[] stored = blob(in);
            byte[] body =
                    switch (encoding) {
                        case 0 -> stored;
                        case 1 -> inflate(stored, length);
                        default -> throw new IOException("unknown body encoding " + encoding);
                    };
            int shot = in.readInt();
            byte[] screenshot = shot < 0 ? null : in.readNBytes(check(shot, in));
            return new Page(
                    url,
                    status,
                    contentType,
                    charset,
                    body,
                    Map.copyOf(headers),
                    warnings,
                    screenshot,
                    engine.isEmpty() ? null : FetchOptions.Engine.valueOf(engine),
                    loadedAt,
                    false);
        } catch (EOFException e) {
            throw new IOException("a cached page of " + value.length + " bytes is truncated", e);
        } catch (IllegalArgumentException | DateTimeException e) {
            throw new IOException("a cached page is corrupt: " + e.getMessage(), e);
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        blob(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void blob(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static String string(DataInputStream in) throws IOException {
        return new String(blob(in), StandardCharsets.UTF_8);
    }

    private static byte[] blob(DataInputStream in) throws IOException {
        int n = in.readInt();
        return in.readNBytes(check(n, in));
    }

    /** A length read from a record: never negative, never more than the bytes left. */
    private static int check(int n, DataInputStream in) throws IOException {
        if (n < 0 || n > in.available() || n > MAX_PART_BYTES) {
            throw new IOException(
                    "a cached page is corrupt: a part claims "
                            + n
                            + " bytes with "
                            + in.available()
                            + " left");
        }
        return n;
    }

    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        // Each element takes at least its four-byte length.
        if (n < 0 || n > in.available() / 4) {
            throw new IOException(
                    "a cached page is corrupt: a list claims "
                            + n
                            + " elements with "
                            + in.available()
                            + " bytes left");
        }
        return n;
    }

    private static byte[] deflate(byte[] body) {
        Deflater deflater = new Deflater(Deflater.BEST_SPEED, true);
        try {
            deflater.setInput(body);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 4 + 64);
            byte[] buffer = new byte[16 << 10];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private static byte[] inflate(byte[] stored, int length) throws IOException {
        if (length < 0 || length > MAX_PART_BYTES) {
            throw new IOException("a cached page claims a body of " + length + " bytes");
        }
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(stored);
            byte[] body = new byte[length];
            int n = 0;
            while (n < length && !inflater.finished()) {
                int got = inflater.inflate(body, n, length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != length) {
                throw new IOException(
                        "a cached page's body inflates to " + n + " bytes, not " + length);
            }
            return body;
        } catch (DataFormatException e) {
            throw new IOException("a cached page's body is corrupt: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private static Charset charset(String name) {
        try {
            return Charset.forName(name);
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }
}
