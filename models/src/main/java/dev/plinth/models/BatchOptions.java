package dev.plinth.models;

import java.time.Duration;

/**
 * How a model's {@link Batcher} cuts and runs batches.
 *
 * @param tokenBudget most padded tokens (count × longest) per run; default <b>256</b>: on CPU a
 *     batch pays only by sharing each run's fixed cost among short texts (bge-small-en int8, one
 *     thread, 21-token texts: 3,300 tokens/s alone, 4,900 in batches of 8 to 24, 4,700 of 96); big
 *     batches of long texts lose (203 tokens: 4,100 alone, 3,800 by 4, 3,000 by 40), as every
 *     sequence's attention scores no longer fit the core's cache. A longer sequence runs alone.
 * @param maxBatch most sequences per run; default <b>128</b>
 * @param queueTokens most tokens waiting (queued or in the round being run); default <b>131072</b>
 * @param maxWait longest wait a new request may face at the measured throughput; default <b>10
 *     s</b>
 * @param grouping how sequences may share a run; null picks by the model ({@link Grouping#SINGLE}
 *     for quantized models, else {@link Grouping#PADDED})
 * @param workers runs at once, each on its own share of the cores; default <b>the number of
 *     cores</b> ({@code -Dplinth.model.workers=N} sets it)
 */
public record BatchOptions(
        int tokenBudget,
        int maxBatch,
        long queueTokens,
        Duration maxWait,
        Grouping grouping,
        int workers) {
    public BatchOptions {
        if (workers < 1) throw new IllegalArgumentException("workers must be ≥ 1: " + workers);
    }

    /** The defaults. */
    public static BatchOptions defaults() {
        return new BatchOptions(
                256,
                128,
                131072,
                Duration.ofSeconds(10),
                null,
                Integer.getInteger(
                        "plinth.model.workers", Runtime.getRuntime().availableProcessors()));
    }

    /** These options with another grouping. */
    public BatchOptions withGrouping(Grouping g) {
        return new BatchOptions(tokenBudget, maxBatch, queueTokens, maxWait, g, workers);
    }

    /** These options with other queue bounds. */
    public BatchOptions withQueue(long tokens, Duration wait) {
        return new BatchOptions(tokenBudget, maxBatch, tokens, wait, grouping, workers);
    }

    /** These options with another number of workers. */
    public BatchOptions withWorkers(int n) {
        return new BatchOptions(tokenBudget, maxBatch, queueTokens, maxWait, grouping, n);
    }

    /** How sequences may share a run. */
    public enum Grouping {
        /** Any lengths, padded to the longest, under the token budget. */
        PADDED,
        /** Only sequences of exactly the same length (no padding; neighbours still share a run). */
        EQUAL_LENGTH,
        /** One sequence per run. */
        SINGLE
    }
}
