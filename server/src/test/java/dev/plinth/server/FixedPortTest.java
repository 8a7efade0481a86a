package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * A server given a port (not 0) serves on it: the socket bound up front to fail fast on a taken
 * port is the one Jetty accepts on, not a second bind of the same port.
 */
class FixedPortTest {

    @Test
    void servesOnThePortItWasGiven() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        int given = port;
        try (Plinth p = Plinth.start(Plinth.config(null).andThen(c -> c.port = given))) {
            assertEquals(given, p.server.port());
            HttpResponse<String> health = p.get("/health");
            assertEquals(200, health.statusCode(), health.body());
        }
    }
}
