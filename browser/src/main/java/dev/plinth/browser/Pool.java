package dev.plinth.browser;

import dev.plinth.reader.ReaderException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded pool of browser contexts in one lazily started Chromium.
 *
 * <p>A browser context is Chromium's incognito-style profile: its own cookies, storage and cache,
 * its own renderer processes. Creating one is cheap, but reusing one keeps its HTTP cache warm, so
 * a context serves several pages, one at a time, and is disposed after {@link
 * Browser.Settings#pagesPerContext()} pages, after a page that went wrong, or when the browser's
 * memory (PSS of the whole process tree) is over {@link Browser.Settings#maxMemoryBytes()}. What
 * one page leaves behind (cookies, storage) is cleared by {@link Tab} before the context is reused.
 *
 * <p>A semaphore bounds pages in flight to {@link Browser.Settings#contexts()}; a caller waits for
 * a free context no longer than its own deadline. When the browser process dies, the next {@link
 * #acquire} notices, discards the dead browser's contexts and starts a new one: a crash costs the
 * pages in flight, never the pool.
 */
final class Pool implements AutoCloseable {

    /** One context lent to one page. */
    static final class Lease {
        final Chromium chromium;
        final GuardProxy proxy;
        final String contextId;
        int pages;

        private Lease(Chromium chromium, GuardProxy proxy, String contextId) {
            this.chromium = chromium;
            this.proxy = proxy;
            this.contextId = contextId;
        }
    }

    private final Browser.Settings settings;
    private final RequestGuard guard;
    private final Semaphore slots;
    private final ReentrantLock lock = new ReentrantLock();
    private final Deque<Lease> idle = new ArrayDeque<>();
    private GuardProxy proxy;
    private Chromium chromium;
    private int active;
    private volatile boolean overweight;
    private volatile long lastWeighed;
    private int starts;
    private boolean closed;

    Pool(Browser.Settings settings, RequestGuard guard) {
        this.settings = settings;
        this.guard = guard;
        this.slots = new Semaphore(settings.contexts(), true);
    }

    /**
     * A context for one page, starting (or restarting) Chromium when needed; waits no later than
     * {@code deadline}.
     */
    Lease acquire(Instant deadline) throws ReaderException {
        long wait = Math.max(0, Duration.between(Instant.now(), deadline).toMillis());
        try {
            if (!slots.tryAcquire(wait, TimeUnit.MILLISECONDS)) {
                throw new ReaderException(
                        ReaderException.Kind.UNREADABLE,
                        "all "
                                + settings.contexts()
                                + " browser contexts stayed busy until the deadline");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReaderException(
                    ReaderException.Kind.UNREADABLE, "interrupted while waiting for the browser");
        }
        lock.lock();
        try {
            Lease lease = lendLocked(deadline);
            active++;
            return lease;
        } catch (ReaderException | RuntimeException e) {
            slots.release();
            throw e;
        } finally {
            lock.unlock();
        }
    }

    /** Takes {@code lease} back; a context that misbehaved ({@code healthy} false) is disposed. */
    void release(Lease lease, boolean healthy) {
        lease.pages++;
        lock.lock();
        try {
            active--;
            boolean current = lease.chromium == chromium && chromium.isAlive();
            boolean worn = lease.pages >= settings.pagesPerContext();
            boolean heavy = current && overweight;
            if (current && heavy) {
                overweight = false;
            } else if (current) {
                weighSoon(chromium);
            }
            if (current && healthy && !worn && !heavy && !closed) {
                idle.push(lease);
            } else if (current) {
                dispose(lease);
                if (heavy) {
                    idle.forEach(this::dispose);
                    idle.clear();
                    if (active == 0) {
                        // Nothing in flight: a fresh process is the surest way to hand the memory
                        // back.
                        chromium.close();
                        chromium = null;
                    }
                }
            }
        } finally {
            lock.unlock();
            slots.release();
        }
    }

    /** Memory of the running browser's process tree (zero when none runs). */
    Memory memory() {
        lock.lock();
        try {
            return chromium == null ? new Memory(0, 0) : chromium.memory();
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many times Chromium was started (1 after the first page, more after crashes or
     * recycling).
     */
    int starts() {
        return starts;
    }

    /** The running browser's pid, or -1 (tests kill it to prove recovery). */
    long pid() {
        lock.lock();
        try {
            return chromium == null ? -1 : chromium.pid();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            idle.clear();
            if (chromium != null) {
                chromium.close();
                chromium = null;
            }
            if (proxy != null) {
                proxy.close();
                proxy = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private Lease lendLocked(Instant deadline) throws ReaderException {
        if (closed) {
            throw new ReaderException(
                    ReaderException.Kind.UNREADABLE, "the browser engine is closed");
        }
        if (chromium != null && !chromium.isAlive()) {
            // Crashed or killed: its contexts died with it.
            idle.clear();
            chromium.close();
            chromium = null;
        }
        if (chromium == null) {
            start();
        }
        Lease reused = idle.poll();
        if (reused != null) {
            return reused;
        }
        try {
            String id =
                    chromium.cdp()
                            .call(
                                    null,
                                    "Target.createBrowserContext",
                                    Map.of("disposeOnDetach", false),
                                    deadline)
                            .path("browserContextId")
                            .asText();
            // Pages download nothing to disk.
            chromium.cdp()
                    .call(
                            null,
                            "Browser.setDownloadBehavior",
                            Map.of("behavior", "deny", "browserContextId", id),
                            deadline);
            return new Lease(chromium, proxy, id);
        } catch (Cdp.CdpException e) {
            throw new ReaderException(
                    ReaderException.Kind.UNREADABLE,
                    "cannot open a browser context: " + e.getMessage(),
                    e);
        }
    }

    private void start() throws ReaderException {
        try {
            if (proxy == null) {
                proxy = new GuardProxy(guard);
            }
            chromium = Chromium.start(settings.executable(), proxy.port());
            proxy.forbid(chromium.devToolsPort());
            starts++;
        } catch (IOException e) {
            throw new ReaderException(
                    ReaderException.Kind.UNREADABLE,
                    "the browser engine is not available: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Reading PSS from /proc costs tens of milliseconds for Chromium's dozen processes, too much
     * for every page's path: it is read off that path, at most every {@value #WEIGH_EVERY_MS} ms,
     * and the verdict applies at the next release.
     */
    private void weighSoon(Chromium browser) {
        long now = System.nanoTime();
        if (settings.maxMemoryBytes() <= 0 || now - lastWeighed < WEIGH_EVERY_MS * 1_000_000L) {
            return;
        }
        lastWeighed = now;
        Thread.ofVirtual()
                .start(() -> {
                    if (browser.isAlive()
                            && browser.memory().pssBytes() > settings.maxMemoryBytes()) {
                        overweight = true;
                    }
                });
    }

    private static final long WEIGH_EVERY_MS = 2000;

    private void dispose(Lease lease) {
        if (lease.chromium.isAlive()) {
            lease.chromium
                    .cdp()
                    .send(
                            null,
                            "Target.disposeBrowserContext",
                            Map.of("browserContextId", lease.contextId));
        }
    }
}
