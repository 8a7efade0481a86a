package dev.plinth.server;

import dev.plinth.server.mcp.Mcp;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code plinth mcp}: plinth as an MCP server over stdio, for a desktop agent that starts it as a
 * child process. The API runs inside, on a free loopback port with a key of its own, and the tools
 * call it there; stdout carries the protocol and nothing else, logs go to stderr.
 */
@Command(
        name = "mcp",
        mixinStandardHelpOptions = true,
        description =
                "Serve MCP over stdio (tools: read_url, read_html, screenshot, and embed, rerank,"
                        + " segment, classify unless --no-models).")
final class McpCommand implements Callable<Integer> {

    @Option(names = "--no-models", description = "Offer the reader's tools only; load no model.")
    boolean noModels;

    @Option(
            names = "--max-reads",
            paramLabel = "N",
            description = "Reads running at once (default: ${DEFAULT-VALUE}).",
            defaultValue = "4")
    int maxReads;

    @Option(
            names = "--allow-private-network",
            description =
                    "Let reads reach private and loopback addresses (default: refused, or"
                            + " $PLINTH_ALLOW_PRIVATE_NETWORK).")
    boolean allowPrivateNetwork;

    @Override
    public Integer call() throws Exception {
        if (maxReads < 1) {
            System.err.println("plinth mcp: --max-reads must be at least 1, not " + maxReads);
            return 2;
        }
        // The protocol owns stdout: whatever else prints (a library, a stray println) goes to
        // stderr, where the agent keeps logs.
        OutputStream protocol = new FileOutputStream(FileDescriptor.out);
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        boolean allowPrivate =
                allowPrivateNetwork
                        || Boolean.parseBoolean(System.getenv("PLINTH_ALLOW_PRIVATE_NETWORK"));
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        // Only this process knows the key, so nothing else on the machine can use the port.
        String key = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Server server;
        try {
            server =
                    Server.start(
                            c -> {
                                c.host = "127.0.0.1";
                                c.port = 0;
                                c.apiKeys = List.of(key);
                                c.allowPrivateNetwork = allowPrivate;
                                c.maxReads = maxReads;
                                c.rateLimitPerMinute = 0;
                            },
                            noModels ? List.of() : ServeCommand.modelApis(allowPrivate));
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("plinth mcp: cannot start: " + e.getMessage());
            return 1;
        }
        try {
            Mcp.stdio(
                    () -> "http://127.0.0.1:" + server.port(),
                    "Bearer " + key,
                    !noModels,
                    System.in,
                    protocol);
        } finally {
            server.close();
            ServerModels.close();
        }
        return 0;
    }
}
