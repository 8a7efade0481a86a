package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SpreadTest {

    /** Runs {@code n} lone runs of {@code tokens}, each way taking its given time; counts wide. */
    private static int run(Spread spread, int n, long tokens, long oneNanos, long allNanos) {
        int wide = 0;
        for (int i = 0; i < n; i++) {
            boolean w = spread.wide(tokens);
            if (w) wide++;
            spread.record(tokens, w, w ? allNanos : oneNanos);
        }
        return wide;
    }

    @Test
    void eachWayIsTriedFirst_thenTheFasterTakesAllButTheExplorations() {
        Spread spread = new Spread();
        // One core twice (the first uncounted), then all cores twice.
        assertFalse(spread.wide(16));
        spread.record(16, false, 50_000_000); // a warm-up run, however slow, is not counted
        assertFalse(spread.wide(16));
        spread.record(16, false, 4_200_000);
        assertTrue(spread.wide(16));
        spread.record(16, true, 90_000_000);
        assertTrue(spread.wide(16));
        spread.record(16, true, 3_200_000);
        int n = 20 * Spread.EXPLORE;
        assertEquals(n - n / Spread.EXPLORE, run(spread, n, 16, 4_200_000, 3_200_000));
    }

    @Test
    void aNeighbourThatComesAndGoes_flipsTheChoiceBothWays() {
        Spread spread = new Spread();
        run(spread, 100, 16, 4_200_000, 3_200_000);
        // A busy neighbour: spread runs slow down; within a window the choice is one core.
        run(spread, Spread.WINDOW, 16, 4_300_000, 9_000_000);
        int n = 10 * Spread.EXPLORE;
        assertEquals(n / Spread.EXPLORE, run(spread, n, 16, 4_300_000, 9_000_000));
        // It leaves: the explorations see it, and spreading wins again.
        run(spread, (Spread.WINDOW + 1) * Spread.EXPLORE, 16, 4_200_000, 3_200_000);
        assertEquals(n - n / Spread.EXPLORE, run(spread, n, 16, 4_200_000, 3_200_000));
    }

    @Test
    void oneSlowRun_doesNotFlipTheChoice_andSizesAreJudgedApart() {
        Spread spread = new Spread();
        run(spread, 100, 16, 4_200_000, 3_200_000);
        assertTrue(spread.wide(16) || spread.wide(16));
        spread.record(16, true, 200_000_000); // a pause
        int n = 4 * Spread.EXPLORE;
        assertTrue(run(spread, n, 16, 4_200_000, 3_200_000) >= n - 2 * n / Spread.EXPLORE);
        // Short runs whose operators are too small to share stay on one core meanwhile.
        run(spread, 100, 4, 1_500_000, 2_000_000);
        n = 10 * Spread.EXPLORE;
        assertEquals(n / Spread.EXPLORE, run(spread, n, 4, 1_500_000, 2_000_000));
    }
}
