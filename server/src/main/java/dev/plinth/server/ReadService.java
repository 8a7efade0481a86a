package dev.plinth.server;

import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import java.util.Locale;

/**
 * Reads pages for the HTTP API: admission through {@link ReadSlots}, then the {@link Reader} (whose
 * page source holds the cache and the engines), then the token budget. Everything about loading and
 * caching is the reader's page source; this class only admits, meters and enforces what is the
 * server's alone.
 */
final class ReadService {

    private final Reader reader;
    private final ReadSlots slots;
    private final Metrics metrics;
    private final boolean cacheConfigured;

    /** How the cache took part in a read. */
    enum CacheUse {
        /** The page came from the cache. */
        HIT,
        /** The page was loaded, and stored when it could be. */
        MISS,
        /** The read could not use the cache: cookies, raw input, or no cache configured. */
        BYPASS
    }

    /** What a read produced, its token count, and how the cache took part. */
    record Outcome(Result result, int tokens, CacheUse cache) {}

    ReadService(Reader reader, ReadSlots slots, Metrics metrics, boolean cacheConfigured) {
        this.reader = reader;
        this.slots = slots;
        this.metrics = metrics;
        this.cacheConfigured = cacheConfigured;
    }

    /**
     * Reads {@code request}, honouring the server-side options in {@code params}; 409 over the
     * token budget.
     */
    Outcome read(Request request, ReadParams params) throws ReaderException {
        Result result;
        try {
            result = slots.run(() -> reader.read(request));
        } catch (ReaderException e) {
            metrics.fetchError(
                    e.getCause() instanceof dev.plinth.reader.lm.LmException lm
                            ? "lm_" + lm.kind().name().toLowerCase(Locale.ROOT)
                            : e.kind().name().toLowerCase(Locale.ROOT));
            throw e;
        }
        int tokens = result.tokens();
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
        return new Outcome(result, tokens, cacheUse(request, result));
    }

    private CacheUse cacheUse(Request request, Result result) {
        if (!cacheConfigured
                || request.page() != null
                || !request.options().fetch().cookies().isEmpty()) {
            return CacheUse.BYPASS;
        }
        return result.cached() ? CacheUse.HIT : CacheUse.MISS;
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
