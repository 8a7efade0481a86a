package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PoolingTest {

    // Two sequences of 3 padded tokens, width 2; the second has 2 real tokens.
    static final float[] STATES = {
        1, 2, 3, 4, 5, 6,
        7, 8, 9, 10, 100, 100
    };

    @Test
    void cls_takesTheFirstToken() {
        assertArrayEquals(new float[] {7, 8}, Pooling.pool(PoolingMode.CLS, STATES, 6, 2, 2));
    }

    @Test
    void mean_averagesOnlyRealTokens() {
        assertArrayEquals(new float[] {3, 4}, Pooling.pool(PoolingMode.MEAN, STATES, 0, 2, 3));
        assertArrayEquals(new float[] {8, 9}, Pooling.pool(PoolingMode.MEAN, STATES, 6, 2, 2));
    }

    @Test
    void last_takesTheLastRealTokenNotPadding() {
        assertArrayEquals(new float[] {9, 10}, Pooling.pool(PoolingMode.LAST, STATES, 6, 2, 2));
    }

    @Test
    void finish_cutsThenNormalizes() {
        float[] v = Pooling.finish(new float[] {3, 4, 12}, 2, true);
        assertArrayEquals(new float[] {0.6f, 0.8f}, v, 1e-6f);
        assertArrayEquals(new float[] {3, 4}, Pooling.finish(new float[] {3, 4, 12}, 2, false));
        assertArrayEquals(new float[] {3, 4, 12}, Pooling.finish(new float[] {3, 4, 12}, 5, false));
    }

    @Test
    void normalize_leavesZeroVectorsAlone() {
        float[] zero = new float[3];
        Pooling.normalizeInPlace(zero);
        assertArrayEquals(new float[3], zero);
        assertEquals(0f, zero[0]);
    }
}
