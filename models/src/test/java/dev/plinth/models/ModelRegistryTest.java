package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Folders beside the bundled models: all-MiniLM-L6-v2 (int8, derived from the fp32 artifact jar)
 * installed as {@code plinth models add} does, and broken folders that must fail with a useful
 * message.
 */
class ModelRegistryTest {

    static final String MINILM = "all-MiniLM-L6-v2-int8";
    @TempDir static Path dir;
    static ModelRegistry registry;

    @BeforeAll
    static void install() throws Exception {
        Path jar =
                Path.of(
                        AllMiniLmL6V2EmbeddingModel.class
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI());
        Catalog.find(MINILM).orElseThrow().install(jar, dir);
        registry = ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of(dir)));
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    @Test
    void installedFolder_isListedBesideTheBundledModels() {
        List<String> names = registry.available().stream().map(a -> a.config().name()).toList();
        assertTrue(names.containsAll(List.of(Shared.EN, Shared.ZH, MINILM)), names.toString());
        assertFalse(registry.installable().stream().anyMatch(e -> e.name().equals(MINILM)));
        assertTrue(registry.installable().stream().anyMatch(e -> e.name().equals("e5-small-v2")));
    }

    @Test
    void miniLm_meanPooledStaysCloseToLangChain4jFp32() {
        GoldenVectorsTest.compareCosine(
                MINILM,
                new AllMiniLmL6V2EmbeddingModel(),
                GoldenVectorsTest.ENGLISH,
                new Embedder(registry));
    }

    @Test
    void miniLm_plinthsTruncationRulesNotTheTokenizerFiles128() {
        // The artifact's tokenizer.json pads and truncates at 128; plinth cuts at the model's 256
        // and says so.
        Embedder embedder = new Embedder(registry);
        Embedder.Result r =
                embedder.embed(Embedder.Request.of(List.of("word ".repeat(300))).withModel(MINILM));
        assertEquals(256, r.tokens());
        assertEquals(
                6,
                embedder.embed(Embedder.Request.of(List.of("one two three four")).withModel(MINILM))
                        .tokens(),
                "no padding to 128 either");
        Embedder.Request strict =
                Embedder.Request.of(List.of("word ".repeat(300)))
                        .withModel(MINILM)
                        .withTruncate(false);
        ModelException e = assertThrows(ModelException.class, () -> embedder.embed(strict));
        assertTrue(e.getMessage().contains("302 tokens"), e.getMessage());
    }

    @Test
    void loadError_namesTheInputsTheFileHas(@TempDir Path broken) throws Exception {
        Path folder = Files.createDirectories(broken.resolve("needs-task"));
        Path bundled = registry.get(Shared.EN).folder();
        Files.createSymbolicLink(folder.resolve("model.onnx"), bundled.resolve("model.onnx"));
        Files.createSymbolicLink(
                folder.resolve("tokenizer.json"), bundled.resolve("tokenizer.json"));
        ModelConfig config =
                new ModelConfig(
                        "needs-task",
                        ModelConfig.Kind.ENCODER,
                        PoolingMode.MEAN,
                        true,
                        512,
                        384,
                        true,
                        Map.of("retrieval.query", new ModelConfig.Task(null, 0)),
                        "task_id",
                        null,
                        false,
                        false,
                        null);
        Files.writeString(folder.resolve(ModelRegistry.CONFIG_FILE), config.toJson());
        try (ModelRegistry r =
                ModelRegistry.create(
                        new ModelRegistry.Options(
                                List.of(broken),
                                false,
                                SessionOptions.defaults(),
                                BatchOptions.defaults(),
                                Map.of(),
                                Map.of()))) {
            ModelException e = assertThrows(ModelException.class, () -> r.get("needs-task"));
            assertEquals(ModelException.Reason.LOAD_FAILED, e.reason());
            assertTrue(e.getMessage().contains("missing [task_id]"), e.getMessage());
            assertTrue(
                    e.getMessage().contains("input_ids")
                            && e.getMessage().contains("token_type_ids"),
                    e.getMessage());
        }
    }

    @Test
    void loadError_whenTheConfigWidthIsWrong(@TempDir Path broken) throws Exception {
        Path folder = Files.createDirectories(broken.resolve("wide"));
        Path bundled = registry.get(Shared.EN).folder();
        Files.createSymbolicLink(folder.resolve("model.onnx"), bundled.resolve("model.onnx"));
        Files.createSymbolicLink(
                folder.resolve("tokenizer.json"), bundled.resolve("tokenizer.json"));
        ModelConfig config =
                new ModelConfig(
                        "wide",
                        null,
                        PoolingMode.CLS,
                        true,
                        512,
                        768,
                        false,
                        null,
                        null,
                        null,
                        false,
                        false,
                        null);
        Files.writeString(folder.resolve(ModelRegistry.CONFIG_FILE), config.toJson());
        try (ModelRegistry r =
                ModelRegistry.create(
                        new ModelRegistry.Options(
                                List.of(broken),
                                false,
                                SessionOptions.defaults(),
                                BatchOptions.defaults(),
                                Map.of(),
                                Map.of()))) {
            ModelException e = assertThrows(ModelException.class, () -> r.get("wide"));
            assertTrue(
                    e.getMessage().contains("384 wide") && e.getMessage().contains("768"),
                    e.getMessage());
        }
    }

    @Test
    void config_roundTripsThroughJson() throws Exception {
        ModelConfig c = Catalog.find("e5-small-v2").orElseThrow().config();
        ModelConfig back =
                ModelConfig.read(new java.io.ByteArrayInputStream(c.toJson().getBytes()));
        assertEquals(c, back);
        assertEquals("query: ", back.task(null).prefix(), "e5's default task is text-matching");
    }
}
