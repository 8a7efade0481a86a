package dev.plinth.models;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Locale;

/**
 * The wire forms of an embedding (Jina's {@code embedding_type}): plain floats, base64 of
 * little-endian float32, or one sign bit per dimension packed eight to a byte, most significant bit
 * first (numpy's {@code packbits}), as unsigned bytes ({@code ubinary}) or as those minus 128
 * ({@code binary}, signed int8). A dimension is "1" when its value is positive; the last byte is
 * zero-padded.
 */
public enum EmbeddingType {
    /** A JSON array of numbers. */
    FLOAT,
    /** Base64 of the little-endian float32 bytes. */
    BASE64,
    /** Packed sign bits as int8 ({@code ubinary − 128}). */
    BINARY,
    /** Packed sign bits as uint8. */
    UBINARY;

    /** The wire name. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a wire name; null when unknown. */
    public static EmbeddingType parse(String name) {
        for (EmbeddingType t : values()) if (t.wireName().equals(name)) return t;
        return null;
    }

    /** The vector in this form: {@code float[]}, {@code String} or {@code int[]}. */
    public Object encode(float[] vector) {
        return switch (this) {
            case FLOAT -> vector;
            case BASE64 -> toBase64(vector);
            case UBINARY -> packBits(vector, 0);
            case BINARY -> packBits(vector, -128);
        };
    }

    /** Base64 of the little-endian float32 bytes of {@code vector}. */
    public static String toBase64(float[] vector) {
        ByteBuffer buf =
                ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : vector) buf.putFloat(v);
        return Base64.getEncoder().encodeToString(buf.array());
    }

    /** The inverse of {@link #toBase64}. */
    public static float[] fromBase64(String text) {
        ByteBuffer buf =
                ByteBuffer.wrap(Base64.getDecoder().decode(text)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[buf.remaining() / Float.BYTES];
        for (int i = 0; i < out.length; i++) out[i] = buf.getFloat();
        return out;
    }

    /**
     * Unpacks {@code dimensions} sign bits from packed bytes (either form: {@code offset} 0 or
     * −128).
     */
    public static boolean[] unpackBits(int[] packed, int offset, int dimensions) {
        boolean[] out = new boolean[dimensions];
        for (int d = 0; d < dimensions; d++) {
            int b = packed[d / 8] - offset;
            out[d] = (b >> (7 - d % 8) & 1) == 1;
        }
        return out;
    }

    private static int[] packBits(float[] vector, int offset) {
        int[] out = new int[(vector.length + 7) / 8];
        for (int d = 0; d < vector.length; d++) {
            if (vector[d] > 0) out[d / 8] |= 1 << (7 - d % 8);
        }
        for (int i = 0; i < out.length; i++) out[i] += offset;
        return out;
    }
}
