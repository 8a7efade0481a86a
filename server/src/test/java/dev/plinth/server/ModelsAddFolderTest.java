package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plinth models add FOLDER}: checks a model folder, then installs it; says what is wrong.
 */
class ModelsAddFolderTest {

    static final Path TINY = ModelFamiliesRoutesTest.TINY;

    @Test
    void validFolder_isCheckedAndInstalled(@TempDir Path models) throws Exception {
        Cli.Run r =
                Cli.run(
                        "models",
                        "add",
                        TINY.resolve("tiny-jina-clip").toString(),
                        "--models-dir",
                        models.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(
                r.err().contains("is a valid clip model 'tiny-jina-clip' (4 dimensions)"), r.err());
        assertTrue(Files.isRegularFile(models.resolve("tiny-jina-clip/preprocessor_config.json")));
        Cli.Run list = Cli.run("models", "list", "--models-dir", models.toString());
        assertTrue(list.out().contains("tiny-jina-clip"), list.out());
    }

    @Test
    void checkOnly_installsNothing(@TempDir Path models) {
        Cli.Run r =
                Cli.run(
                        "models",
                        "add",
                        "--check",
                        TINY.resolve("tiny-jina-colbert").toString(),
                        "--models-dir",
                        models.toString());
        assertEquals(0, r.exit(), r.err());
        assertFalse(Files.exists(models.resolve("tiny-jina-colbert")));
    }

    @Test
    void mismatchedFolder_failsWithOneLineNamingTheFilesInputs(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("broken"));
        for (String f : new String[] {"model.onnx", "tokenizer.json"})
            Files.copy(TINY.resolve("tiny-jina-v3").resolve(f), folder.resolve(f));
        Files.writeString(
                folder.resolve("plinth-model.json"),
                "{\"name\": \"broken\", \"pooling\": \"mean\", \"max_tokens\": 512, \"dimensions\": 8}");
        Cli.Run r =
                Cli.run(
                        "models",
                        "add",
                        folder.toString(),
                        "--models-dir",
                        dir.resolve("m").toString());
        assertEquals(2, r.exit());
        assertEquals(
                1,
                r.err().lines().filter(l -> l.startsWith("plinth models add:")).count(),
                "one line: " + r.err());
        assertTrue(
                r.err().contains("cannot feed [task_id]") && r.err().contains("task_id INT64[]"),
                r.err());
        assertFalse(Files.exists(dir.resolve("m/broken")));
    }
}
