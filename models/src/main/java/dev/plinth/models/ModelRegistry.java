package dev.plinth.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every model plinth can serve: the ones bundled in the jar (under {@code plinth-models/}) and the
 * folders in the models directories, each a folder with {@code model.onnx}, {@code tokenizer.json}
 * and {@code plinth-model.json}. A bundled model and a user's folder take the same path through the
 * code. Models load on first use (or {@link #preload}) and stay loaded; a folder's model overrides
 * a bundled one of the same name.
 *
 * <p>Each endpoint has a default model, used when a request names none: for {@code embeddings} the
 * first installed of {@code bge-small-en-v1.5-int8}, {@code bge-small-en-v1.5}, unless set.
 */
public final class ModelRegistry implements AutoCloseable {

    /** The config file in every model folder. */
    public static final String CONFIG_FILE = "plinth-model.json";

    /** The endpoint name for embeddings, as a key of {@link #defaultModel}. */
    public static final String EMBEDDINGS = "embeddings";

    /**
     * Where {@code plinth models add} installs and the server looks: {@code $PLINTH_MODELS} or
     * {@code ~/.plinth/models}.
     */
    public static Path defaultModelsDir() {
        String env = System.getenv("PLINTH_MODELS");
        return env != null && !env.isBlank()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".plinth", "models");
    }

    /**
     * Registry settings.
     *
     * @param folders directories whose subfolders are models (missing ones are skipped)
     * @param bundled whether to include the models in the jar
     * @param session ONNX Runtime session settings for every model
     * @param batching batcher settings for every model
     * @param defaultModels endpoint → default model name (overrides the built-in choice)
     */
    public record Options(
            List<Path> folders,
            boolean bundled,
            OnnxEncoder.Options session,
            Batcher.Options batching,
            Map<String, String> defaultModels) {
        /** Bundled models plus {@link #defaultModelsDir()}, default session and batching. */
        public static Options defaults() {
            return new Options(
                    List.of(defaultModelsDir()),
                    true,
                    OnnxEncoder.Options.defaults(),
                    Batcher.Options.defaults(),
                    Map.of());
        }

        /** These options with other folders. */
        public Options withFolders(List<Path> folders) {
            return new Options(folders, bundled, session, batching, defaultModels);
        }

        /** These options with another batching. */
        public Options withBatching(Batcher.Options batching) {
            return new Options(folders, bundled, session, batching, defaultModels);
        }

        /** These options with other session settings. */
        public Options withSession(OnnxEncoder.Options session) {
            return new Options(folders, bundled, session, batching, defaultModels);
        }

        /** These options with a default model for an endpoint. */
        public Options withDefault(String endpoint, String model) {
            Map<String, String> d = new LinkedHashMap<>(defaultModels);
            d.put(endpoint, model);
            return new Options(folders, bundled, session, batching, Map.copyOf(d));
        }
    }

    /** A model that can be served: where it is and whether it is loaded yet. */
    public record Available(ModelConfig config, Path folder, boolean bundled, boolean loaded) {}

    private static final Map<String, List<String>> BUILT_IN_DEFAULTS =
            Map.of(EMBEDDINGS, List.of("bge-small-en-v1.5-int8", "bge-small-en-v1.5"));

    private final Options options;
    private final Map<String, Available> available = new LinkedHashMap<>();
    private final Map<String, Model> loaded = new LinkedHashMap<>();

    private ModelRegistry(Options options) {
        this.options = options;
        if (options.bundled()) scanBundled();
        for (Path dir : options.folders()) scan(dir, false);
    }

    /** A registry with {@link Options#defaults()}. */
    public static ModelRegistry create() {
        return new ModelRegistry(Options.defaults());
    }

    /** A registry with the given options. */
    public static ModelRegistry create(Options options) {
        return new ModelRegistry(options);
    }

    /** Every servable model, by name. */
    public synchronized List<Available> available() {
        List<Available> out = new ArrayList<>();
        for (Available a : available.values())
            out.add(
                    new Available(
                            a.config(),
                            a.folder(),
                            a.bundled(),
                            loaded.containsKey(a.config().name())));
        return out;
    }

    /** Catalog models not installed here, for {@code plinth models add}. */
    public synchronized List<Catalog.Entry> installable() {
        return Catalog.entries().stream().filter(e -> !available.containsKey(e.name())).toList();
    }

    /**
     * The model named {@code name}, loading it on first use; 422-style error naming the valid ones.
     */
    public Model get(String name) {
        Available a;
        synchronized (this) {
            Model model = loaded.get(name);
            if (model != null) return model;
            a = available.get(name);
            if (a == null) {
                throw new ModelException(
                        ModelException.Reason.UNKNOWN_MODEL,
                        "unknown model '"
                                + name
                                + "'; available: "
                                + String.join(", ", available.keySet()),
                        null);
            }
        }
        // Loading takes seconds: serialize loads of the same model but keep lookups of others free.
        synchronized (a) {
            synchronized (this) {
                Model model = loaded.get(name);
                if (model != null) return model;
            }
            Model model = Model.load(a.config(), a.folder(), options.session(), options.batching());
            synchronized (this) {
                loaded.put(name, model);
            }
            return model;
        }
    }

    /** The model an endpoint uses when a request names none ({@link #EMBEDDINGS}, …). */
    public synchronized String defaultModel(String endpoint) {
        String chosen = options.defaultModels().get(endpoint);
        if (chosen != null) return chosen;
        for (String name : BUILT_IN_DEFAULTS.getOrDefault(endpoint, List.of())) {
            if (available.containsKey(name)) return name;
        }
        for (Available a : available.values()) {
            if (a.config().kind() == ModelConfig.Kind.ENCODER && endpoint.equals(EMBEDDINGS))
                return a.config().name();
        }
        throw new ModelException(
                ModelException.Reason.UNKNOWN_MODEL, "no model installed for " + endpoint, null);
    }

    /** Loads the named models now (a server does this for its defaults before taking traffic). */
    public void preload(Collection<String> names) {
        for (String name : names) get(name);
    }

    @Override
    public synchronized void close() {
        for (Model m : loaded.values()) m.close();
        loaded.clear();
    }

    // ---- discovery ----

    private void scanBundled() {
        URL url = ModelRegistry.class.getClassLoader().getResource("plinth-models/");
        if (url == null) return;
        try {
            URI uri = url.toURI();
            Path root;
            if ("jar".equals(uri.getScheme())) {
                FileSystem fs;
                try {
                    fs = FileSystems.newFileSystem(uri, Map.of());
                } catch (FileSystemAlreadyExistsException e) {
                    fs = FileSystems.getFileSystem(uri);
                }
                root = fs.provider().getPath(uri);
            } else {
                root = Path.of(uri);
            }
            scan(root, true);
        } catch (URISyntaxException | IOException e) {
            throw new ModelException(
                    ModelException.Reason.LOAD_FAILED, "cannot list bundled models: " + e, e);
        }
    }

    private void scan(Path dir, boolean bundled) {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> children = Files.list(dir)) {
            for (Path folder : children.sorted().toList()) {
                Path file = folder.resolve(CONFIG_FILE);
                if (!Files.isRegularFile(file)
                        || !Files.isRegularFile(folder.resolve("model.onnx"))) continue;
                ModelConfig config;
                try (InputStream in = Files.newInputStream(file)) {
                    config = ModelConfig.read(in);
                } catch (IOException | RuntimeException e) {
                    throw new ModelException(
                            ModelException.Reason.LOAD_FAILED, file + ": " + e.getMessage(), e);
                }
                available.put(config.name(), new Available(config, folder, bundled, false));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
