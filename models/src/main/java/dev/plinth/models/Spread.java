package dev.plinth.models;

import java.util.Arrays;

/**
 * Whether a run that has its model to itself spreads over every core or stays on one: decided by
 * the runs' own timings, per size of run, because neither way wins on every machine.
 *
 * <p>With the other core free, a 16-token query of bge-small-en-v1.5 (int8) takes 3.2 ms spread
 * over two cores against 4.2 ms on one: ORT's second thread spins between operators and takes its
 * half of each at once. With another process busy on a core, the spread run waits at every operator
 * for the thread that shares that core: through HTTP, p50 8–11 ms against 4.7–5.1 ms on one.
 * Nothing cheap to read tells the two cases apart beforehand (a load average lags by a minute, and
 * the run's own spinning thread counts as load), so each size of run keeps, for each way, the
 * nanoseconds per token of its last {@value #WINDOW} runs, and:
 *
 * <ul>
 *   <li>a way not yet measured at a size is tried first (one core, then both); the first run of
 *       each is not counted, as it pays for the session's first allocations at that size;
 *   <li>after that a run takes the way whose median is lower, except every {@value #EXPLORE}th run
 *       of a size, which takes the other way, so a neighbour that comes or goes is noticed: within
 *       a few runs when the chosen way slows down, within a few explorations when the other way
 *       speeds up.
 * </ul>
 *
 * Medians, not averages: one run slowed by a pause or a page fault must not flip the choice.
 */
final class Spread {

    /** One run in this many tries the way not chosen. */
    static final int EXPLORE = 16;

    /** Timings kept per way and size. */
    static final int WINDOW = 5;

    // Sizes are powers of two of padded tokens: 1, 2, 3–4, 5–8, …, 8193–16384, and more.
    private static final int SIZES = 16;
    private static final int ONE = 0, ALL = 1;

    private final double[][][] nanosPerToken = new double[2][SIZES][WINDOW];
    // Runs recorded per way and size, the uncounted first one included.
    private final int[][] recorded = new int[2][SIZES];
    private final int[] decided = new int[SIZES];

    /** Whether the next lone run of {@code tokens} padded tokens should use every core. */
    synchronized boolean wide(long tokens) {
        int size = size(tokens);
        if (recorded[ONE][size] < 2) return false;
        if (recorded[ALL][size] < 2) return true;
        boolean spreadWins = median(ALL, size) < median(ONE, size);
        return ++decided[size] % EXPLORE == 0 ? !spreadWins : spreadWins;
    }

    /** Records a lone run of {@code tokens} padded tokens that took {@code nanos}. */
    synchronized void record(long tokens, boolean wide, long nanos) {
        int way = wide ? ALL : ONE, size = size(tokens);
        int n = recorded[way][size]++;
        if (n == 0) return; // the warm-up run
        nanosPerToken[way][size][(n - 1) % WINDOW] = (double) nanos / Math.max(1, tokens);
    }

    private double median(int way, int size) {
        int n = Math.min(WINDOW, recorded[way][size] - 1);
        double[] kept = Arrays.copyOf(nanosPerToken[way][size], n);
        Arrays.sort(kept);
        return kept[n / 2];
    }

    private static int size(long tokens) {
        return Math.min(SIZES - 1, 64 - Long.numberOfLeadingZeros(Math.max(0, tokens - 1)));
    }
}
