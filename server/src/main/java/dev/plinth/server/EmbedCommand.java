package dev.plinth.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelException;
import dev.plinth.models.ModelRegistry;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code plinth embed [--model M] [--task T] [--dimensions D] [FILE]}: one text per line from FILE
 * or stdin, one JSON object per line out ({@code {"index": line, "embedding": [...]}}), in input
 * order, with a progress bar on a terminal. Blank lines are skipped (their index is not used).
 * Over-long lines are cut at the model's max tokens.
 */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description = "Embed one text per line; JSON lines out.")
final class EmbedCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(
            names = "--model",
            description = "Model name (default: the server's embeddings default).")
    String model;

    @Option(
            names = "--task",
            description =
                    "Jina task: retrieval.query, retrieval.passage, text-matching, classification, separation.")
    String task;

    @Option(
            names = "--dimensions",
            description = "Cut vectors to this many values (Matryoshka), renormalized.")
    Integer dimensions;

    @Option(
            names = "--models-dir",
            description = "Folder of model folders (default: $PLINTH_MODELS or ~/.plinth/models).")
    Path modelsDir;

    @Parameters(
            arity = "0..1",
            paramLabel = "FILE",
            description = "Input file, one text per line (default: stdin).")
    Path file;

    @Override
    public Integer call() throws IOException {
        ServerModels.quietDjlLogs();
        List<String> lines;
        if (file != null) {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } else {
            lines =
                    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                            .lines()
                            .toList();
        }
        List<Integer> indexes = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            indexes.add(i);
            texts.add(lines.get(i));
        }
        ModelRegistry.Options options = ModelRegistry.Options.defaults();
        if (modelsDir != null) options = options.withFolders(List.of(modelsDir));
        BufferedWriter out =
                new BufferedWriter(
                        new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        try (ModelRegistry registry = ModelRegistry.create(options);
                Progress progress = Progress.start("embed", texts.size())) {
            Embedder embedder = new Embedder(registry);
            for (int from = 0; from < texts.size(); from += Embedder.MAX_INPUTS) {
                int to = Math.min(texts.size(), from + Embedder.MAX_INPUTS);
                Embedder.Request request =
                        Embedder.Request.of(texts.subList(from, to))
                                .withModel(model)
                                .withTask(task)
                                .withDimensions(dimensions);
                Embedder.Result result = embedder.embed(request);
                for (int i = 0; i < result.embeddings().size(); i++) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("index", indexes.get(from + i));
                    line.put("embedding", result.embeddings().get(i));
                    out.write(JSON.writeValueAsString(line));
                    out.write('\n');
                }
                progress.advance(to - from);
            }
        } catch (ModelException e) {
            out.flush();
            System.err.println("plinth embed: " + e.getMessage());
            return e.reason() == ModelException.Reason.INVALID_INPUT
                            || e.reason() == ModelException.Reason.UNKNOWN_MODEL
                    ? 2
                    : 1;
        }
        out.flush();
        return 0;
    }
}
