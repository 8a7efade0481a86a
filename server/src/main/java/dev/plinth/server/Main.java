package dev.plinth.server;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code plinth} command line: one subcommand per job. */
@Command(
        name = "plinth",
        mixinStandardHelpOptions = true,
        version = "plinth 0.1.0",
        description = "A self-hosted search foundation: reader, embeddings, reranker.")
public final class Main {

    /**
     * The subcommands by name. Only the one a command line names is built: picocli reads each
     * command's annotations by reflection, a tenth of a second of a one-page read's start-up when
     * done for all of them.
     */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("serve", ServeCommand::new);
        COMMANDS.put("read", ReadCommand::new);
        COMMANDS.put("embed", EmbedCommand::new);
        COMMANDS.put("models", ModelsCommand::new);
        COMMANDS.put("rerank", RerankCommand::new);
        COMMANDS.put("mcp", McpCommand::new);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line and returns its exit code (tests call this instead of {@link #main}).
     */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        Supplier<Object> named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        if (named != null) {
            cli.addSubcommand(args[0], new CommandLine(named.get()));
        } else {
            COMMANDS.forEach(
                    (name, command) -> cli.addSubcommand(name, new CommandLine(command.get())));
        }
        return cli.execute(args);
    }
}
