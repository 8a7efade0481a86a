package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class EmbeddingTypeTest {

    static final float[] V = {0.5f, -1.25f, 3e-7f, -0f, 0f, 2f, -3f, 1f, 0.1f, -0.1f};

    @Test
    void base64_roundTripsLittleEndianFloat32() {
        String text = (String) EmbeddingType.BASE64.encode(V);
        assertArrayEquals(V, EmbeddingType.fromBase64(text));
        // 0.5f is 0x3F000000: little-endian bytes 00 00 00 3F.
        assertEquals("AAAAPw==", EmbeddingType.toBase64(new float[] {0.5f}));
    }

    @Test
    void ubinary_packsSignBitsMostSignificantFirst() {
        int[] packed = (int[]) EmbeddingType.UBINARY.encode(V);
        // signs: + - + (−0 no) (0 no) + - + | + -  → 1010 0101 | 10(000000)
        assertArrayEquals(new int[] {0b10100101, 0b10000000}, packed);
        boolean[] bits = EmbeddingType.unpackBits(packed, 0, V.length);
        for (int d = 0; d < V.length; d++) assertEquals(V[d] > 0, bits[d], "dimension " + d);
    }

    @Test
    void binary_isUbinaryMinus128() {
        int[] u = (int[]) EmbeddingType.UBINARY.encode(V);
        int[] b = (int[]) EmbeddingType.BINARY.encode(V);
        for (int i = 0; i < u.length; i++) {
            assertEquals(u[i] - 128, b[i]);
            assertEquals((byte) u[i], (byte) (b[i] + 128));
        }
        boolean[] bits = EmbeddingType.unpackBits(b, -128, V.length);
        for (int d = 0; d < V.length; d++) assertEquals(V[d] > 0, bits[d]);
    }

    @Test
    void parse_knowsTheWireNames() {
        assertEquals(EmbeddingType.UBINARY, EmbeddingType.parse("ubinary"));
        assertNull(EmbeddingType.parse("int8"));
    }
}
