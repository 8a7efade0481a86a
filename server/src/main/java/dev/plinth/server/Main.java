package dev.plinth.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code plinth} command line: one subcommand per job. */
@Command(
        name = "plinth",
        mixinStandardHelpOptions = true,
        version = "plinth 0.1.0",
        description = "A self-hosted search foundation: reader, embeddings, reranker.",
        subcommands = {
            ServeCommand.class,
            ReadCommand.class,
            EmbedCommand.class,
            ModelsCommand.class,
            RerankCommand.class
        })
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line and returns its exit code (tests call this instead of {@link #main}).
     */
    public static int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }
}
