package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.reader.lm.FakeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The language-model flags of {@code plinth serve} and {@code plinth read}, their environment
 * variables, and {@code plinth read} against a fake backend.
 */
class LmFlagsTest {

    @TempDir Path dir;

    private static Server.Config serve(Map<String, String> env, String... args) {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs(args);
        cmd.lm.env = env::get;
        Server.Config c = new Server.Config();
        cmd.config().accept(c);
        return c;
    }

    @Test
    void serveFlagsBecomeTheConfig() {
        Server.Config c =
                serve(
                        Map.of(),
                        "--lm-url",
                        "http://127.0.0.1:11434/v1",
                        "--lm-model",
                        "readerlm-v2",
                        "--lm-api-key",
                        "secret",
                        "--vlm-url",
                        "http://127.0.0.1:8082/v1",
                        "--vlm-model",
                        "vision",
                        "--vlm-api-key",
                        "other",
                        "--lm-concurrency",
                        "3",
                        "--lm-queue",
                        "5",
                        "--lm-context",
                        "8192",
                        "--lm-timeout",
                        "30",
                        "--lm-fallback");
        assertEquals("http://127.0.0.1:11434/v1", c.lm.url().toString());
        assertEquals("readerlm-v2", c.lm.model());
        assertEquals("secret", c.lm.apiKey());
        assertEquals("vision", c.vlm.model());
        assertEquals("other", c.vlm.apiKey());
        assertEquals(3, c.lmConcurrency);
        assertEquals(5, c.lmQueue);
        assertEquals(8192, c.lmContextTokens);
        assertEquals(Duration.ofSeconds(30), c.lmTimeout);
        assertTrue(c.lmFallback);
        assertFalse(c.lm.toString().contains("secret"), "a key is never printed");
    }

    @Test
    void theEnvironmentGivesDefaultsAndFlagsWin() {
        Map<String, String> env =
                Map.of(
                        "PLINTH_LM_URL", "http://127.0.0.1:9000/v1",
                        "PLINTH_LM_MODEL", "from-env",
                        "PLINTH_LM_API_KEY", "env-key",
                        "PLINTH_VLM_URL", "http://127.0.0.1:9001/v1",
                        "PLINTH_VLM_MODEL", "env-vision",
                        "PLINTH_LM_CONCURRENCY", "4",
                        "PLINTH_LM_QUEUE", "0",
                        "PLINTH_LM_TIMEOUT", "9",
                        "PLINTH_LM_FALLBACK", "true");
        Server.Config c = serve(env);
        assertEquals("http://127.0.0.1:9000/v1", c.lm.url().toString());
        assertEquals("from-env", c.lm.model());
        assertEquals("env-key", c.lm.apiKey());
        assertEquals("env-vision", c.vlm.model());
        assertEquals(4, c.lmConcurrency);
        assertEquals(0, c.lmQueue);
        assertEquals(Duration.ofSeconds(9), c.lmTimeout);
        assertTrue(c.lmFallback);

        Server.Config flagged = serve(env, "--lm-model", "from-flag", "--lm-concurrency", "1");
        assertEquals("from-flag", flagged.lm.model());
        assertEquals("http://127.0.0.1:9000/v1", flagged.lm.url().toString());
        assertEquals(1, flagged.lmConcurrency);
    }

    @Test
    void withoutFlagsThereIsNoBackend() {
        Server.Config c = serve(Map.of());
        assertNull(c.lm);
        assertNull(c.vlm);
        assertFalse(c.lmFallback);
    }

    @Test
    void incompleteSettingsAreClearErrors() {
        assertEquals(
                "--lm-url needs --lm-model: the model name the endpoint serves",
                assertThrows(
                                IllegalArgumentException.class,
                                () -> serve(Map.of(), "--lm-url", "http://127.0.0.1:1/v1"))
                        .getMessage());
        assertTrue(
                assertThrows(IllegalArgumentException.class, () -> serve(Map.of(), "--lm-fallback"))
                        .getMessage()
                        .contains("--lm-url"));
        assertTrue(
                assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        serve(
                                                Map.of(),
                                                "--vlm-url",
                                                "http://127.0.0.1:1/v1",
                                                "--vlm-model",
                                                "v"))
                        .getMessage()
                        .contains("--lm-url"));
        assertTrue(
                assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        serve(
                                                Map.of(),
                                                "--lm-url",
                                                "ftp://host/v1",
                                                "--lm-model",
                                                "m"))
                        .getMessage()
                        .startsWith("--lm-url: "));
        assertTrue(
                assertThrows(
                                IllegalArgumentException.class,
                                () ->
                                        serve(
                                                Map.of("PLINTH_LM_QUEUE", "many"),
                                                "--lm-url",
                                                "http://127.0.0.1:1/v1",
                                                "--lm-model",
                                                "m"))
                        .getMessage()
                        .contains("PLINTH_LM_QUEUE"));
        assertEquals(2, Main.run("serve", "--lm-url", "http://127.0.0.1:1/v1", "--port", "0"));
    }

    // ---- plinth read ----

    private Path page() throws Exception {
        Path file = dir.resolve("tides.html");
        Files.writeString(file, LmRoutesTest.SMALL);
        return file;
    }

    @Test
    void readWithTheReaderLmEngine() throws Exception {
        try (FakeBackend lm = new FakeBackend()) {
            lm.script(FakeBackend.text("```markdown\n# Tides from the model\n```"));
            Cli.Run run =
                    Cli.run(
                            "read",
                            "--engine",
                            "readerlm-v2",
                            "--lm-url",
                            lm.url().toString(),
                            "--lm-model",
                            "readerlm-v2",
                            "--lm-api-key",
                            "k1",
                            page().toString());
            assertEquals(0, run.exit(), run.err());
            assertEquals("# Tides from the model", run.out().strip());
            assertEquals(1, lm.calls().size());
            assertEquals("Bearer k1", lm.calls().get(0).headers().getFirst("Authorization"));
            assertTrue(lm.calls().get(0).prompt().startsWith("Extract the main content"));
        }
    }

    @Test
    void readWithAnInstructionAndASchemaFile() throws Exception {
        Path schema = dir.resolve("schema.json");
        Files.writeString(schema, LmRoutesTest.SCHEMA);
        try (FakeBackend lm = new FakeBackend()) {
            lm.script(FakeBackend.text("{\"title\": \"Tides\"}"));
            Cli.Run run =
                    Cli.run(
                            "read",
                            "--instruction",
                            "Find the title.",
                            "--schema",
                            schema.toString(),
                            "--format",
                            "json",
                            "--lm-url",
                            lm.url().toString(),
                            "--lm-model",
                            "m",
                            page().toString());
            assertEquals(0, run.exit(), run.err());
            JsonNode data = Plinth.JSON.readTree(run.out());
            assertEquals("Tides", data.at("/json/title").asText());
            assertEquals("readerlm-v2", data.get("engine").asText());
            String prompt = lm.calls().get(0).prompt();
            assertTrue(prompt.startsWith("Find the title.\n```html\n"), prompt);
            assertTrue(prompt.contains("The JSON schema is as follows:```json\n"), prompt);
        }
    }

    @Test
    void readWithAnInlineSchemaPrintsTheJson() throws Exception {
        try (FakeBackend lm = new FakeBackend()) {
            lm.script(FakeBackend.text("{\"title\": \"Tides\"}"));
            Cli.Run run =
                    Cli.run(
                            "read",
                            "--schema",
                            LmRoutesTest.SCHEMA,
                            "--lm-url",
                            lm.url().toString(),
                            "--lm-model",
                            "m",
                            page().toString());
            assertEquals(0, run.exit(), run.err());
            assertEquals("{\"title\": \"Tides\"}", run.out().strip());
        }
    }

    @Test
    void readWithoutABackendNamesTheFlag() throws Exception {
        Cli.Run run = Cli.run("read", "--engine", "readerlm-v2", page().toString());
        assertEquals(1, run.exit());
        assertTrue(run.err().contains("--lm-url"), run.err());
        Cli.Run missing =
                Cli.run("read", "--schema", dir.resolve("none.json").toString(), "x.html");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("--schema"), missing.err());
    }
}
