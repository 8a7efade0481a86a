package dev.plinth.server;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Fetcher;
import java.net.URI;
import java.sql.SQLException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads pages for the HTTP API: admission through {@link ReadSlots}, then the page cache in front
 * of the direct fetcher, then the reader's conversion. Only direct fetches are cached (the page,
 * not the result, so one fetch serves every output format and selector); raw HTML, PDFs, browser
 * and auto-engine reads go straight to {@link Reader#read}. Requests carrying cookies are never
 * cached, in either direction: their page may be personal. A broken cache degrades to fetching,
 * never to a failed read.
 */
final class ReadService {

    private static final Logger LOG = LoggerFactory.getLogger(ReadService.class);

    private final Reader reader;
    private final Fetcher fetcher;
    private final PageCache cache;
    private final ReadSlots slots;
    private final Metrics metrics;

    /** How the cache took part in a read. */
    enum CacheUse {
        /** The page came from the cache. */
        HIT,
        /** The page was fetched, and stored when it could be. */
        MISS,
        /**
         * The read could not use the cache: cookies, raw input, browser, or no cache configured.
         */
        BYPASS
    }

    /** What a read produced, and how the cache took part. */
    record Outcome(Result result, CacheUse cache) {}

    /** {@code cache} may be null (no caching). */
    ReadService(Reader reader, Fetcher fetcher, PageCache cache, ReadSlots slots, Metrics metrics) {
        this.reader = reader;
        this.fetcher = fetcher;
        this.cache = cache;
        this.slots = slots;
        this.metrics = metrics;
    }

    /**
     * Reads {@code request}, honouring the server-side options in {@code params}; 409 over the
     * token budget.
     */
    Outcome read(Request request, ReadParams params) throws ReaderException {
        Outcome outcome;
        try {
            outcome = slots.run(() -> load(request, params));
        } catch (ReaderException e) {
            metrics.fetchError(e.kind().name().toLowerCase(Locale.ROOT));
            throw e;
        }
        int tokens = outcome.result().tokens();
        if (params.tokenBudget() > 0 && tokens > params.tokenBudget()) {
            throw new ApiException(
                    409,
                    "BudgetExceededError",
                    "the content is "
                            + tokens
                            + " tokens, over the X-Token-Budget of "
                            + params.tokenBudget()
                            + "; nothing was charged");
        }
        return outcome;
    }

    private Outcome load(Request request, ReadParams params) throws ReaderException {
        Options options = request.options();
        URI url = request.url();
        boolean direct =
                request.html() == null
                        && request.pdf() == null
                        && options.engine() == Options.Engine.DIRECT
                        && !options.needsBrowser();
        if (!direct) {
            return new Outcome(reader.read(request), CacheUse.BYPASS);
        }
        boolean cacheable = cache != null && options.cookies().isEmpty();
        String key = cacheable ? PageCache.key(url, options) : null;
        Page page = null;
        if (cacheable && !params.noCache()) {
            page = cached(key, params.cacheTolerance());
        }
        boolean hit = page != null;
        if (!hit) {
            page = fetcher.fetch(url, options);
            if (cacheable && page.status() >= 200 && page.status() < 300) {
                store(key, page);
            }
        }
        // Read as if fetched from the URL asked for, so X-Base: initial resolves links against it.
        Page read =
                options.base() == Options.Base.INITIAL
                        ? new Page(
                                url,
                                page.status(),
                                page.contentType(),
                                page.charset(),
                                page.body(),
                                page.headers())
                        : page;
        return new Outcome(
                reader.convert(read, options),
                hit ? CacheUse.HIT : cacheable ? CacheUse.MISS : CacheUse.BYPASS);
    }

    private Page cached(String key, long tolerance) {
        try {
            PageCache.Entry entry = cache.get(key, tolerance);
            if (entry != null) {
                metrics.cacheHit();
                return entry.page();
            }
        } catch (SQLException e) {
            LOG.warn("page cache lookup failed, fetching instead: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "ServiceUnavailableError", "the server is shutting down");
        }
        metrics.cacheMiss();
        return null;
    }

    private void store(String key, Page page) {
        try {
            cache.put(key, page);
        } catch (SQLException e) {
            LOG.warn("page cache write failed: {}", e.getMessage());
        }
    }

    /** Reads running now. */
    int active() {
        return slots.active();
    }

    /** Reads waiting for a slot now. */
    int waiting() {
        return slots.waiting();
    }
}
