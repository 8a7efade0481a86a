package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The int8 derivation and the ONNX reader/writer under it. */
class QuantizerTest {

    static Path bundled() throws Exception {
        return Path.of(
                QuantizerTest.class
                        .getResource("/plinth-models/" + Shared.EN + "/model.onnx")
                        .toURI());
    }

    @Test
    void onnxFile_writesBackWhatItReads() throws Exception {
        byte[] once = OnnxFile.write(OnnxFile.read(Files.readAllBytes(bundled())));
        byte[] twice = OnnxFile.write(OnnxFile.read(once));
        assertArrayEquals(once, twice);
    }

    @Test
    void bundledModel_isTheDerivedOne() throws Exception {
        OnnxFile.Model m = OnnxFile.read(Files.readAllBytes(bundled()));
        Map<String, Long> ops =
                m.graph.nodes.stream()
                        .collect(Collectors.groupingBy(n -> n.opType, Collectors.counting()));
        // bge-small-en: 12 layers × 6 dense layers, 12 × 2 + 1 LayerNorms; no dynamic quantization.
        assertEquals(72L, ops.get("MatMulIntegerToFloat"), ops.toString());
        assertEquals(25L, ops.get("SkipLayerNormalization"), ops.toString());
        assertFalse(ops.containsKey("DynamicQuantizeLinear"), ops.toString());
        assertFalse(ops.containsKey("LayerNormalization"), ops.toString());
        assertEquals(1, m.opsetVersion("com.microsoft"));
        Map<String, OnnxFile.Tensor> init =
                m.graph.initializers.stream()
                        .collect(Collectors.toMap(t -> t.name, Function.identity()));
        assertTrue(
                init.values().stream()
                        .noneMatch(t -> t.dataType == OnnxFile.FLOAT && t.size() > 1_000_000),
                "no large fp32 table is left");
    }

    @Test
    void modelWithoutWeights_isRefusedWithItsName(@TempDir Path dir) throws Exception {
        Path tiny = TinyModels.resource("tiny-cross-encoder/model.onnx");
        Path out = dir.resolve("out.onnx");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Quantizer.derive(tiny, out));
        assertTrue(e.getMessage().contains("no MatMul by a constant matrix"), e.getMessage());
        assertTrue(e.getMessage().contains(tiny.toString()), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void notAnOnnxFile_isRefused() {
        assertThrows(
                IllegalArgumentException.class,
                () -> OnnxFile.read("plain text, not protobuf".getBytes()));
    }
}
