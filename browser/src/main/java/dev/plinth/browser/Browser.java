package dev.plinth.browser;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import dev.plinth.reader.PageSource;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.fetch.FetchException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * The headless Chromium engine: renders pages that only exist after JavaScript runs and hands the
 * reader their DOM, through the same SSRF guard as the direct fetcher.
 *
 * <p><b>Why the DevTools protocol directly.</b> Three drivers were weighed. Playwright for Java
 * adds a 193 MiB driver bundle of Node binaries to the fat jar and spends about 2 s unpacking it on
 * every start; Selenium needs a matching {@code chromedriver} process beside Chromium and reaches
 * request interception only through its CDP bindings anyway. A CDP client over the JDK's WebSocket
 * is a few hundred lines with Jackson (already a dependency), starts as fast as Chromium does (≈0.3
 * s here), and gives direct control of exactly what the guard needs: {@code Fetch.requestPaused}
 * for every request, per-context download and cookie control, and the process itself. The price is
 * owning the protocol details, which are few for what a reader does (open a tab, navigate,
 * evaluate, screenshot).
 *
 * <p><b>What the guard guarantees.</b> Chromium connects only to the {@link GuardProxy} on loopback
 * (SOCKS5 with remote name resolution; QUIC off, WebRTC kept off UDP, its own resolver mapped to
 * NOTFOUND). The proxy resolves each host once, vets every address with {@link
 * dev.plinth.reader.fetch.AddressGuard}, and connects to the vetted address, so DNS rebinding
 * cannot redirect a connection, and WebSockets and workers are covered although request
 * interception does not see them. On top, request interception fails refused URLs before they leave
 * the page, which is what turns refusals into warnings naming the URL; and the proxy admits only
 * endpoints a live page asked for, so Chromium's own traffic (component updates, account services —
 * observed here despite the flags) never leaves. The DevTools port and the proxy itself are refused
 * even when private networks are allowed. What the guard cannot bound is a page's CPU: that ends
 * with its deadline, when its tab is closed.
 *
 * <p>Chromium starts on the first page ({@link #lazy}); pages render in a bounded {@link Pool} of
 * browser contexts; {@link Tab} renders one page. Flags and process handling are in {@link
 * Chromium}.
 */
public final class Browser implements PageSource {

    /**
     * Browser-wide settings.
     *
     * @param allowPrivateNetwork lift the SSRF guard's address check for every request the page
     *     makes
     * @param executable the Chromium binary; <b>{@code /usr/bin/chromium}</b>, or {@code
     *     PLINTH_CHROMIUM}
     * @param contexts pages rendered at once (browser contexts in the pool); <b>2</b>
     * @param pagesPerContext pages a context serves before it is replaced; <b>50</b>
     * @param maxMemoryBytes PSS of the Chromium process tree above which contexts are recycled and,
     *     when idle, the browser restarted; <b>1 GiB</b>; 0 = no limit
     * @param timeout deadline for a page when the request names none; <b>30 s</b>
     * @param alsoAllowed exact non-public {@code address:port} pairs pages may reach although
     *     private networks are refused (one intranet service, a test server)
     */
    public record Settings(
            boolean allowPrivateNetwork,
            Path executable,
            int contexts,
            int pagesPerContext,
            long maxMemoryBytes,
            Duration timeout,
            Set<InetSocketAddress> alsoAllowed) {

        public Settings {
            if (contexts < 1 || pagesPerContext < 1) {
                throw new IllegalArgumentException(
                        "contexts and pagesPerContext must be at least 1");
            }
            alsoAllowed = Set.copyOf(alsoAllowed);
        }

        /** The defaults with the private-network switch as given. */
        public Settings(boolean allowPrivateNetwork) {
            this(
                    allowPrivateNetwork,
                    defaultExecutable(),
                    2,
                    50,
                    1L << 30,
                    Duration.ofSeconds(30),
                    Set.of());
        }

        /** These settings with another pool size. */
        public Settings withContexts(int n) {
            return new Settings(
                    allowPrivateNetwork,
                    executable,
                    n,
                    pagesPerContext,
                    maxMemoryBytes,
                    timeout,
                    alsoAllowed);
        }

        /** These settings with another number of pages per context. */
        public Settings withPagesPerContext(int n) {
            return new Settings(
                    allowPrivateNetwork,
                    executable,
                    contexts,
                    n,
                    maxMemoryBytes,
                    timeout,
                    alsoAllowed);
        }

        /** These settings with another default deadline. */
        public Settings withTimeout(Duration t) {
            return new Settings(
                    allowPrivateNetwork,
                    executable,
                    contexts,
                    pagesPerContext,
                    maxMemoryBytes,
                    t,
                    alsoAllowed);
        }

        /** These settings with exceptions to the private-network refusal. */
        public Settings withAlsoAllowed(Set<InetSocketAddress> pairs) {
            return new Settings(
                    allowPrivateNetwork,
                    executable,
                    contexts,
                    pagesPerContext,
                    maxMemoryBytes,
                    timeout,
                    pairs);
        }

        private static Path defaultExecutable() {
            String configured = System.getenv("PLINTH_CHROMIUM");
            return Path.of(
                    configured == null || configured.isBlank() ? "/usr/bin/chromium" : configured);
        }
    }

    private final Settings settings;
    private final RequestGuard guard;
    private final Pool pool;
    private volatile String userAgent;

    private Browser(Settings settings) {
        this.settings = settings;
        this.guard = new RequestGuard(settings.allowPrivateNetwork(), settings.alsoAllowed());
        this.pool = new Pool(settings, guard);
    }

    /** A browser engine that starts Chromium lazily, on the first page it renders. */
    public static Browser lazy(Settings settings) {
        return new Browser(settings);
    }

    /**
     * A browser engine when Chromium is installed where {@code settings} say, else null: a server
     * without one reads directly and says so.
     */
    public static Browser ifInstalled(Settings settings) {
        return java.nio.file.Files.isExecutable(settings.executable()) ? lazy(settings) : null;
    }

    @Override
    public void admit(URI target) throws FetchException {
        guard.vet(target);
    }

    @Override
    public String policy() {
        return settings.allowPrivateNetwork() ? "private-network-allowed" : "public-only";
    }

    @Override
    public Page load(URI url, FetchOptions options) throws ReaderException {
        Duration timeout = options.timeout() != null ? options.timeout() : settings.timeout();
        if (timeout.isZero() || timeout.isNegative()) {
            throw new ReaderException(
                    ReaderException.Kind.BAD_OPTION,
                    "the timeout must be positive, not " + timeout);
        }
        Instant deadline = Instant.now().plus(timeout);
        Pool.Lease lease = pool.acquire(deadline);
        boolean healthy = false;
        Tab tab = null;
        try {
            tab =
                    new Tab(
                            lease.chromium.cdp(),
                            guard,
                            lease.proxy,
                            userAgent(lease.chromium, deadline),
                            url,
                            options,
                            timeout,
                            deadline);
            Page page = tab.render(lease.contextId);
            healthy = true;
            return page;
        } catch (ReaderException e) {
            // A refused or malformed request says nothing about the context's health.
            healthy = e.kind() != ReaderException.Kind.UNREADABLE;
            throw e;
        } finally {
            pool.release(lease, healthy && (tab == null || tab.closedCleanly()));
        }
    }

    /** Memory of the Chromium process tree now (zero before the first page). */
    public Memory memory() {
        return pool.memory();
    }

    /** How many times Chromium has been started: 0 before the first page, more after crashes. */
    public int starts() {
        return pool.starts();
    }

    /** The running Chromium's process id, or -1 when none runs. */
    public long pid() {
        return pool.pid();
    }

    @Override
    public void close() {
        pool.close();
    }

    /**
     * Chromium's own user agent with "HeadlessChrome" made "Chrome": pages that refuse headless
     * browsers would otherwise read differently from what a person sees.
     */
    private String userAgent(Chromium chromium, Instant deadline) throws ReaderException {
        String agent = userAgent;
        if (agent == null) {
            try {
                agent =
                        chromium.cdp()
                                .call(null, "Browser.getVersion", Map.of(), deadline)
                                .path("userAgent")
                                .asText()
                                .replace("HeadlessChrome", "Chrome");
            } catch (Cdp.CdpException e) {
                throw new ReaderException(
                        ReaderException.Kind.UNREADABLE,
                        "the browser does not answer: " + e.getMessage(),
                        e);
            }
            userAgent = agent;
        }
        return agent;
    }
}
