package dev.plinth.reader;

import java.net.URI;
import java.time.Duration;

/**
 * The one place that decides who loads a page: the direct fetcher, or the browser.
 *
 * <p>{@code BROWSER} (and anything only a browser can do: waiting for a selector, shadow DOM,
 * iframes, pictures) goes to the browser. {@code DIRECT} fetches. {@code AUTO} fetches, and loads
 * the page again in the browser only when the served HTML looks script-rendered ({@link
 * ScriptRendered}), within what is left of the same deadline; when the browser then fails, or there
 * is none, the page as served is returned with a warning that says so. Static pages — nearly all of
 * them — so stay on the fast path.
 */
public final class Engines implements PageSource {

    /**
     * The decision needs the parsed page: CPU work, so it runs on the pool, within what is left of
     * the load's time (at least a second: a page fetched at the deadline still gets its look).
     */
    private boolean looksScriptRendered(Page page, Duration left) throws ReaderException {
        return pool.run(
                () ->
                        ScriptRendered.looksSo(
                                Cancellation.parse(page.text(), page.url().toString())),
                left.compareTo(MIN_RENDER_TIME) < 0 ? MIN_RENDER_TIME : left,
                "deciding whether the page needs a browser");
    }

    /** What a user does to get a browser engine. */
    public static final String NO_BROWSER_HINT =
            "install Chromium (Debian: apt-get install chromium) or point PLINTH_CHROMIUM at it";

    /** Rendering with less time than this left is not worth starting. */
    private static final Duration MIN_RENDER_TIME = Duration.ofSeconds(1);

    private final PageSource direct;
    private final PageSource browser;
    private final Duration defaultTimeout;
    private final CpuPool pool;

    /**
     * The engine choice over {@code direct} and {@code browser} (null when no browser is
     * available); {@code defaultTimeout} is the deadline of a load whose options name none.
     */
    public Engines(PageSource direct, PageSource browser, Duration defaultTimeout) {
        this(direct, browser, defaultTimeout, CpuPool.shared());
    }

    public Engines(PageSource direct, PageSource browser, Duration defaultTimeout, CpuPool pool) {
        this.direct = direct;
        this.browser = browser;
        this.defaultTimeout = defaultTimeout;
        this.pool = pool;
    }

    /** Whether a browser engine is available. */
    public boolean hasBrowser() {
        return browser != null;
    }

    @Override
    public Page load(URI target, FetchOptions options) throws ReaderException {
        if (options.needsBrowser()) {
            if (browser == null) {
                throw new ReaderException(
                        ReaderException.Kind.BAD_OPTION,
                        "this option needs the browser engine, which is not available here: "
                                + NO_BROWSER_HINT);
            }
            return browser.load(target, options);
        }
        long start = System.nanoTime();
        Page page = direct.load(target, options);
        Duration budget = options.timeout() != null ? options.timeout() : defaultTimeout;
        if (options.engine() == FetchOptions.Engine.DIRECT
                || page.status() >= 400
                || page.isPdf()
                || !page.isHtml()
                || !looksScriptRendered(page, budget.minusNanos(System.nanoTime() - start))) {
            return page;
        }
        if (browser == null) {
            return page.withWarning(
                    "The page looks script-rendered, and no browser engine is available to render"
                            + " it; this is the page as served. "
                            + NO_BROWSER_HINT);
        }
        Duration left = budget.minusNanos(System.nanoTime() - start);
        if (left.compareTo(MIN_RENDER_TIME) < 0) {
            return page.withWarning(
                    "The page looks script-rendered, but too little time was left to render it");
        }
        try {
            return browser.load(target, options.toBuilder().timeout(left).build());
        } catch (ReaderException e) {
            if (e.kind() == ReaderException.Kind.BLOCKED
                    || e.kind() == ReaderException.Kind.BAD_OPTION) {
                throw e;
            }
            return page.withWarning(
                    "The page looks script-rendered, but the browser failed ("
                            + e.getMessage()
                            + "); this is the page as served");
        }
    }

    @Override
    public void admit(URI target) throws ReaderException {
        direct.admit(target);
    }

    @Override
    public String policy() {
        return direct.policy();
    }

    @Override
    public void close() {
        if (browser != null) {
            browser.close();
        }
        direct.close();
    }
}
