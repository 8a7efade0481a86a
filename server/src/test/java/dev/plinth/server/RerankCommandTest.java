package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RerankCommandTest {

    @Test
    void printsTheLinesBestFirstWithScoreAndLineNumber(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("docs.txt");
        Files.write(
                file,
                List.of(
                        "Bananas are yellow.",
                        "",
                        "Paris is the capital of France.",
                        "The Rhine flows north."));
        Cli.Run run = Cli.run("rerank", "--query", "capital of France", file.toString());
        assertEquals(0, run.exit(), run.err());
        List<String> lines = run.out().lines().toList();
        assertEquals(3, lines.size(), "blank lines are not documents: " + run.out());
        String[] best = lines.getFirst().split("\t");
        assertEquals("3", best[1], "line numbers count from 1, blank lines included");
        assertEquals("Paris is the capital of France.", best[2]);
        double previous = Double.MAX_VALUE;
        for (String line : lines) {
            double score = Double.parseDouble(line.split("\t")[0]);
            assertTrue(score <= previous, run.out());
            previous = score;
        }
        assertTrue(run.err().contains("3 documents ranked"), run.err());
    }

    @Test
    void failsClearlyOnBadInput(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        Cli.Run none = Cli.run("rerank", "--query", "q", empty.toString());
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("no documents"), none.err());
        Path one = Files.writeString(dir.resolve("one.txt"), "a document\n");
        Cli.Run unknown =
                Cli.run("rerank", "--query", "q", "--model", "no-such-model", one.toString());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("unknown rerank model"), unknown.err());
    }
}
