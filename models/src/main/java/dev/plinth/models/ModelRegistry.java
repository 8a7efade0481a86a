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
 * first installed of {@code bge-small-en-v1.5-int8}, {@code bge-small-en-v1.5}; for {@code rerank}
 * that model with {@link Reranker#DEFAULT_SCORING}; for {@code multi-vector} and {@code classify}
 * the embeddings default; each unless set.
 *
 * <p>A name may be an alias: from {@link Options#aliases()} (the server's {@code --model-alias}) or
 * a folder's {@code aliases} list. {@link #resolve} turns it into the name of what serves it; a
 * real model's name is never shadowed by an alias, and an alias whose target starts with {@code @}
 * means an endpoint's default ({@code @embeddings}, {@code @rerank}, …), so a preset can say "the
 * bundled model" without naming it.
 *
 * <p>Closing is safe at any moment: {@link #close} refuses new loads, waits for a load in progress
 * (ORT's session creation cannot be interrupted, and a process that exits under it crashes), and
 * then closes each model's batcher, session and tokenizer in that order, each waiting for its calls
 * in progress. A request after close fails with {@link ModelException.Reason#UNAVAILABLE}.
 */
public final class ModelRegistry implements AutoCloseable {

    /** The config file in every model folder. */
    public static final String CONFIG_FILE = "plinth-model.json";

    /** The endpoint name for embeddings, as a key of {@link #defaultModel}. */
    public static final String EMBEDDINGS = "embeddings";

    /** The endpoint name for reranking. */
    public static final String RERANK = "rerank";

    /** The endpoint name for multi-vector (token) embeddings. */
    public static final String MULTI_VECTOR = "multi-vector";

    /** The endpoint name for zero-shot classification. */
    public static final String CLASSIFY = "classify";

    /**
     * The alias preset for the model names clients send by default ({@code --alias-preset
     * clients}): Jina's and OpenAI's embedding names mean the embeddings default, Jina's reranker
     * names the rerank default, its ColBERT names the multi-vector default. Off unless asked for:
     * with it, a client asking for {@code jina-embeddings-v3} gets the bundled model, not Jina's. A
     * model folder of the same name (a real jina-embeddings-v3) always wins over its alias.
     */
    public static final Map<String, String> CLIENT_ALIASES = clientAliases();

    private static Map<String, String> clientAliases() {
        Map<String, String> a = new LinkedHashMap<>();
        for (String n :
                List.of(
                        "jina-embeddings-v3",
                        "jina-embeddings-v2-base-en",
                        "jina-embeddings-v2-small-en",
                        "jina-clip-v2",
                        "jina-clip-v1",
                        "text-embedding-3-small",
                        "text-embedding-3-large",
                        "text-embedding-ada-002")) a.put(n, "@" + EMBEDDINGS);
        for (String n :
                List.of(
                        "jina-reranker-v2-base-multilingual",
                        "jina-reranker-v1-base-en",
                        "jina-reranker-v1-turbo-en",
                        "jina-reranker-m0")) a.put(n, "@" + RERANK);
        for (String n : List.of("jina-colbert-v2", "jina-colbert-v1-en"))
            a.put(n, "@" + MULTI_VECTOR);
        return java.util.Collections.unmodifiableMap(a);
    }

    /** Every endpoint that has a default model. */
    public static final List<String> ENDPOINTS =
            List.of(EMBEDDINGS, RERANK, MULTI_VECTOR, CLASSIFY);

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
     * @param aliases alias → model name, or {@code @endpoint} for that endpoint's default
     */
    public record Options(
            List<Path> folders,
            boolean bundled,
            SessionOptions session,
            BatchOptions batching,
            Map<String, String> defaultModels,
            Map<String, String> aliases) {
        public Options {
            folders = List.copyOf(folders);
            defaultModels = Map.copyOf(defaultModels);
            aliases = Map.copyOf(aliases);
        }

        /** Bundled models plus {@link #defaultModelsDir()}, default session and batching. */
        public static Options defaults() {
            return new Options(
                    List.of(defaultModelsDir()),
                    true,
                    SessionOptions.defaults(),
                    BatchOptions.defaults(),
                    Map.of(),
                    Map.of());
        }

        /** These options with other folders. */
        public Options withFolders(List<Path> folders) {
            return new Options(folders, bundled, session, batching, defaultModels, aliases);
        }

        /** These options with another batching. */
        public Options withBatching(BatchOptions batching) {
            return new Options(folders, bundled, session, batching, defaultModels, aliases);
        }

        /** These options with other session settings. */
        public Options withSession(SessionOptions session) {
            return new Options(folders, bundled, session, batching, defaultModels, aliases);
        }

        /** These options with or without the bundled models. */
        public Options withBundled(boolean bundled) {
            return new Options(folders, bundled, session, batching, defaultModels, aliases);
        }

        /** These options with a default model for an endpoint. */
        public Options withDefault(String endpoint, String model) {
            if (!ENDPOINTS.contains(endpoint)) {
                throw new IllegalArgumentException(
                        "unknown endpoint '"
                                + endpoint
                                + "' for a default model; endpoints: "
                                + String.join(", ", ENDPOINTS));
            }
            Map<String, String> d = new LinkedHashMap<>(defaultModels);
            d.put(endpoint, model);
            return new Options(folders, bundled, session, batching, d, aliases);
        }

        /** These options with more aliases (later ones win). */
        public Options withAliases(Map<String, String> more) {
            Map<String, String> a = new LinkedHashMap<>(aliases);
            a.putAll(more);
            return new Options(folders, bundled, session, batching, defaultModels, a);
        }
    }

    /** A model that can be served: where it is and whether it is loaded yet. */
    public record Available(ModelConfig config, Path folder, boolean bundled, boolean loaded) {}

    private static final List<String> BUILT_IN_EMBEDDINGS =
            List.of("bge-small-en-v1.5-int8", "bge-small-en-v1.5");

    /** The longest chain of aliases followed before calling it a loop. */
    private static final int MAX_ALIAS_HOPS = 8;

    private final Options options;
    private final Map<String, Available> available = new LinkedHashMap<>();
    private final Map<String, Model> loaded = new LinkedHashMap<>();
    private final Map<String, String> aliases = new LinkedHashMap<>();
    private int loading;
    private boolean closed;

    /** Tests only: runs on the loading thread just before a model loads (to hold a load open). */
    volatile Runnable beforeLoad;

    private ModelRegistry(Options options) {
        this.options = options;
        if (options.bundled()) scanBundled();
        for (Path dir : options.folders()) scan(dir, false);
        for (Available a : available.values())
            for (String alias : a.config().aliases()) aliases.put(alias, a.config().name());
        aliases.putAll(options.aliases());
        aliases.keySet().removeAll(available.keySet());
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
     * The model named {@code name} (or an alias of it), loading it on first use; 422-style error
     * naming the valid ones.
     */
    public Model get(String name) {
        Available a;
        synchronized (this) {
            if (closed) throw closedError(name);
            name = resolve(name);
            Model model = loaded.get(name);
            if (model != null) return model;
            a = available.get(name);
            if (a == null) {
                throw new ModelException(
                        ModelException.Reason.UNKNOWN_MODEL,
                        "unknown model '" + name + "'; available: " + String.join(", ", names()),
                        null);
            }
        }
        // Loading takes seconds: serialize loads of the same model but keep lookups of others free.
        synchronized (a) {
            synchronized (this) {
                if (closed) throw closedError(name);
                Model model = loaded.get(name);
                if (model != null) return model;
                loading++;
            }
            Model model = null;
            try {
                Runnable hook = beforeLoad;
                if (hook != null) hook.run();
                model = Model.load(a.config(), a.folder(), options.session(), options.batching());
            } finally {
                synchronized (this) {
                    loading--;
                    if (closed && model != null) {
                        model.close();
                        model = null;
                    } else if (model != null) {
                        loaded.put(name, model);
                    }
                    notifyAll();
                }
            }
            if (model == null) throw closedError(name);
            return model;
        }
    }

    /**
     * The name that serves {@code name}: itself when it is a model (or not known at all, so the
     * caller's error names it), else what its alias chain ends in.
     */
    public synchronized String resolve(String name) {
        String current = name;
        for (int hop = 0; hop < MAX_ALIAS_HOPS; hop++) {
            if (available.containsKey(current)) return current;
            String target = aliases.get(current);
            if (target == null) return current;
            current = target.startsWith("@") ? defaultModel(target.substring(1)) : target;
        }
        throw new ModelException(
                ModelException.Reason.UNKNOWN_MODEL,
                "model alias '" + name + "' loops (stopped at '" + current + "')",
                null);
    }

    /** Every alias and the name it resolves to now (an unresolvable one maps to its target). */
    public synchronized Map<String, String> aliases() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String alias : aliases.keySet()) {
            String target;
            try {
                target = resolve(alias);
            } catch (ModelException e) {
                target = aliases.get(alias);
            }
            out.put(alias, target);
        }
        return out;
    }

    /**
     * The model an endpoint uses when a request names none ({@link #EMBEDDINGS}, {@link #RERANK},
     * …).
     */
    public synchronized String defaultModel(String endpoint) {
        String chosen = options.defaultModels().get(endpoint);
        if (chosen != null)
            return chosen.startsWith("@") ? defaultModel(chosen.substring(1)) : chosen;
        if (endpoint.equals(RERANK))
            return defaultModel(EMBEDDINGS) + Reranker.DEFAULT_SCORING.suffix();
        if (endpoint.equals(MULTI_VECTOR) || endpoint.equals(CLASSIFY))
            return defaultModel(EMBEDDINGS);
        if (!endpoint.equals(EMBEDDINGS)) {
            throw new ModelException(
                    ModelException.Reason.UNKNOWN_MODEL,
                    "no endpoint '" + endpoint + "'; endpoints: " + String.join(", ", ENDPOINTS),
                    null);
        }
        for (String name : BUILT_IN_EMBEDDINGS) {
            if (available.containsKey(name)) return name;
        }
        for (Available a : available.values()) {
            if (a.config().kind() == ModelConfig.Kind.ENCODER) return a.config().name();
        }
        throw new ModelException(
                ModelException.Reason.UNKNOWN_MODEL, "no model installed for " + endpoint, null);
    }

    /** Loads the named models now (a server does this for its defaults before taking traffic). */
    public void preload(Collection<String> names) {
        for (String name : names) get(name);
    }

    /**
     * Refuses new loads and requests, waits for loads in progress, then closes every loaded model
     * (batcher, session, tokenizer; each waits for its calls in progress). Safe to call at any
     * moment and more than once.
     */
    @Override
    public void close() {
        List<Model> models;
        synchronized (this) {
            closed = true;
            boolean interrupted = false;
            while (loading > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            models = new ArrayList<>(loaded.values());
            loaded.clear();
        }
        for (Model m : models.reversed()) m.close();
    }

    /**
     * Checks a model folder as serving it would: reads its {@code plinth-model.json}, loads the
     * tokenizer, the ONNX file(s) (inputs, output names and ranks, widths), the image preprocessing
     * or ColBERT projection, then closes it all. Returns the config; a {@link
     * ModelException.Reason#LOAD_FAILED} with a one-line message naming what does not match.
     */
    public static ModelConfig check(Path folder) {
        Path file = folder.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file))
            throw new ModelException(
                    ModelException.Reason.LOAD_FAILED, folder + " has no " + CONFIG_FILE, null);
        ModelConfig config;
        try (InputStream in = Files.newInputStream(file)) {
            config = ModelConfig.read(in);
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new ModelException(
                    ModelException.Reason.LOAD_FAILED,
                    file + ": " + why.lines().findFirst().orElse(why),
                    e);
        }
        SessionOptions session =
                new SessionOptions(1, false, SessionOptions.defaults().optimization());
        Model.load(config, folder, session, BatchOptions.defaults()).close();
        return config;
    }

    /** Whether {@link #close} has been called. */
    public synchronized boolean isClosed() {
        return closed;
    }

    private List<String> names() {
        List<String> out = new ArrayList<>(available.keySet());
        out.addAll(aliases.keySet());
        return out;
    }

    private static ModelException closedError(String name) {
        return ModelException.unavailable(
                "models are closed (the server is stopping); model " + name + " was not run");
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
