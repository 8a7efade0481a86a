package dev.plinth.reader.fetch;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A server that must never be reached: it listens on {@code 127.0.0.2}, answers every request with
 * a secret, and remembers what reached it. SSRF tests point their refused forms at it and end by
 * checking that it heard nothing.
 */
public final class Canary implements AutoCloseable {

    /** What the canary answers: a page any test would recognise in a result. */
    public static final String SECRET = "canary-secret-7f3a";

    private final HttpServer server;
    private final List<String> heard = new CopyOnWriteArrayList<>();

    /** Starts the canary on an ephemeral port of 127.0.0.2. */
    public Canary() throws IOException {
        server =
                HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext(
                "/",
                exchange -> {
                    try (exchange) {
                        heard.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
                        byte[] body = SECRET.getBytes();
                        exchange.getResponseHeaders().set("Content-Type", "text/html");
                        exchange.sendResponseHeaders(200, body.length);
                        exchange.getResponseBody().write(body);
                    }
                });
        server.start();
    }

    /** The canary's port (its address is always 127.0.0.2). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Every request that reached the canary, as "METHOD /path". */
    public List<String> heard() {
        return List.copyOf(heard);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
