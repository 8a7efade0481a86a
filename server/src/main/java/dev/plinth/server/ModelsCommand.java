package dev.plinth.server;

import dev.plinth.models.Catalog;
import dev.plinth.models.ModelConfig;
import dev.plinth.models.ModelException;
import dev.plinth.models.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code plinth models list}, {@code plinth models add <name>} and {@code plinth models add
 * <folder>}. Adding a folder (a Jina export, any ONNX encoder with its {@code plinth-model.json})
 * checks it as serving would ({@link ModelRegistry#check}: the ONNX inputs and outputs against the
 * config, the tokenizer, the image preprocessing or ColBERT projection), says in one line what does
 * not match, and copies it into the models folder ({@code --check} only checks). Adding a name
 * resolves the model's LangChain4j artifact through Maven ({@code mvn dependency:copy}, the one
 * network call plinth makes, and only when asked) — or takes the jar you already have with {@code
 * --jar} — and writes the model folder ({@code model.onnx}, {@code tokenizer.json}, {@code
 * plinth-model.json}) into {@code $PLINTH_MODELS} or {@code ~/.plinth/models}, where {@code plinth
 * serve} finds it.
 */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "List or add models.",
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.AddModel.class})
final class ModelsCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("usage: plinth models list | plinth models add <name>");
        return 2;
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "Models installed and models that can be added.")
    static final class ListModels implements Callable<Integer> {
        @Option(
                names = "--models-dir",
                description =
                        "Folder of model folders (default: $PLINTH_MODELS or ~/.plinth/models).")
        Path modelsDir;

        @Override
        public Integer call() {
            Path dir = modelsDir != null ? modelsDir : ModelRegistry.defaultModelsDir();
            try (ModelRegistry registry =
                    ModelRegistry.create(
                            ModelRegistry.Options.defaults().withFolders(List.of(dir)))) {
                ModelsRoutes.Listing listing = ModelsRoutes.listing(registry);
                System.out.println("installed (" + dir + "):");
                for (ModelsRoutes.Entry e : listing.data()) {
                    System.out.printf(
                            "  %-24s %-13s %4d dims  %3d tokens  %s%s%n",
                            e.id(),
                            e.kind(),
                            e.dimensions(),
                            e.maxTokens(),
                            e.bundled() ? "bundled" : "folder",
                            e.isDefault() ? "  (default)" : "");
                }
                if (!listing.aliases().isEmpty()) {
                    System.out.println("aliases:");
                    for (var a : listing.aliases().entrySet())
                        System.out.printf("  %-24s -> %s%n", a.getKey(), a.getValue());
                }
                System.out.println("can be added with `plinth models add <name>`:");
                for (ModelsRoutes.Installable i : listing.installable()) {
                    System.out.printf("  %-24s %s%n", i.id(), i.artifact());
                }
            }
            return 0;
        }
    }

    @Command(
            name = "add",
            mixinStandardHelpOptions = true,
            description =
                    "Install a catalog model, or check and install a model folder, into the models"
                            + " folder.")
    static final class AddModel implements Callable<Integer> {
        @Parameters(
                paramLabel = "NAME|FOLDER",
                description =
                        "A name from `plinth models list`, or a folder with plinth-model.json,"
                                + " tokenizer.json and the ONNX file(s).")
        String name;

        @Option(
                names = "--check",
                description = "Only check the folder against its plinth-model.json.")
        boolean checkOnly;

        @Option(
                names = "--jar",
                description = "Install from this artifact jar instead of resolving it with Maven.")
        Path jar;

        @Option(
                names = "--models-dir",
                description =
                        "Folder of model folders (default: $PLINTH_MODELS or ~/.plinth/models).")
        Path modelsDir;

        @Override
        public Integer call() throws IOException, InterruptedException {
            Path given = Path.of(name);
            if (Files.isDirectory(given)) return addFolder(given);
            Catalog.Entry entry = Catalog.find(name).orElse(null);
            if (entry == null) {
                System.err.println(
                        "plinth models add: unknown model '"
                                + name
                                + "'; known: "
                                + String.join(
                                        ", ",
                                        Catalog.entries().stream()
                                                .map(Catalog.Entry::name)
                                                .toList()));
                return 2;
            }
            Path dir = modelsDir != null ? modelsDir : ModelRegistry.defaultModelsDir();
            Path source = jar != null ? jar : resolve(entry.artifact());
            if (source == null) return 1;
            Path folder = entry.install(source, dir);
            System.err.println("plinth models add: installed " + name + " in " + folder);
            return 0;
        }

        private int addFolder(Path folder) throws IOException {
            ModelConfig config;
            try {
                config = ModelRegistry.check(folder);
            } catch (ModelException e) {
                System.err.println("plinth models add: " + folder + ": " + e.getMessage());
                return 2;
            }
            System.err.println(
                    "plinth models add: "
                            + folder
                            + " is a valid "
                            + config.kind().wireName()
                            + " model '"
                            + config.name()
                            + "'"
                            + (config.kind().embeds()
                                    ? " (" + config.dimensions() + " dimensions)"
                                    : ""));
            if (checkOnly) return 0;
            Path dir = modelsDir != null ? modelsDir : ModelRegistry.defaultModelsDir();
            Path target = dir.resolve(config.name());
            if (target.toAbsolutePath().normalize().equals(folder.toAbsolutePath().normalize()))
                return 0;
            // Copied beside, then renamed into place: a half-copied folder never loads.
            Path part = Files.createDirectories(dir).resolve("." + config.name() + ".part");
            deleteTree(part);
            try (Stream<Path> files = Files.walk(folder)) {
                for (Path f : files.toList()) {
                    Path to = part.resolve(folder.relativize(f).toString());
                    if (Files.isDirectory(f)) Files.createDirectories(to);
                    else Files.copy(f, to);
                }
            }
            deleteTree(target);
            Files.move(part, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            System.err.println("plinth models add: installed " + config.name() + " in " + target);
            return 0;
        }

        private static void deleteTree(Path root) throws IOException {
            if (!Files.exists(root)) return;
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList())
                    Files.delete(p);
            }
        }

        /**
         * Fetches the artifact jar with Maven into a temp folder; null (after saying why) on
         * failure.
         */
        private static Path resolve(String artifact) throws IOException, InterruptedException {
            Path tmp = Files.createTempDirectory("plinth-models-add");
            List<String> command =
                    new ArrayList<>(
                            List.of(
                                    "mvn",
                                    "-q",
                                    "-B",
                                    "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy",
                                    "-Dartifact=" + artifact,
                                    "-DoutputDirectory=" + tmp,
                                    "-Dtransitive=false"));
            System.err.println("plinth models add: resolving " + artifact + " with Maven…");
            Process process;
            try {
                process = new ProcessBuilder(command).directory(tmp.toFile()).inheritIO().start();
            } catch (IOException e) {
                System.err.println(
                        "plinth models add: cannot run mvn ("
                                + e.getMessage()
                                + "); install Maven, or download the jar yourself and pass --jar");
                return null;
            }
            if (process.waitFor() != 0) {
                System.err.println("plinth models add: Maven could not resolve " + artifact);
                return null;
            }
            try (Stream<Path> files = Files.list(tmp)) {
                return files.filter(p -> p.toString().endsWith(".jar")).findFirst().orElse(null);
            }
        }
    }
}
