package dev.plinth.reader.fetch;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * A real HTTP server on a loopback port for fetcher tests: one small handler per route, and a log
 * of the requests it saw (path and headers) so tests can check what the fetcher sent.
 */
final class TestServer implements AutoCloseable {

    /** A route: answers one exchange. */
    @FunctionalInterface
    interface Route {
        void handle(HttpExchange exchange) throws IOException;
    }

    /** A request as the server saw it. */
    record Seen(String path, Headers headers) {}

    private final HttpServer server;
    private final ExecutorService executor =
            Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "test-server");
                t.setDaemon(true);
                return t;
            });
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    TestServer() throws IOException {
        this(InetAddress.getLoopbackAddress());
    }

    TestServer(InetAddress bind) throws IOException {
        this(bind, null);
    }

    /** An HTTPS server when {@code tls} is given ({@link TestTls#server()}), else plain HTTP. */
    TestServer(InetAddress bind, SSLContext tls) throws IOException {
        if (tls == null) {
            server = HttpServer.create(new InetSocketAddress(bind, 0), 0);
        } else {
            HttpsServer https = HttpsServer.create(new InetSocketAddress(bind, 0), 0);
            https.setHttpsConfigurator(new HttpsConfigurator(tls));
            server = https;
        }
        server.setExecutor(executor);
        server.createContext(
                "/",
                exchange -> {
                    try (exchange) {
                        seen.add(
                                new Seen(
                                        exchange.getRequestURI().toString(),
                                        exchange.getRequestHeaders()));
                        Route route = routes.get(exchange.getRequestURI().getPath());
                        if (route == null) {
                            send(exchange, 404, "text/plain", "no route".getBytes());
                        } else {
                            route.handle(exchange);
                        }
                    } catch (IOException e) {
                        // the client went away (deadline and cap tests hang up on purpose)
                    }
                });
        server.start();
    }

    TestServer route(String path, Route route) {
        routes.put(path, route);
        return this;
    }

    /** The URL of {@code path} on this server. */
    URI url(String path) {
        InetSocketAddress address = server.getAddress();
        return URI.create(
                (server instanceof HttpsServer ? "https://" : "http://")
                        + address.getAddress().getHostAddress()
                        + ":"
                        + address.getPort()
                        + path);
    }

    int port() {
        return server.getAddress().getPort();
    }

    List<Seen> seen() {
        return seen;
    }

    /** The headers of the last request for {@code path}. */
    Headers lastHeaders(String path) {
        for (int i = seen.size() - 1; i >= 0; i--) {
            if (URI.create(seen.get(i).path).getPath().equals(path)) {
                return seen.get(i).headers;
            }
        }
        throw new AssertionError("no request for " + path);
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body)
            throws IOException {
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    static Route page(String contentType, byte[] body) {
        return exchange -> send(exchange, 200, contentType, body);
    }

    static Route redirect(int status, String location) {
        return exchange -> {
            exchange.getResponseHeaders().set("Location", location);
            exchange.sendResponseHeaders(status, -1);
        };
    }

    static Route encoded(String encoding, byte[] body) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Encoding", encoding);
            send(exchange, 200, "text/html; charset=utf-8", body);
        };
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
