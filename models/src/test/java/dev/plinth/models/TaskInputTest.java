package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A task adapter chosen by a scalar int64 input, as jina-embeddings-v3's ONNX export takes it,
 * against the tiny model of scripts/make-tiny-task-encoder.py: each token's embedding is the
 * one-hot of its id modulo 3 followed by {@code task_id + 1}, pooled by mean.
 */
class TaskInputTest {

    private static final String MODEL = "tiny-task-encoder";
    private static ModelRegistry registry;
    private static Embedder embedder;

    @BeforeAll
    static void load() throws Exception {
        Path folders =
                Path.of(TaskInputTest.class.getResource("/" + MODEL + "/plinth-model.json").toURI())
                        .getParent()
                        .getParent();
        registry =
                ModelRegistry.create(
                        ModelRegistry.Options.defaults().withFolders(List.of(folders)));
        embedder = new Embedder(registry);
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    private static float[] embed(String text, String task, Integer dimensions) {
        return embedder.embed(
                        Embedder.Request.of(List.of(text))
                                .withModel(MODEL)
                                .withTask(task)
                                .withDimensions(dimensions))
                .embeddings()
                .getFirst();
    }

    private static float[] normalized(double... v) {
        double norm = 0;
        for (double x : v) norm += x * x;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / Math.sqrt(norm));
        return out;
    }

    @Test
    void taskId_feedsTheAdapterEachJinaTaskNames() {
        // "the" is [CLS]=2 the=5 [SEP]=3: residues 2, 2, 0, so the mean is (1/3, 0, 2/3, task_id +
        // 1).
        Map<String, Integer> ids =
                Map.of(
                        "retrieval.query",
                        0,
                        "retrieval.passage",
                        1,
                        "separation",
                        2,
                        "classification",
                        3,
                        "text-matching",
                        4);
        ids.forEach((task, id) ->
                assertArrayEquals(
                        normalized(1 / 3.0, 0, 2 / 3.0, id + 1),
                        embed("the", task, null),
                        1e-6f,
                        task));
    }

    @Test
    void taskId_defaultsToTheConfiguredTask() {
        assertArrayEquals(embed("the", "text-matching", null), embed("the", null, null), 0f);
    }

    @Test
    void matryoshkaCut_appliesToTaskAdaptedVectors() {
        // "a an" is [CLS]=2 a=6 an=7 [SEP]=3: residues 2, 0, 1, 0; the first two means are 2/4 and
        // 1/4.
        assertArrayEquals(normalized(0.5, 0.25), embed("a an", "retrieval.passage", 2), 1e-6f);
    }

    @Test
    void unknownTask_isRefusedNamingTheValidOnes() {
        ModelException e =
                assertThrows(ModelException.class, () -> embed("the", "summarization", null));
        assertEquals(ModelException.Reason.INVALID_INPUT, e.reason());
        assertTrue(
                e.getMessage().contains("retrieval.query")
                        && e.getMessage().contains("text-matching"),
                e.getMessage());
    }
}
