package dev.plinth.server;

import dev.plinth.reader.Options;

/**
 * Everything a reader request asks for: the reader's {@link Options} plus what only the server acts
 * on.
 *
 * @param options how the reader loads and reads the page
 * @param tokenBudget refuse (409) a result longer than this many tokens; 0 = no budget
 * @param chunkDepth split the content on headings of level 1..depth; 0 = no chunks
 */
record ReadParams(Options options, int tokenBudget, int chunkDepth) {}
