package dev.plinth.server.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.server.RouteGroup;
import io.javalin.http.Context;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * plinth as an MCP server, through the official MCP Java SDK: over stdio for a desktop agent
 * ({@code plinth mcp}), and over streamable HTTP at {@code /mcp} on {@code plinth serve}, where the
 * server's API keys, rate limits and body cap apply to it as to any route. Either way the tools
 * ({@link Tools}) call the HTTP API on loopback, so that the network guard, the read slots, the
 * cache and every message are the API's own.
 */
public final class Mcp {

    /** The route of the streamable-HTTP transport. */
    public static final String PATH = "/mcp";

    /**
     * The header carrying the secret that marks a tool's call of the API, so that the rate limit
     * counts the {@code /mcp} request once rather than twice; the key is still checked.
     */
    public static final String INTERNAL_HEADER = "X-Plinth-Internal";

    private static final String VERSION = "0.1.0";

    private static final String INSTRUCTIONS =
            "plinth reads web pages and PDFs into Markdown (read_url, read_html), pictures them"
                    + " (screenshot) and, when its models are loaded, embeds, reranks, segments"
                    + " and classifies text.";

    private Mcp() {}

    private static McpJsonMapper mapper() {
        return new JacksonMcpJsonMapper(new ObjectMapper());
    }

    /**
     * Serves MCP over {@code in}/{@code out} until {@code in} ends, every tool call going to the
     * API at {@code base} with {@code authorization}. {@code read_html} may read local files here:
     * the client is the user running this process.
     */
    public static void stdio(
            Supplier<String> base,
            String authorization,
            boolean models,
            InputStream in,
            OutputStream out)
            throws InterruptedException {
        McpJsonMapper mapper = mapper();
        CountDownLatch ended = new CountDownLatch(1);
        InputStream watched =
                new FilterInputStream(in) {
                    @Override
                    public int read() throws IOException {
                        return ended(super.read());
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        return ended(super.read(b, off, len));
                    }

                    private int ended(int n) {
                        if (n < 0) {
                            ended.countDown();
                        }
                        return n;
                    }
                };
        Tools tools = new Tools(new Api(base, null), mapper, authorization, true);
        McpSyncServer server =
                McpServer.sync(new StdioServerTransportProvider(mapper, watched, out))
                        .serverInfo("plinth", VERSION)
                        .instructions(INSTRUCTIONS)
                        .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                        .tools(tools.all(models))
                        .build();
        try {
            ended.await();
        } finally {
            server.closeGracefully();
        }
    }

    /**
     * The {@code /mcp} route for {@code plinth serve}; tool calls go to the API at {@code base}
     * with the caller's own {@code Authorization} and the server's {@code internal} secret.
     */
    public static RouteGroup http(Supplier<String> base, String internal, boolean models) {
        McpJsonMapper mapper = mapper();
        HttpServletStreamableServerTransportProvider transport =
                HttpServletStreamableServerTransportProvider.builder()
                        .jsonMapper(mapper)
                        .mcpEndpoint(PATH)
                        .contextExtractor(request -> {
                            Map<String, Object> context = new HashMap<>();
                            String auth = request.getHeader("Authorization");
                            if (auth != null) {
                                context.put(Tools.AUTHORIZATION, auth);
                            }
                            return McpTransportContext.create(context);
                        })
                        .build();
        Tools tools = new Tools(new Api(base, internal), mapper, null, false);
        McpSyncServer server =
                McpServer.sync(transport)
                        .serverInfo("plinth", VERSION)
                        .instructions(INSTRUCTIONS)
                        .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
                        .tools(tools.all(models))
                        .build();
        return app -> {
            // The SDK's transport is a servlet; Javalin's handler hands it the exchange after
            // the server's own admission (keys, limits, body cap) has let the request through.
            io.javalin.http.Handler serve =
                    (Context ctx) -> transport.service(ctx.req(), ctx.res());
            app.get(PATH, serve);
            app.post(PATH, serve);
            app.delete(PATH, serve);
            // Sessions end with the server, once the requests in flight have finished.
            app.events(e -> e.serverStopped(server::closeGracefully));
        };
    }
}
