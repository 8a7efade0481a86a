package dev.plinth.server;

import dev.plinth.reader.Options;

/**
 * Everything a reader request asks for: the reader's {@link Options} plus what only the server acts
 * on.
 *
 * @param options how the reader reads the page
 * @param noCache bypass the cache for this request (the fresh page is still stored)
 * @param cacheTolerance oldest cached page accepted, in seconds; <b>3600</b>
 * @param tokenBudget refuse (409) a result longer than this many tokens; 0 = no budget
 * @param chunkDepth split the content on headings of level 1..depth; 0 = no chunks
 */
record ReadParams(
        Options options, boolean noCache, long cacheTolerance, int tokenBudget, int chunkDepth) {

    /** The cache tolerance when a request names none. */
    static final long DEFAULT_CACHE_TOLERANCE = 3600;
}
