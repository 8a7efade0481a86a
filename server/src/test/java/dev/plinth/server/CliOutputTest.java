package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line prints only what was asked for: the answer on stdout, at most its own one-line
 * summary on stderr; no library's log lines (DJL's CUDA probe warned on every model command) and no
 * colour codes. Run as a user runs it, in a JVM of its own with plinth's logging configuration
 * untouched, since a logger binds to the streams it finds when it starts.
 */
class CliOutputTest {

    @TempDir Path dir;

    @Test
    @Timeout(120)
    void modelCommandsPrintTheAnswerAndNothingElse() throws Exception {
        Path docs =
                Files.write(
                        dir.resolve("docs.txt"),
                        List.of("Bananas are yellow.", "Paris is the capital of France."));
        Output rerank = plinth(null, "rerank", "--query", "capital of France", docs.toString());
        assertEquals(0, rerank.exit, rerank.err);
        for (String line : rerank.out.lines().toList())
            assertTrue(line.matches("\\d\\.\\d{4}\t[12]\t.+"), "an answer line: " + line);
        assertEquals(
                List.of("plinth rerank: 2 documents ranked with bge-small-en-v1.5-int8-maxsim"),
                rerank.err.lines().toList());

        Output embed = plinth("hello world\n", "embed");
        assertEquals(0, embed.exit, embed.err);
        assertTrue(embed.out.startsWith("{\"index\":0,\"embedding\":["), embed.out);
        assertEquals("", embed.err);

        Output models = plinth(null, "models", "list");
        assertEquals(0, models.exit, models.err);
        assertTrue(models.out.contains("bge-small-en-v1.5-int8"), models.out);
        assertEquals("", models.err);

        for (Output o : List.of(rerank, embed, models))
            assertFalse((o.out + o.err).contains("\u001b"), "no colour codes");
    }

    private record Output(int exit, String out, String err) {}

    /** {@code plinth args…} in a JVM of its own, {@code input} on its stdin (null: none). */
    private Output plinth(String input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        ProcessBuilder builder =
                new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile());
        builder.environment().put("ORT_DISABLE_TELEMETRY", "1");
        Process process = builder.start();
        try (var stdin = process.getOutputStream()) {
            if (input != null) stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("plinth " + String.join(" ", args) + " did not finish");
        }
        return new Output(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
