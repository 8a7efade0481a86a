package dev.plinth.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The models plinth knows how to install: each is a LangChain4j Maven artifact holding an ONNX file
 * and a {@code <name>-tokenizer.json}, plus the {@code plinth-model.json} plinth writes beside
 * them. Only the artifacts' files are used, never LangChain4j's classes. Two of these ship inside
 * the default build ({@link #BUNDLED}); the rest are one {@code plinth models add <name>} away.
 *
 * <p>The English {@code -int8} models are not the artifacts' own int8 files: they are derived from
 * the fp32 export at install (and, for the bundled one, at build) by {@link Quantizer}, whose
 * per-token scales make a text's vector independent of its batch, so the batcher may merge any
 * requests. bge-small-zh's int8 is still the published dynamically quantized file (one text per
 * run).
 */
public final class Catalog {

    /**
     * One installable model.
     *
     * @param config the {@code plinth-model.json} to write
     * @param artifact Maven coordinates {@code group:artifact:version}
     * @param onnx the ONNX file's name inside the jar
     * @param tokenizer the tokenizer file's name inside the jar
     * @param derive whether {@code onnx} is an fp32 export that {@link Quantizer} turns into the
     *     model's int8 file
     */
    public record Entry(
            ModelConfig config, String artifact, String onnx, String tokenizer, boolean derive) {
        /** The model's name. */
        public String name() {
            return config.name();
        }

        /**
         * Writes the model folder {@code dir/<name>} from the artifact's jar: {@code model.onnx},
         * {@code tokenizer.json}, {@code plinth-model.json}. Files are written beside and renamed,
         * so a half-written folder never loads.
         */
        public Path install(Path jar, Path dir) throws IOException {
            Path folder = dir.resolve(name());
            Files.createDirectories(folder);
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                copy(zip, tokenizer, folder.resolve("tokenizer.json"));
                if (derive) {
                    Path fp32 = folder.resolve("fp32.onnx");
                    copy(zip, onnx, fp32);
                    try {
                        Quantizer.derive(fp32, folder.resolve("model.onnx"));
                    } finally {
                        Files.deleteIfExists(fp32);
                    }
                } else {
                    copy(zip, onnx, folder.resolve("model.onnx"));
                }
            }
            Path tmp = folder.resolve(ModelRegistry.CONFIG_FILE + ".part");
            Files.writeString(tmp, config.toJson());
            Files.move(
                    tmp,
                    folder.resolve(ModelRegistry.CONFIG_FILE),
                    StandardCopyOption.REPLACE_EXISTING);
            return folder;
        }

        private static void copy(ZipFile zip, String name, Path target) throws IOException {
            ZipEntry entry = zip.getEntry(name);
            if (entry == null) throw new IOException(zip.getName() + " has no " + name);
            Path tmp = target.resolveSibling(target.getFileName() + ".part");
            try (InputStream in = zip.getInputStream(entry)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The models inside the default build: English and Chinese, int8 (a ~40 MB jar cost). */
    public static final List<String> BUNDLED =
            List.of("bge-small-en-v1.5-int8", "bge-small-zh-v1.5-int8");

    private static final String OLD = "1.11.0-beta19";
    private static final String NEW = "1.19.0-beta29";
    private static final String BGE_EN_QUERY =
            "Represent this sentence for searching relevant passages: ";
    private static final String BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章：";

    private static final List<Entry> ENTRIES =
            List.of(
                    bge(
                            "bge-small-en-v1.5",
                            "bge-small-en-v15",
                            OLD,
                            "bge-small-en-v1.5",
                            384,
                            BGE_EN_QUERY,
                            false,
                            false),
                    derived(
                            bge(
                                    "bge-small-en-v1.5-int8",
                                    "bge-small-en-v15",
                                    OLD,
                                    "bge-small-en-v1.5",
                                    384,
                                    BGE_EN_QUERY,
                                    false,
                                    false)),
                    bge(
                            "bge-small-zh-v1.5",
                            "bge-small-zh-v15",
                            NEW,
                            "bge-small-zh-v1.5",
                            512,
                            BGE_ZH_QUERY,
                            true,
                            false),
                    bge(
                            "bge-small-zh-v1.5-int8",
                            "bge-small-zh-v15-q",
                            OLD,
                            "bge-small-zh-v1.5-q",
                            512,
                            BGE_ZH_QUERY,
                            true,
                            true),
                    meanPooled("all-MiniLM-L6-v2", "all-minilm-l6-v2", NEW, 256, Map.of(), false),
                    derived(
                            meanPooled(
                                    "all-MiniLM-L6-v2-int8",
                                    "all-minilm-l6-v2",
                                    NEW,
                                    256,
                                    Map.of(),
                                    false)),
                    meanPooled("e5-small-v2", "e5-small-v2", OLD, 512, e5Tasks(), false),
                    derived(
                            meanPooled(
                                    "e5-small-v2-int8",
                                    "e5-small-v2",
                                    OLD,
                                    512,
                                    e5Tasks(),
                                    false)));

    private Catalog() {}

    /** The entry with its int8 file derived from its fp32 export. */
    private static Entry derived(Entry fp32) {
        return new Entry(fp32.config(), fp32.artifact(), fp32.onnx(), fp32.tokenizer(), true);
    }

    /** Every installable model, bundled ones included. */
    public static List<Entry> entries() {
        return ENTRIES;
    }

    /** The entry named {@code name}. */
    public static Optional<Entry> find(String name) {
        return ENTRIES.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    private static Entry bge(
            String name,
            String artifact,
            String version,
            String file,
            int dimensions,
            String queryPrefix,
            boolean lowercase,
            boolean quantized) {
        Map<String, ModelConfig.Task> tasks =
                Map.of(
                        "retrieval.query", new ModelConfig.Task(queryPrefix, null),
                        "retrieval.passage", new ModelConfig.Task(null, null),
                        "text-matching", new ModelConfig.Task(null, null),
                        "classification", new ModelConfig.Task(null, null),
                        "separation", new ModelConfig.Task(null, null));
        ModelConfig config =
                new ModelConfig(
                        name,
                        ModelConfig.Kind.ENCODER,
                        PoolingMode.CLS,
                        true,
                        512,
                        dimensions,
                        false,
                        ordered(tasks),
                        null,
                        null,
                        lowercase,
                        quantized,
                        null);
        return new Entry(
                config,
                "dev.langchain4j:langchain4j-embeddings-" + artifact + ":" + version,
                file + ".onnx",
                file + "-tokenizer.json",
                false);
    }

    private static Entry meanPooled(
            String name,
            String artifact,
            String version,
            int maxTokens,
            Map<String, ModelConfig.Task> tasks,
            boolean quantized) {
        if (tasks.isEmpty()) {
            ModelConfig.Task plain = new ModelConfig.Task(null, null);
            tasks =
                    Map.of(
                            "retrieval.query",
                            plain,
                            "retrieval.passage",
                            plain,
                            "text-matching",
                            plain,
                            "classification",
                            plain,
                            "separation",
                            plain);
        }
        String defaultTask = tasks.get("text-matching").prefix() != null ? "text-matching" : null;
        ModelConfig config =
                new ModelConfig(
                        name,
                        ModelConfig.Kind.ENCODER,
                        PoolingMode.MEAN,
                        true,
                        maxTokens,
                        384,
                        false,
                        ordered(tasks),
                        null,
                        defaultTask,
                        false,
                        quantized,
                        null);
        return new Entry(
                config,
                "dev.langchain4j:langchain4j-embeddings-" + artifact + ":" + version,
                artifact + ".onnx",
                artifact + "-tokenizer.json",
                false);
    }

    /** E5 is trained with "query: " / "passage: "; symmetric tasks use "query: " on both sides. */
    private static Map<String, ModelConfig.Task> e5Tasks() {
        ModelConfig.Task query = new ModelConfig.Task("query: ", null);
        return Map.of(
                "retrieval.query",
                query,
                "retrieval.passage",
                new ModelConfig.Task("passage: ", null),
                "text-matching",
                query,
                "classification",
                query,
                "separation",
                query);
    }

    private static Map<String, ModelConfig.Task> ordered(Map<String, ModelConfig.Task> tasks) {
        var out = new java.util.LinkedHashMap<String, ModelConfig.Task>();
        for (String t :
                List.of(
                        "retrieval.query",
                        "retrieval.passage",
                        "text-matching",
                        "classification",
                        "separation")) {
            if (tasks.containsKey(t)) out.put(t, tasks.get(t));
        }
        return out;
    }
}
