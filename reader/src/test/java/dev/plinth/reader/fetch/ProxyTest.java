package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import dev.plinth.reader.ReaderException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fetching through the proxy a request names: HTTP and HTTPS proxies with Basic credentials
 * (absolute-form for http targets, CONNECT for https), SOCKS5 with user/password — real proxies on
 * loopback ({@link TestProxies}) in front of real loopback servers, plain and TLS.
 *
 * <p>The guard stays in charge: the fetcher runs with private networks refused, except for the
 * loopback address where the proxies and servers live; targets are names that a stub DNS resolves
 * to public addresses (so every tunnel is asked for a public, vetted address, which the test proxy
 * reroutes to loopback by port), or to private ones, which must be refused before any proxy hears
 * of them.
 */
class ProxyTest {

    private static final long CAP = 1 << 20;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final String PUBLIC = "93.184.215.14";

    /** The stub DNS: public names to a public address, one name inside, the proxy's own name. */
    private static final Map<String, String> ZONE =
            Map.of(
                    "public.example", PUBLIC,
                    "other.example", "93.184.215.15",
                    "inside.example", "10.0.0.7",
                    "proxy.example", "127.0.0.1");

    private static TestServer plain;
    private static TestServer tls;
    private static Fetcher fetcher;

    @BeforeAll
    static void start() throws IOException {
        plain = new TestServer();
        tls = new TestServer(LOOPBACK, TestTls.server());
        for (TestServer server : List.of(plain, tls)) {
            server.route(
                            "/page",
                            TestServer.page("text/html", "<p>behind the proxy</p>".getBytes()))
                    .route(
                            "/to-other",
                            TestServer.redirect(
                                    302, "http://other.example:" + plain.port() + "/page"))
                    .route(
                            "/to-inside",
                            TestServer.redirect(
                                    302, "http://inside.example:" + plain.port() + "/page"))
                    .route(
                            "/to-loopback",
                            TestServer.redirect(302, "http://127.0.0.2:" + plain.port() + "/page"));
        }
        fetcher =
                new Fetcher(
                        new Fetcher.Settings(false, Duration.ofSeconds(10), CAP, CAP),
                        new AddressGuard(false, Set.of(LOOPBACK), ProxyTest::resolve),
                        TestTls.trusting());
    }

    @AfterAll
    static void stop() {
        plain.close();
        tls.close();
    }

    @Test
    void httpProxyWithBasicCredentialsCarriesHttpTargetsInAbsoluteForm() throws Exception {
        try (TestProxies.HttpProxy proxy = new TestProxies.HttpProxy("alice", "s3cret:@/")) {
            Page page =
                    fetch(
                            "http://public.example:" + plain.port() + "/page",
                            "http://alice:s3cret%3A%40%2F@127.0.0.1:" + proxy.port());
            assertEquals("<p>behind the proxy</p>", page.text());
            TestProxies.Asked asked = proxy.asked.getLast();
            assertEquals(
                    "GET http://public.example:" + plain.port() + "/page HTTP/1.1",
                    asked.request());
            assertEquals(TestProxies.basic("alice", "s3cret:@/"), asked.credentials());
            assertEquals(
                    "public.example:" + plain.port(), plain.lastHeaders("/page").getFirst("Host"));
        }
    }

    @Test
    void httpProxyTunnelsHttpsTargetsToTheVettedAddress() throws Exception {
        try (TestProxies.HttpProxy proxy = new TestProxies.HttpProxy("alice", "pw")) {
            Page page =
                    fetch(
                            "https://public.example:" + tls.port() + "/page",
                            "http://alice:pw@127.0.0.1:" + proxy.port());
            assertEquals("<p>behind the proxy</p>", page.text());
            TestProxies.Asked asked = proxy.asked.getLast();
            assertEquals("CONNECT " + PUBLIC + ":" + tls.port() + " HTTP/1.1", asked.request());
            assertEquals(TestProxies.basic("alice", "pw"), asked.credentials());
            assertNull(
                    tls.lastHeaders("/page").getFirst("Proxy-Authorization"),
                    "no proxy credentials, the bridge's or the proxy's, reach the target");
        }
    }

    @Test
    void httpsProxyIsSpokenToOverTlsWithItsNameChecked() throws Exception {
        try (TestProxies.HttpProxy proxy =
                new TestProxies.HttpProxy("alice", "pw", TestTls.server())) {
            assertEquals(
                    "<p>behind the proxy</p>",
                    fetch(
                                    "https://public.example:" + tls.port() + "/page",
                                    "https://alice:pw@proxy.example:" + proxy.port())
                            .text());
            assertEquals(
                    "<p>behind the proxy</p>",
                    fetch(
                                    "http://public.example:" + plain.port() + "/page",
                                    "https://alice:pw@proxy.example:" + proxy.port())
                            .text());
            assertEquals(2, proxy.asked.size());
        }
    }

    @Test
    void httpsProxyWithAnUntrustedCertificateSaysSo() throws Exception {
        try (TestProxies.HttpProxy proxy =
                new TestProxies.HttpProxy(null, null, TestTls.server())) {
            Fetcher defaultTrust =
                    new Fetcher(
                            fetcher.settings(),
                            new AddressGuard(false, Set.of(LOOPBACK), ProxyTest::resolve));
            FetchException e =
                    assertThrows(
                            FetchException.class,
                            () ->
                                    defaultTrust.fetch(
                                            URI.create(
                                                    "http://public.example:"
                                                            + plain.port()
                                                            + "/page"),
                                            via("https://proxy.example:" + proxy.port())));
            assertTrue(
                    e.getMessage().contains("TLS handshake with the proxy https://proxy.example"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("certification path"), e.getMessage());
        }
    }

    @Test
    void socks5ProxyWithUserAndPasswordTunnelsToTheVettedAddress() throws Exception {
        try (TestProxies.Socks5Proxy proxy = new TestProxies.Socks5Proxy("bob", "pässword")) {
            String viaSocks = "socks5://bob:p%C3%A4ssword@127.0.0.1:" + proxy.port();
            assertEquals(
                    "<p>behind the proxy</p>",
                    fetch("http://public.example:" + plain.port() + "/page", viaSocks).text());
            assertEquals(
                    "CONNECT atyp1 " + PUBLIC + ":" + plain.port(),
                    proxy.asked.getLast().request());
            assertEquals("bob:pässword", proxy.asked.getLast().credentials());
            assertEquals(
                    "public.example:" + plain.port(), plain.lastHeaders("/page").getFirst("Host"));

            assertEquals(
                    "<p>behind the proxy</p>",
                    fetch("https://public.example:" + tls.port() + "/page", viaSocks).text());
            assertEquals(
                    "CONNECT atyp1 " + PUBLIC + ":" + tls.port(), proxy.asked.getLast().request());
        }
    }

    /** The guard knows "public.example." as public.example; the bridge must agree. */
    @Test
    void fullyQualifiedNamesWithATrailingDotGoThroughTheBridge() throws Exception {
        try (TestProxies.Socks5Proxy proxy = new TestProxies.Socks5Proxy(null, null)) {
            String viaSocks = "socks5://127.0.0.1:" + proxy.port();
            assertEquals(
                    "<p>behind the proxy</p>",
                    fetch("http://public.example.:" + plain.port() + "/page", viaSocks).text());
            assertEquals(
                    "<p>behind the proxy</p>",
                    fetch("https://PUBLIC.example.:" + tls.port() + "/page", viaSocks).text());
        }
    }

    @Test
    void eachRedirectHopThroughTheProxyIsVettedAndTunnelledOnItsOwn() throws Exception {
        try (TestProxies.Socks5Proxy proxy = new TestProxies.Socks5Proxy(null, null)) {
            String viaSocks = "socks5://127.0.0.1:" + proxy.port();
            Page page = fetch("http://public.example:" + plain.port() + "/to-other", viaSocks);
            assertEquals(URI.create("http://other.example:" + plain.port() + "/page"), page.url());
            assertEquals(
                    List.of(
                            "CONNECT atyp1 " + PUBLIC + ":" + plain.port(),
                            "CONNECT atyp1 93.184.215.15:" + plain.port()),
                    proxy.asked.stream().map(TestProxies.Asked::request).toList());

            int asked = proxy.asked.size();
            for (String hop : List.of("/to-inside", "/to-loopback")) {
                FetchException e =
                        assertThrows(
                                FetchException.class,
                                () ->
                                        fetch(
                                                "http://public.example:" + plain.port() + hop,
                                                viaSocks));
                assertEquals(Kind.BLOCKED, e.kind(), e.getMessage());
            }
            assertEquals(asked + 2, proxy.asked.size(), "only the first hops went to the proxy");
        }
    }

    @Test
    void privateTargetsBehindAProxyAreRefusedBeforeTheProxyHearsOfThem() throws Exception {
        try (TestProxies.HttpProxy proxy = new TestProxies.HttpProxy(null, null)) {
            String viaHttp = "http://127.0.0.1:" + proxy.port();
            for (String target :
                    List.of(
                            "http://10.0.0.1/",
                            "http://inside.example/",
                            "https://169.254.169.254/latest/meta-data/",
                            "http://[::ffff:127.0.0.2]:" + plain.port() + "/page")) {
                FetchException e = assertThrows(FetchException.class, () -> fetch(target, viaHttp));
                assertEquals(Kind.BLOCKED, e.kind(), target + ": " + e.getMessage());
            }
            assertEquals(List.of(), proxy.asked);
        }
    }

    @Test
    void aProxyAtAPrivateAddressIsRefused() throws Exception {
        try (TestProxies.HttpProxy proxy = new TestProxies.HttpProxy(null, null)) {
            Fetcher strict =
                    new Fetcher(
                            fetcher.settings(),
                            new AddressGuard(false, Set.of(), ProxyTest::resolve));
            FetchException e =
                    assertThrows(
                            FetchException.class,
                            () ->
                                    strict.fetch(
                                            URI.create("http://public.example/page"),
                                            via("http://127.0.0.1:" + proxy.port())));
            assertEquals(Kind.BLOCKED, e.kind());
            assertTrue(e.getMessage().contains("the proxy http://127.0.0.1:"), e.getMessage());
            assertEquals(List.of(), proxy.asked);
        }
    }

    @Test
    void wrongOrMissingProxyCredentialsAreNamed() throws Exception {
        try (TestProxies.HttpProxy http = new TestProxies.HttpProxy("alice", "pw");
                TestProxies.Socks5Proxy socks = new TestProxies.Socks5Proxy("bob", "pw")) {
            String absolute = "http://public.example:" + plain.port() + "/page";
            String tunnelled = "https://public.example:" + tls.port() + "/page";
            for (String target : List.of(absolute, tunnelled)) {
                assertFails(
                        target,
                        "http://alice:wrong@127.0.0.1:" + http.port(),
                        "refused the credentials (");
                assertFails(
                        target,
                        "http://127.0.0.1:" + http.port(),
                        "wants credentials (",
                        "user:password@");
            }
            assertFails(
                    absolute,
                    "socks5://bob:wrong@127.0.0.1:" + socks.port(),
                    "refused the user name and password");
            assertFails(
                    absolute,
                    "socks5://127.0.0.1:" + socks.port(),
                    "accepts none of the offered ways to authenticate");
        }
    }

    @Test
    void unreachableProxySaysSo() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, LOOPBACK)) {
            port = socket.getLocalPort();
        }
        FetchException e =
                assertFails(
                        "http://public.example/page",
                        "socks5://127.0.0.1:" + port,
                        "cannot connect to the proxy socks5://127.0.0.1:" + port);
        assertEquals(Kind.UNREADABLE, e.kind());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "socks4://127.0.0.1:1080",
                "ftp://127.0.0.1:21",
                "127.0.0.1:3128",
                "http://127.0.0.1:3128/some/path",
                "http://",
                "not a proxy"
            })
    void unsupportedProxyUrlsAreBadOptionsNamingTheForms(String proxyUrl) {
        FetchException e =
                assertThrows(
                        FetchException.class,
                        () -> fetcher.fetch(URI.create("http://public.example/"), via(proxyUrl)));
        assertEquals(Kind.BAD_OPTION, e.kind());
        assertTrue(e.getMessage().contains(ProxyUrl.FORMS), e.getMessage());
    }

    /**
     * The bridge serves only the fetch that opened it: a local process without the token gets a
     * 407, and even with it, a target the fetch did not vet is refused.
     */
    @Test
    void theBridgeServesOnlyItsOwnFetchAndOnlyVettedTargets() throws Exception {
        ProxyUrl proxy = ProxyUrl.parse("socks5://127.0.0.1:9");
        try (ProxyBridge bridge =
                new ProxyBridge(
                        proxy, LOOPBACK, TestTls.trusting(), System.nanoTime() + 5_000_000_000L)) {
            assertTrue(
                    ask(bridge, "CONNECT " + PUBLIC + ":443 HTTP/1.1\r\n\r\n")
                            .startsWith("HTTP/1.1 407"));
            assertTrue(
                    ask(
                                    bridge,
                                    "CONNECT 10.0.0.1:443 HTTP/1.1\r\nProxy-Authorization: "
                                            + bridge.authorization()
                                            + "\r\n\r\n")
                            .startsWith("HTTP/1.1 502"));
            assertTrue(bridge.failure().contains("did not vet"), bridge.failure());
        }
    }

    @Test
    void proxyUrlsParseWithDefaultsAndDecodedCredentials() {
        ProxyUrl p = ProxyUrl.parse(" socks5h://u%40x:p%3Aw@[::1] ");
        assertEquals(ProxyUrl.Scheme.SOCKS5, p.scheme());
        assertEquals("::1", p.host());
        assertEquals(1080, p.port());
        assertEquals("u@x", p.user());
        assertEquals("p:w", p.password());
        assertEquals("socks5://[::1]:1080", p.toString(), "no credentials in messages");
        assertEquals(3128, ProxyUrl.parse("http://proxy.example:3128/").port());
        assertEquals(443, ProxyUrl.parse("https://proxy.example").port());
        assertFalse(ProxyUrl.parse("http://proxy.example:80").hasCredentials());
        assertEquals("", ProxyUrl.parse("http://user@proxy.example").password());
    }

    // --- helpers ------------------------------------------------------------------------------

    private static Page fetch(String target, String proxyUrl) throws FetchException {
        return fetcher.fetch(URI.create(target), via(proxyUrl));
    }

    private static FetchOptions via(String proxyUrl) {
        return FetchOptions.builder().proxyUrl(proxyUrl).build();
    }

    private static FetchException assertFails(String target, String proxyUrl, String... parts) {
        FetchException e = assertThrows(FetchException.class, () -> fetch(target, proxyUrl));
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), target + ": " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
        return e;
    }

    /** Sends {@code head} to the bridge and returns the status line of its answer. */
    private static String ask(ProxyBridge bridge, String head) throws IOException {
        try (Socket socket = new Socket(LOOPBACK, bridge.address().getPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) >= 0 && c != '\r'; ) {
                line.append((char) c);
            }
            return line.toString();
        }
    }

    private static List<InetAddress> resolve(String host) throws UnknownHostException {
        String address = ZONE.get(host);
        if (address == null) {
            throw new UnknownHostException(host);
        }
        return List.of(InetAddress.getByName(address));
    }
}
