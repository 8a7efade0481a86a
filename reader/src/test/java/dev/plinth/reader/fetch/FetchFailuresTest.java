package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.ReaderException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every way a fetch can fail says what happened, with the values — which host and port, how many
 * seconds, the TLS handshake's reason — and never an exception's class name ({@code
 * ClosedChannelException} was what a refused connection used to read as). Each case is a real
 * loopback endpoint that misbehaves in one way; names that do not resolve go through the resolver
 * seams, never the network.
 */
class FetchFailuresTest {

    private static final long CAP = 1 << 20;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final Fetcher open =
            new Fetcher(new Fetcher.Settings(true, Duration.ofSeconds(10), CAP, CAP));

    @Test
    void refusedConnectionSaysRefusedAndWhere() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
            port = socket.getLocalPort();
        }
        FetchException e = fail(open, URI.create("http://127.0.0.1:" + port + "/"));
        assertEquals(Kind.UNREADABLE, e.kind());
        assertMessage(e, "refused", "127.0.0.1:" + port);
    }

    @Test
    void connectionResetBeforeAnAnswerSaysReset() throws Exception {
        try (RawServer server =
                new RawServer(socket -> {
                    readRequest(socket);
                    reset(socket);
                })) {
            FetchException e = fail(open, server.url());
            assertMessage(e, "reset", "127.0.0.1:" + server.port());
        }
    }

    @Test
    void connectionClosedWithoutAnAnswerSaysClosed() throws Exception {
        try (RawServer server = new RawServer(FetchFailuresTest::readRequest)) {
            FetchException e = fail(open, server.url());
            assertMessage(e, "closed before a complete response", "127.0.0.1:" + server.port());
        }
    }

    @Test
    void bodyCutShortSaysItBrokeOff() throws Exception {
        try (RawServer server =
                new RawServer(socket -> {
                    readRequest(socket);
                    write(
                            socket,
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                    + "Content-Length: 1000\r\n\r\n<p>only this");
                    sleep(300); // the client has the headers and is reading the body
                    reset(socket);
                })) {
            FetchException e = fail(open, server.url());
            assertMessage(e, "broke off", "127.0.0.1:" + server.port());
        }
    }

    @Test
    void silentServerTimesOutAfterTheDeadlineInSeconds() throws Exception {
        try (RawServer server =
                new RawServer(socket -> {
                    readRequest(socket);
                    sleep(5000);
                })) {
            FetchOptions options = FetchOptions.builder().timeout(Duration.ofMillis(1500)).build();
            long start = System.nanoTime();
            FetchException e =
                    assertThrows(FetchException.class, () -> open.fetch(server.url(), options));
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(4).toNanos());
            assertMessage(e, "timed out after 1.5 s", "127.0.0.1:" + server.port());
        }
    }

    @Test
    void untrustedCertificateGivesTheTlsReason() throws Exception {
        try (TestServer https = new TestServer(LOOPBACK, TestTls.server())) {
            https.route("/", TestServer.page("text/html", "<p>tls</p>".getBytes()));
            FetchException e = fail(open, https.url("/"));
            assertEquals(Kind.UNREADABLE, e.kind());
            assertMessage(e, "TLS handshake with 127.0.0.1:" + https.port(), "certification path");
            assertEquals(0, https.seen().size(), "no request got through the failed handshake");

            Fetcher trusting =
                    new Fetcher(
                            open.settings(),
                            new AddressGuard(true, Set.of(), FetchFailuresTest::noDns),
                            TestTls.trusting());
            assertEquals(
                    "<p>tls</p>", trusting.fetch(https.url("/"), FetchOptions.DEFAULTS).text());
        }
    }

    /**
     * The name is vetted to the loopback address, whose {@code InetAddress} carries the name
     * "localhost" — which the certificate does name. The check must be made for the URL's host,
     * which it does not: the pinned answers are renamed to the name asked for.
     */
    @Test
    void certificateForAnotherNameGivesTheTlsReason() throws Exception {
        try (TestServer https = new TestServer(LOOPBACK, TestTls.server())) {
            https.route("/", TestServer.page("text/html", "<p>tls</p>".getBytes()));
            Fetcher trusting =
                    new Fetcher(
                            new Fetcher.Settings(false, Duration.ofSeconds(10), CAP, CAP),
                            new AddressGuard(
                                    false,
                                    Set.of(LOOPBACK),
                                    host -> {
                                        if (!host.equals("elsewhere.test")) {
                                            throw new UnknownHostException(host);
                                        }
                                        return List.of(LOOPBACK);
                                    }),
                            TestTls.trusting());
            URI url = URI.create("https://elsewhere.test:" + https.port() + "/");
            FetchException e = fail(trusting, url);
            assertMessage(e, "TLS handshake with elsewhere.test:" + https.port(), "elsewhere.test");
        }
    }

    @Test
    void nameTheGuardCannotResolveSaysTheDnsLookupFailed() {
        Fetcher strict =
                new Fetcher(
                        new Fetcher.Settings(false, Duration.ofSeconds(5), CAP, CAP),
                        new AddressGuard(false, Set.of(), FetchFailuresTest::noDns));
        FetchException e = fail(strict, URI.create("http://nowhere.test/"));
        assertEquals(Kind.UNREADABLE, e.kind());
        assertMessage(e, "cannot resolve host nowhere.test", "DNS lookup failed");
    }

    /**
     * With private networks allowed the guard does not resolve; the HTTP client does, and its
     * failure (an {@code UnresolvedAddressException} under a bare {@code ConnectException}) must
     * read the same. The name is pinned to no address in the JVM's resolver: no query leaves.
     */
    @Test
    void nameTheClientCannotResolveSaysTheDnsLookupFailed() {
        try (GuardedResolver.Pinned pin = GuardedResolver.pin("unresolvable.test", List.of())) {
            FetchException e = fail(open, URI.create("http://unresolvable.test:8080/"));
            assertEquals(Kind.UNREADABLE, e.kind());
            assertMessage(e, "cannot resolve host unresolvable.test", "DNS lookup failed");
        }
    }

    @Test
    void privateTargetRefusalSaysHowToAllowPrivateTargets() throws IOException {
        try (TestServer server = new TestServer()) {
            Fetcher strict =
                    new Fetcher(new Fetcher.Settings(false, Duration.ofSeconds(5), CAP, CAP));
            FetchException e = fail(strict, server.url("/"));
            assertEquals(Kind.BLOCKED, e.kind());
            assertEquals(451, e.kind().status());
            assertMessage(e, "loopback", "--allow-private-network", "PLINTH_ALLOW_PRIVATE_NETWORK");
            FetchException metadata =
                    fail(strict, URI.create("http://metadata.google.internal/computeMetadata/v1/"));
            assertMessage(metadata, "--allow-private-network");
            FetchException scheme = fail(strict, URI.create("file:///etc/passwd"));
            assertFalse(
                    scheme.getMessage().contains("--allow-private-network"),
                    "no setting allows file: URLs, so none is suggested: " + scheme.getMessage());
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    private static FetchException fail(Fetcher fetcher, URI url) {
        return assertThrows(FetchException.class, () -> fetcher.fetch(url, FetchOptions.DEFAULTS));
    }

    private static void assertMessage(FetchException e, String... parts) {
        String message = e.getMessage();
        for (String part : parts) {
            assertTrue(message.contains(part), "\"" + part + "\" missing from: " + message);
        }
        assertFalse(message.contains("Exception"), "an exception's name, not words: " + message);
    }

    private static List<InetAddress> noDns(String host) throws UnknownHostException {
        throw new UnknownHostException(host);
    }

    private static void readRequest(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void write(Socket socket, String text) {
        try {
            OutputStream out = socket.getOutputStream();
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        } catch (IOException e) {
            // the client went away
        }
    }

    /** Closes with a TCP reset (SO_LINGER 0) rather than an orderly close. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            // gone either way
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A loopback TCP server that treats every connection with {@code behaviour}, then closes it.
     */
    private static final class RawServer implements AutoCloseable {
        private final ServerSocket socket;
        private final Thread thread;

        RawServer(Consumer<Socket> behaviour) throws IOException {
            socket = new ServerSocket(0, 16, LOOPBACK);
            thread =
                    Thread.ofVirtual()
                            .start(() -> {
                                while (!socket.isClosed()) {
                                    try {
                                        Socket client = socket.accept();
                                        Thread.ofVirtual()
                                                .start(() -> {
                                                    try (client) {
                                                        behaviour.accept(client);
                                                    } catch (IOException e) {
                                                        // closing anyway
                                                    }
                                                });
                                    } catch (IOException e) {
                                        return;
                                    }
                                }
                            });
        }

        int port() {
            return socket.getLocalPort();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + port() + "/");
        }

        @Override
        public void close() throws IOException {
            socket.close();
            thread.interrupt();
        }
    }
}
