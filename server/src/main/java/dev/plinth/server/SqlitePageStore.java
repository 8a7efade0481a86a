package dev.plinth.server;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import dev.plinth.reader.PageStore;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link PageStore}: fetched pages (final URL, status, headers, body, and how they
 * were loaded) in one SQLite file. Keys come from {@link dev.plinth.reader.CachingSource}, which
 * also decides freshness and policy; this class only stores and evicts.
 *
 * <p>Notes. The store is SQLite (xerial's JDBC driver, which bundles the native library) in WAL
 * mode. SQLite was chosen over H2's MVStore because its crash safety is the most exercised of any
 * embedded store: a commit is atomic across an abrupt kill or power loss (at worst the last commits
 * are lost, never the file), WAL lets readers proceed while one writer appends, and eviction is one
 * indexed {@code ORDER BY accessed_at} query. Should the file still be unreadable (a disk error, a
 * foreign file), it is moved aside and a fresh store started: a cache can always be refilled. A
 * file written by an older layout is emptied ({@code PRAGMA user_version}), for the same reason.
 *
 * <p>Size is bounded: when the stored bodies pass {@code maxBytes}, the least recently used pages
 * are deleted down to 90 % of it. Access times are written at most once a minute per page so a hot
 * cache does not turn every hit into a write. Readers use a small pool of connections; writes go
 * through one connection under a lock, as SQLite allows one writer at a time anyway.
 */
final class SqlitePageStore implements PageStore {

    private static final Logger LOG = LoggerFactory.getLogger(SqlitePageStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int READERS = 4;
    private static final long TOUCH_INTERVAL_MS = 60_000;

    /** The table layout this class writes; older files are emptied on open. */
    private static final int LAYOUT = 2;

    private final Path file;
    private final long maxBytes;
    private final Clock clock;
    private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
    private final Connection writer;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicLong bytes = new AtomicLong();

    /**
     * Opens (or creates) the cache in {@code dir}, keeping at most {@code maxBytes} of page bodies.
     */
    static SqlitePageStore open(Path dir, long maxBytes) throws IOException {
        return open(dir, maxBytes, Clock.systemUTC());
    }

    static SqlitePageStore open(Path dir, long maxBytes, Clock clock) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("pages.db");
        try {
            return new SqlitePageStore(file, maxBytes, clock);
        } catch (SQLException e) {
            LOG.warn(
                    "page cache {} is unreadable ({}); starting a fresh one", file, e.getMessage());
            for (String suffix : List.of("", "-wal", "-shm")) {
                Path f = Path.of(file + suffix);
                if (Files.exists(f)) {
                    Files.move(
                            f,
                            Path.of(file + suffix + ".corrupt"),
                            StandardCopyOption.REPLACE_EXISTING);
                }
            }
            try {
                return new SqlitePageStore(file, maxBytes, clock);
            } catch (SQLException again) {
                throw new IOException(
                        "cannot create the page cache " + file + ": " + again.getMessage(), again);
            }
        }
    }

    private SqlitePageStore(Path file, long maxBytes, Clock clock) throws SQLException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.clock = clock;
        writer = connect(file);
        try (Statement s = writer.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
            // NORMAL in WAL mode: a kill loses nothing committed; a power cut may lose the last
            // commits, never the file.
            s.execute("PRAGMA synchronous=NORMAL");
            try (ResultSet version = s.executeQuery("PRAGMA user_version")) {
                if (version.next() && version.getInt(1) < LAYOUT) {
                    s.execute("DROP TABLE IF EXISTS pages");
                    s.execute("PRAGMA user_version=" + LAYOUT);
                }
            }
            s.execute(
                    """
                    CREATE TABLE IF NOT EXISTS pages (
                      key TEXT PRIMARY KEY, url TEXT NOT NULL, status INTEGER NOT NULL, content_type TEXT NOT NULL,
                      charset TEXT NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL, size INTEGER NOT NULL,
                      warnings TEXT NOT NULL, screenshot BLOB, engine TEXT,
                      fetched_at INTEGER NOT NULL, accessed_at INTEGER NOT NULL)\
                    """);
            s.execute("CREATE INDEX IF NOT EXISTS pages_accessed ON pages(accessed_at)");
            try (ResultSet check = s.executeQuery("PRAGMA quick_check")) {
                String verdict = check.next() ? check.getString(1) : "no answer";
                if (!"ok".equals(verdict)) {
                    writer.close();
                    throw new SQLException("integrity check failed: " + verdict);
                }
            }
            try (ResultSet sum = s.executeQuery("SELECT COALESCE(SUM(size), 0) FROM pages")) {
                sum.next();
                bytes.set(sum.getLong(1));
            }
        } catch (SQLException e) {
            writer.close();
            throw e;
        }
        for (int i = 0; i < READERS; i++) {
            readers.add(connect(file));
        }
    }

    private static Connection connect(Path file) throws SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=5000");
        }
        return c;
    }

    @Override
    public Page get(String key) throws IOException {
        try {
            return read(key);
        } catch (SQLException e) {
            throw new IOException("page cache lookup failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a page cache connection", e);
        }
    }

    private Page read(String key) throws SQLException, InterruptedException {
        long now = clock.millis();
        Page page;
        long accessedAt;
        Connection c = readers.take();
        try (PreparedStatement q =
                c.prepareStatement(
                        "SELECT url, status, content_type, charset, headers, body, warnings,"
                                + " screenshot, engine, fetched_at, accessed_at FROM pages WHERE key = ?")) {
            q.setString(1, key);
            try (ResultSet r = q.executeQuery()) {
                if (!r.next()) {
                    return null;
                }
                accessedAt = r.getLong(11);
                String engine = r.getString(9);
                page =
                        new Page(
                                URI.create(r.getString(1)),
                                r.getInt(2),
                                r.getString(3),
                                charset(r.getString(4)),
                                r.getBytes(6),
                                headers(r.getString(5)),
                                strings(r.getString(7)),
                                r.getBytes(8),
                                engine == null ? null : FetchOptions.Engine.valueOf(engine),
                                Instant.ofEpochMilli(r.getLong(10)),
                                false);
            }
        } finally {
            readers.add(c);
        }
        if (now - accessedAt > TOUCH_INTERVAL_MS) {
            touch(key, now);
        }
        return page;
    }

    /**
     * Stores {@code page} under {@code key} and, if that puts the cache over its cap, evicts the
     * least recently used pages, all in one transaction: a kill leaves either the old state or the
     * new.
     */
    @Override
    public void put(String key, Page page) throws IOException {
        try {
            write(key, page);
        } catch (SQLException e) {
            throw new IOException("page cache write failed: " + e.getMessage(), e);
        }
    }

    private void write(String key, Page page) throws SQLException, IOException {
        long now = page.loadedAt().toEpochMilli();
        long size = page.body().length + (page.screenshot() == null ? 0 : page.screenshot().length);
        if (size > maxBytes) {
            return;
        }
        String headers = JSON.writeValueAsString(page.headers());
        String warnings = JSON.writeValueAsString(page.warnings());
        writeLock.lock();
        try {
            writer.setAutoCommit(false);
            try {
                long total = bytes.get() + size - storedSize(key);
                try (PreparedStatement u =
                        writer.prepareStatement(
                                "INSERT OR REPLACE INTO pages (key, url, status, content_type,"
                                        + " charset, headers, body, size, warnings, screenshot, engine,"
                                        + " fetched_at, accessed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    u.setString(1, key);
                    u.setString(2, page.url().toString());
                    u.setInt(3, page.status());
                    u.setString(4, page.contentType());
                    u.setString(5, page.charset().name());
                    u.setString(6, headers);
                    u.setBytes(7, page.body());
                    u.setLong(8, size);
                    u.setString(9, warnings);
                    u.setBytes(10, page.screenshot());
                    u.setString(11, page.engine() == null ? null : page.engine().name());
                    u.setLong(12, now);
                    u.setLong(13, clock.millis());
                    u.executeUpdate();
                }
                if (total > maxBytes) {
                    total = evict(total);
                }
                writer.commit();
                bytes.set(total);
            } catch (SQLException e) {
                writer.rollback();
                throw e;
            } finally {
                writer.setAutoCommit(true);
            }
        } finally {
            writeLock.unlock();
        }
    }

    private long storedSize(String key) throws SQLException {
        try (PreparedStatement q =
                writer.prepareStatement("SELECT size FROM pages WHERE key = ?")) {
            q.setString(1, key);
            try (ResultSet r = q.executeQuery()) {
                return r.next() ? r.getLong(1) : 0;
            }
        }
    }

    /**
     * Deletes least recently used pages until the bodies fit in 90 % of the cap; returns the bytes
     * left.
     */
    private long evict(long total) throws SQLException {
        long target = maxBytes / 10 * 9;
        long remaining = total;
        List<String> victims = new java.util.ArrayList<>();
        try (PreparedStatement q =
                        writer.prepareStatement(
                                "SELECT key, size FROM pages ORDER BY accessed_at");
                ResultSet r = q.executeQuery()) {
            while (remaining > target && r.next()) {
                victims.add(r.getString(1));
                remaining -= r.getLong(2);
            }
        }
        try (PreparedStatement d = writer.prepareStatement("DELETE FROM pages WHERE key = ?")) {
            for (String victim : victims) {
                d.setString(1, victim);
                d.addBatch();
            }
            d.executeBatch();
        }
        return remaining;
    }

    private void touch(String key, long now) throws SQLException {
        writeLock.lock();
        try (PreparedStatement u =
                writer.prepareStatement("UPDATE pages SET accessed_at = ? WHERE key = ?")) {
            u.setLong(1, now);
            u.setString(2, key);
            u.executeUpdate();
        } finally {
            writeLock.unlock();
        }
    }

    /** Bytes of page bodies stored now. */
    long bytes() {
        return bytes.get();
    }

    /** Pages stored now. */
    long count() throws SQLException, InterruptedException {
        Connection c = readers.take();
        try (Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT COUNT(*) FROM pages")) {
            r.next();
            return r.getLong(1);
        } finally {
            readers.add(c);
        }
    }

    /** The database file. */
    Path file() {
        return file;
    }

    private static Charset charset(String name) {
        try {
            return Charset.forName(name);
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }

    private static List<String> strings(String json) {
        try {
            return JSON.readValue(json, new TypeReference<List<String>>() {});
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Map<String, List<String>> headers(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, List<String>>>() {});
        } catch (IOException e) {
            return Map.of();
        }
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            for (Connection c : readers) {
                closeQuietly(c);
            }
            closeQuietly(writer);
        } finally {
            writeLock.unlock();
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            LOG.warn("closing the page cache: {}", e.getMessage());
        }
    }
}
