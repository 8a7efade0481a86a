package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ModelRegistry#check}: every tiny family folder passes, and a folder whose {@code
 * plinth-model.json} disagrees with its ONNX file fails with one line that names what the file has.
 */
class ModelFolderCheckTest {

    @Test
    void everyTinyFamilyFolder_passes() {
        for (String name :
                List.of(
                        "tiny-jina-v3",
                        "tiny-jina-reranker",
                        "tiny-jina-colbert",
                        "tiny-jina-clip",
                        "tiny-task-encoder",
                        "tiny-cross-encoder")) {
            assertEquals(name, ModelRegistry.check(TinyModels.resource(name)).name());
        }
    }

    private static String failure(Path folder) {
        ModelException e = assertThrows(ModelException.class, () -> ModelRegistry.check(folder));
        assertEquals(ModelException.Reason.LOAD_FAILED, e.reason());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void wrongInputName_namesTheInputsTheFileHas(@TempDir Path dir) throws Exception {
        String m =
                failure(
                        TinyModels.copyWithConfig(
                                "tiny-jina-v3",
                                dir,
                                "{\"name\": \"v3\", \"pooling\": \"mean\", \"max_tokens\": 8192,"
                                        + " \"dimensions\": 8, \"task_input\": \"task\","
                                        + " \"tasks\": {\"retrieval.query\": {\"id\": 0}}}"));
        assertTrue(
                m.contains("missing [task]")
                        && m.contains("cannot feed [task_id]")
                        && m.contains("task_id INT64[]"),
                m);
    }

    @Test
    void wrongOutputRank_namesTheOutputsTheFileHas(@TempDir Path dir) throws Exception {
        String m =
                failure(
                        TinyModels.copyWithConfig(
                                "tiny-jina-reranker",
                                dir,
                                "{\"name\": \"not-an-encoder\", \"kind\": \"encoder\","
                                        + " \"pooling\": \"mean\", \"max_tokens\": 32,"
                                        + " \"dimensions\": 1}"));
        assertTrue(m.contains("output 'logits' has rank 2") && m.contains("needs rank 3"), m);
        assertTrue(m.contains("logits FLOAT[-1, 1]"), m);
    }

    @Test
    void clipWithoutItsVisionInput_saysWhatTheFileTakes(@TempDir Path dir) throws Exception {
        String m =
                failure(
                        TinyModels.copyWithConfig(
                                "tiny-jina-clip",
                                dir,
                                "{\"name\": \"clip\", \"kind\": \"clip\", \"pooling\": \"none\","
                                        + " \"max_tokens\": 64, \"dimensions\": 4,"
                                        + " \"output\": \"text_embeddings\", \"vision\":"
                                        + " {\"input\": \"pixels\", \"output\": \"image_embeddings\"}}"));
        assertTrue(m.contains("cannot feed [pixel_values]"), m);
    }

    @Test
    void colbertProjectionOfTheWrongShape_isNamed(@TempDir Path dir) throws Exception {
        String m =
                failure(
                        TinyModels.copyWithConfig(
                                "tiny-jina-colbert",
                                dir,
                                "{\"name\": \"cb\", \"kind\": \"colbert\", \"max_tokens\": 64,"
                                        + " \"dimensions\": 8, \"colbert\": {\"projection\":"
                                        + " \"projection.safetensors\"}}"));
        assertTrue(m.contains("projection projection.safetensors is [4, 6]"), m);
    }

    @Test
    void missingConfig_isNamed(@TempDir Path dir) {
        assertTrue(failure(dir).contains("has no plinth-model.json"));
    }
}
