package dev.plinth.browser;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP server for browser tests: one route per page, and a count of requests per path.
 */
final class TestSite implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    TestSite() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** Serves {@code html} at {@code path}. */
    TestSite page(String path, String html) {
        return route(path, exchange -> send(exchange, 200, "text/html; charset=utf-8", html));
    }

    /** Serves {@code path} with {@code handler}, counting each request. */
    TestSite route(String path, HttpHandler handler) {
        server.createContext(
                path,
                exchange -> {
                    total.incrementAndGet();
                    hits.computeIfAbsent(
                                    exchange.getRequestURI().getPath(), p -> new AtomicInteger())
                            .incrementAndGet();
                    try {
                        handler.handle(exchange);
                    } finally {
                        exchange.close();
                    }
                });
        return this;
    }

    /** The URL of {@code path} on this server. */
    URI url(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    int port() {
        return server.getAddress().getPort();
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    /** Requests that reached this server at {@code path}. */
    int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    /** Requests that reached this server at all. */
    int totalHits() {
        return total.get();
    }

    static void send(HttpExchange exchange, int status, String type, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
