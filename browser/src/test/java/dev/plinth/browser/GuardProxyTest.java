package dev.plinth.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SOCKS5 guard on its own, spoken to by the JDK's SOCKS client: what passes and what is
 * refused.
 */
class GuardProxyTest {

    private static TestSite site;
    private static TestSite victim;
    private static GuardProxy proxy;

    @BeforeAll
    static void start() throws IOException {
        site = new TestSite().page("/", "<p>allowed</p>");
        victim = new TestSite().page("/", "<p>secret</p>");
        proxy = new GuardProxy(new RequestGuard(false, Set.of(site.address())));
        // Every connection below is one a page asked for, except where a test says otherwise.
        proxy.expect("127.0.0.1", site.port());
        proxy.expect("127.0.0.1", victim.port());
        proxy.expect("localhost", site.port());
        proxy.expect("169.254.169.254", 80);
        proxy.expect("metadata.google.internal", 80);
    }

    @AfterAll
    static void stop() {
        proxy.close();
        site.close();
        victim.close();
    }

    /**
     * Sends a GET through the proxy to {@code host:port} (resolved by the proxy) and returns the
     * reply.
     */
    private static String get(String host, int port) throws IOException {
        Proxy socks =
                new Proxy(
                        Proxy.Type.SOCKS,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port()));
        try (Socket socket = new Socket(socks)) {
            socket.setSoTimeout(5000);
            socket.connect(InetSocketAddress.createUnresolved(host, port), 5000);
            OutputStream out = socket.getOutputStream();
            out.write(
                    ("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void relaysToTheAllowedAddressAndPort() throws IOException {
        assertTrue(get("127.0.0.1", site.port()).contains("<p>allowed</p>"));
    }

    @Test
    void refusesWhatNoPageAskedFor() throws IOException {
        try (GuardProxy open = new GuardProxy(new RequestGuard(true, Set.of()))) {
            Proxy socks =
                    new Proxy(
                            Proxy.Type.SOCKS,
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), open.port()));
            try (Socket socket = new Socket(socks)) {
                assertThrows(
                        IOException.class,
                        () ->
                                socket.connect(
                                        InetSocketAddress.createUnresolved(
                                                "127.0.0.1", site.port()),
                                        5000));
            }
            open.expect("127.0.0.1", site.port());
            try (Socket socket = new Socket(socks)) {
                socket.connect(InetSocketAddress.createUnresolved("127.0.0.1", site.port()), 5000);
            }
            open.unexpect("127.0.0.1", site.port());
            try (Socket socket = new Socket(socks)) {
                assertThrows(
                        IOException.class,
                        () ->
                                socket.connect(
                                        InetSocketAddress.createUnresolved(
                                                "127.0.0.1", site.port()),
                                        5000));
            }
        }
    }

    @Test
    void refusesOtherPortsOfTheSameAddress() {
        long before = proxy.refusals();
        assertThrows(IOException.class, () -> get("127.0.0.1", victim.port()));
        assertEquals(0, victim.totalHits());
        assertEquals(before + 1, proxy.refusals());
    }

    @Test
    void refusesNamesThatResolveOrPointInside() {
        assertThrows(IOException.class, () -> get("localhost", site.port()));
        assertThrows(IOException.class, () -> get("169.254.169.254", 80));
        assertThrows(IOException.class, () -> get("metadata.google.internal", 80));
    }

    @Test
    void refusesItsOwnPortEvenWhenPrivateNetworksAreAllowed() throws IOException {
        try (GuardProxy open = new GuardProxy(new RequestGuard(true, Set.of()))) {
            open.expect("127.0.0.1", open.port());
            Proxy socks =
                    new Proxy(
                            Proxy.Type.SOCKS,
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), open.port()));
            try (Socket socket = new Socket(socks)) {
                assertThrows(
                        IOException.class,
                        () ->
                                socket.connect(
                                        InetSocketAddress.createUnresolved(
                                                "127.0.0.1", open.port()),
                                        5000));
            }
        }
    }

    @Test
    void judgesUrlsTheWayTheFetcherDoes() {
        RequestGuard guard = new RequestGuard(false, Set.of(site.address()));
        assertNull(guard.refusal(site.url("/any/path?q=1").toString()));
        assertNull(guard.refusal("data:text/plain,hello"));
        assertTrue(guard.refusal("http://127.0.0.1:" + victim.port() + "/").contains("loopback"));
        assertTrue(
                guard.refusal("ws://127.0.0.1:" + victim.port() + "/socket").contains("loopback"));
        assertTrue(guard.refusal("http://169.254.169.254/latest/").contains("metadata"));
        assertTrue(guard.refusal("http://[::ffff:10.0.0.1]/").contains("private"));
        assertTrue(guard.refusal("http://2130706433/").contains("loopback"));
        assertTrue(guard.refusal("file:///etc/passwd").contains("only http and https"));
    }
}
