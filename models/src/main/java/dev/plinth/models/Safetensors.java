package dev.plinth.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one 2-D tensor from a {@code .safetensors} file (HuggingFace's format: an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, then
 * the raw little-endian data). Used for a ColBERT projection kept beside the ONNX file. F32, F16
 * and BF16 are read, as floats.
 */
final class Safetensors {

    /** A matrix, row-major: {@code rows × columns}. */
    record Matrix(int rows, int columns, float[] values) {}

    /** The header is JSON of a few tensors; anything bigger is not a projection file. */
    private static final long MAX_HEADER = 1 << 20;

    private Safetensors() {}

    /**
     * The file's one 2-D tensor (or, when it holds several, the one whose name ends in {@code
     * weight} and is 2-D).
     */
    static Matrix matrix(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long headerLength = len.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER || headerLength > ch.size() - 8)
                throw new IOException(
                        "not a safetensors file (header length " + headerLength + ")");
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(ch, header, 8);
            JsonNode json = ModelConfig.JSON.readTree(header.array());
            List<String> matrices = new ArrayList<>();
            String chosen = null;
            for (var it = json.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (name.equals("__metadata__")) continue;
                if (json.get(name).path("shape").size() != 2) continue;
                matrices.add(name);
                if (name.endsWith("weight")) chosen = name;
            }
            if (matrices.size() == 1) chosen = matrices.getFirst();
            if (chosen == null)
                throw new IOException(
                        "expected one 2-D tensor (or one named *weight), found " + matrices);
            JsonNode t = json.get(chosen);
            int rows = t.get("shape").get(0).asInt(), cols = t.get("shape").get(1).asInt();
            long from = t.get("data_offsets").get(0).asLong();
            long to = t.get("data_offsets").get(1).asLong();
            String dtype = t.path("dtype").asText();
            int width =
                    switch (dtype) {
                        case "F32" -> 4;
                        case "F16", "BF16" -> 2;
                        default ->
                                throw new IOException(
                                        "tensor "
                                                + chosen
                                                + " is "
                                                + dtype
                                                + ", not F32, F16 or BF16");
                    };
            if (to - from != (long) rows * cols * width)
                throw new IOException("tensor " + chosen + ": byte range does not match its shape");
            ByteBuffer data = ByteBuffer.allocate((int) (to - from)).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, data, 8 + headerLength + from);
            data.flip();
            float[] values = new float[rows * cols];
            for (int i = 0; i < values.length; i++) {
                values[i] =
                        switch (dtype) {
                            case "F32" -> data.getFloat();
                            case "F16" -> Float.float16ToFloat(data.getShort());
                            default -> Float.intBitsToFloat((data.getShort() & 0xffff) << 16);
                        };
            }
            return new Matrix(rows, cols, values);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer into, long at) throws IOException {
        while (into.hasRemaining()) {
            int n = ch.read(into, at + into.position());
            if (n < 0) throw new IOException("truncated safetensors file");
        }
    }
}
