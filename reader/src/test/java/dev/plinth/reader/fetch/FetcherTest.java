package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import dev.plinth.reader.ReaderException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FetcherTest {

    private static final String HTML =
            "<!doctype html><html><head><title>Hello</title></head><body><p>Grüße, 世界</p></body></html>";
    private static final long CAP = 1 << 20;

    private static TestServer server;

    /**
     * Private networks allowed: the loopback server is reachable, as with --allow-private-network.
     */
    private static Fetcher fetcher;

    @BeforeAll
    static void start() throws IOException {
        server = new TestServer();
        fetcher = new Fetcher(new Fetcher.Settings(true, Duration.ofSeconds(10), CAP, CAP));
        byte[] html = HTML.getBytes(StandardCharsets.UTF_8);
        server.route("/html", TestServer.page("Text/HTML; charset=UTF-8", html))
                .route(
                        "/status404",
                        exchange ->
                                TestServer.send(
                                        exchange, 404, "text/html", "<p>gone</p>".getBytes()))
                .route("/echo", TestServer.page("text/html", html))
                .route("/r1", TestServer.redirect(301, server.url("/r2").toString()))
                .route("/r2", TestServer.redirect(302, "r3"))
                .route("/r3", TestServer.redirect(307, "./sub/../r4"))
                .route("/r4", TestServer.redirect(308, "/final?x=1"))
                .route("/final", TestServer.page("text/html", html))
                .route("/gzip", TestServer.encoded("gzip", gzip(html)))
                .route("/deflate", TestServer.encoded("deflate", deflate(html, false)))
                .route("/deflate-raw", TestServer.encoded("deflate", deflate(html, true)))
                .route("/br", TestServer.encoded("br", resource("/fetch/page.html.br")))
                .route("/gzip-twice", TestServer.encoded("gzip, gzip", gzip(gzip(html))))
                .route(
                        "/gzip-twice-headers",
                        exchange -> {
                            exchange.getResponseHeaders().add("Content-Encoding", "gzip");
                            exchange.getResponseHeaders().add("Content-Encoding", "gzip");
                            TestServer.send(exchange, 200, "text/html", gzip(gzip(html)));
                        })
                .route("/unknown-encoding", TestServer.encoded("zstd", html))
                .route(
                        "/big",
                        exchange -> {
                            exchange.sendResponseHeaders(
                                    200, 0); // chunked: no Content-Length to refuse early
                            try (OutputStream out = exchange.getResponseBody()) {
                                byte[] block = new byte[64 << 10];
                                for (int i = 0; i < 64; i++) { // 4 MiB, more than the cap
                                    out.write(block);
                                }
                            }
                        })
                .route(
                        "/big-declared",
                        exchange -> {
                            exchange.sendResponseHeaders(200, 4 * CAP);
                            OutputStream out = exchange.getResponseBody();
                            out.write(new byte[1024]);
                            out.flush(); // headers go out; the rest never comes, so only an
                            // early refusal is fast
                            sleep(5000);
                        })
                .route("/bomb", TestServer.encoded("gzip", gzip(new byte[32 << 20])))
                .route(
                        "/drip",
                        exchange -> {
                            exchange.getResponseHeaders().set("Content-Type", "text/html");
                            exchange.sendResponseHeaders(200, 0);
                            OutputStream out = exchange.getResponseBody();
                            for (int i = 0;
                                    i < 600;
                                    i++) { // a byte every 50 ms for 30 s: never a read timeout
                                out.write('x');
                                out.flush();
                                sleep(50);
                            }
                            out.close();
                        })
                .route(
                        "/slow-headers",
                        exchange -> {
                            sleep(5000);
                            TestServer.send(exchange, 200, "text/html", html);
                        })
                .route(
                        "/set-cookie-then-echo",
                        exchange -> {
                            exchange.getResponseHeaders().add("Set-Cookie", "hop=1; Path=/");
                            TestServer.redirect(302, "/echo").handle(exchange);
                        })
                .route(
                        "/robots.txt",
                        TestServer.page(
                                "text/plain",
                                """
                                User-agent: plinthbot
                                Disallow: /private
                                Allow: /private/press

                                User-agent: *
                                Disallow:
                                """
                                        .getBytes(StandardCharsets.UTF_8)))
                .route("/private/page", TestServer.page("text/html", html))
                .route("/private/press/page", TestServer.page("text/html", html));
        for (int i = 0; i <= 11; i++) {
            server.route("/hop" + i, TestServer.redirect(302, "/hop" + (i + 1)));
        }
        server.route("/hop12", TestServer.page("text/html", html));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void fetchesPageWithMediaTypeCharsetAndHeaders() throws FetchException {
        Page page = fetcher.fetch(server.url("/html"), FetchOptions.DEFAULTS);
        assertEquals(200, page.status());
        assertEquals("text/html", page.contentType());
        assertEquals(StandardCharsets.UTF_8, page.charset());
        assertEquals(HTML, page.text());
        assertEquals("text/html; charset=utf-8", page.header("Content-Type").toLowerCase());
    }

    @Test
    void errorStatusStillReturnsThePage() throws FetchException {
        Page page = fetcher.fetch(server.url("/status404"), FetchOptions.DEFAULTS);
        assertEquals(404, page.status());
        assertEquals("<p>gone</p>", page.text());
    }

    @Test
    void followsRedirectChainWithRelativeLocations() throws FetchException {
        Page page = fetcher.fetch(server.url("/r1"), FetchOptions.DEFAULTS);
        assertEquals(server.url("/final?x=1"), page.url());
        assertEquals(HTML, page.text());
    }

    @Test
    void followsTenRedirectsButNotEleven() throws FetchException {
        assertEquals(
                server.url("/hop12"),
                fetcher.fetch(server.url("/hop2"), FetchOptions.DEFAULTS).url());
        FetchException e =
                assertThrows(
                        FetchException.class,
                        () -> fetcher.fetch(server.url("/hop1"), FetchOptions.DEFAULTS));
        assertEquals(Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().contains("more than 10 redirects"), e.getMessage());
    }

    static Stream<Arguments> charsetPages() {
        return Stream.of(
                // where the charset comes from, the encoding, the text, extra <head> markup, the
                // Content-Type
                Arguments.of(
                        "header",
                        "windows-1251",
                        Samples.RUSSIAN,
                        "",
                        "text/html; charset=windows-1251"),
                Arguments.of("header", "KOI8-R", Samples.RUSSIAN, "", "text/html;charset=KOI8-R"),
                Arguments.of(
                        "header",
                        "GBK",
                        Samples.CHINESE_SIMPLIFIED,
                        "",
                        "text/html; charset=gb2312"),
                Arguments.of(
                        "meta charset",
                        "Shift_JIS",
                        Samples.JAPANESE,
                        "<meta charset=\"Shift_JIS\">",
                        "text/html"),
                Arguments.of(
                        "meta charset",
                        "EUC-JP",
                        Samples.JAPANESE,
                        "<meta charset=euc-jp>",
                        "text/html"),
                Arguments.of(
                        "meta http-equiv",
                        "Big5",
                        Samples.CHINESE_TRADITIONAL,
                        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\">",
                        "text/html"),
                Arguments.of(
                        "meta http-equiv",
                        "windows-1252",
                        Samples.FRENCH,
                        "<META HTTP-EQUIV='content-type' CONTENT='text/html; charset=iso-8859-1'>",
                        "text/html"),
                Arguments.of("sniffed", "GB18030", Samples.CHINESE_SIMPLIFIED, "", "text/html"),
                Arguments.of("sniffed", "Big5", Samples.CHINESE_TRADITIONAL, "", "text/html"),
                Arguments.of("sniffed", "Shift_JIS", Samples.JAPANESE, "", "text/html"),
                Arguments.of("sniffed", "EUC-JP", Samples.JAPANESE, "", "text/html"),
                Arguments.of("sniffed", "windows-1251", Samples.RUSSIAN, "", "text/html"),
                Arguments.of("sniffed", "KOI8-R", Samples.RUSSIAN, "", "text/html"),
                Arguments.of("sniffed", "windows-1252", Samples.GERMAN, "", "text/html"),
                Arguments.of("sniffed", "UTF-8", Samples.CHINESE_TRADITIONAL, "", null));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("charsetPages")
    void decodesEachCharset(
            String source, String encoding, String text, String head, String contentType)
            throws FetchException {
        String path = "/charset/" + source.replace(' ', '-') + "/" + encoding;
        byte[] body = Samples.html(head, text).getBytes(Charset.forName(encoding));
        server.route(path, exchange -> TestServer.send(exchange, 200, contentType, body));
        Page page = fetcher.fetch(server.url(path), FetchOptions.DEFAULTS);
        assertTrue(
                page.text().contains(text), () -> "read as " + page.charset() + ": " + page.text());
    }

    @Test
    void byteOrderMarkDecidesAndIsRemoved() throws FetchException {
        byte[] text = Samples.html("", Samples.RUSSIAN).getBytes(StandardCharsets.UTF_16LE);
        byte[] body = new byte[text.length + 2];
        body[0] = (byte) 0xFF;
        body[1] = (byte) 0xFE;
        System.arraycopy(text, 0, body, 2, text.length);
        server.route("/charset/bom", TestServer.page("text/html; charset=windows-1252", body));
        Page page = fetcher.fetch(server.url("/charset/bom"), FetchOptions.DEFAULTS);
        assertEquals(StandardCharsets.UTF_16LE, page.charset());
        assertTrue(page.text().startsWith("<!doctype html>"));
        assertTrue(page.text().contains(Samples.RUSSIAN));
    }

    @Test
    void undoesGzipDeflateAndBrotli() throws Exception {
        assertEquals(HTML, fetcher.fetch(server.url("/gzip"), FetchOptions.DEFAULTS).text());
        assertEquals(HTML, fetcher.fetch(server.url("/deflate"), FetchOptions.DEFAULTS).text());
        assertEquals(HTML, fetcher.fetch(server.url("/deflate-raw"), FetchOptions.DEFAULTS).text());
        String expected = new String(resource("/fetch/page.html"), StandardCharsets.UTF_8);
        assertEquals(expected, fetcher.fetch(server.url("/br"), FetchOptions.DEFAULTS).text());
        assertEquals("gzip, deflate, br", server.lastHeaders("/br").getFirst("Accept-Encoding"));
    }

    @Test
    void refusesStackedAndUnknownEncodings() {
        for (String path : List.of("/gzip-twice", "/gzip-twice-headers", "/unknown-encoding")) {
            FetchException e =
                    assertThrows(
                            FetchException.class,
                            () -> fetcher.fetch(server.url(path), FetchOptions.DEFAULTS));
            assertEquals(Kind.UNREADABLE, e.kind(), path);
        }
    }

    @Test
    void stopsAtTheWireCap() {
        long start = System.nanoTime();
        FetchException streamed =
                assertThrows(
                        FetchException.class,
                        () -> fetcher.fetch(server.url("/big"), FetchOptions.DEFAULTS));
        assertEquals(Kind.TOO_LARGE, streamed.kind(), streamed.getMessage());
        assertEquals(413, streamed.kind().status());
        FetchException declared =
                assertThrows(
                        FetchException.class,
                        () -> fetcher.fetch(server.url("/big-declared"), FetchOptions.DEFAULTS));
        assertEquals(Kind.TOO_LARGE, declared.kind(), declared.getMessage());
        assertTrue(
                System.nanoTime() - start < Duration.ofSeconds(4).toNanos(),
                "a declared oversize body is refused unread");
    }

    @Test
    void stopsAGzipBombAtTheDecodedCap() {
        long start = System.nanoTime();
        FetchException e =
                assertThrows(
                        FetchException.class,
                        () -> fetcher.fetch(server.url("/bomb"), FetchOptions.DEFAULTS));
        assertEquals(Kind.TOO_LARGE, e.kind());
        assertTrue(e.getMessage().contains("decoded"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
    }

    @Test
    void deadlineHoldsWhileBytesKeepTrickling() {
        FetchOptions options = FetchOptions.builder().timeout(Duration.ofMillis(800)).build();
        long start = System.nanoTime();
        FetchException e =
                assertThrows(
                        FetchException.class, () -> fetcher.fetch(server.url("/drip"), options));
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().contains("deadline"), e.getMessage());
        assertTrue(elapsedMs >= 700 && elapsedMs < 3000, "took " + elapsedMs + " ms");
    }

    @Test
    void deadlineCoversWaitingForHeaders() {
        FetchOptions options = FetchOptions.builder().timeout(Duration.ofMillis(500)).build();
        long start = System.nanoTime();
        FetchException e =
                assertThrows(
                        FetchException.class,
                        () -> fetcher.fetch(server.url("/slow-headers"), options));
        assertEquals(Kind.UNREADABLE, e.kind());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(3).toNanos());
    }

    @Test
    void sendsCookiesUserAgentLocaleAndReferer() throws FetchException {
        FetchOptions options =
                FetchOptions.builder()
                        .cookies(
                                List.of(
                                        "session=abc123; Path=/",
                                        "theme=dark",
                                        "elsewhere=1; Domain=other.example"))
                        .userAgent("TestAgent/1.0")
                        .locale("de-DE")
                        .referer("https://referrer.example/page")
                        .build();
        fetcher.fetch(server.url("/echo"), options);
        var headers = server.lastHeaders("/echo");
        String cookie = headers.getFirst("Cookie");
        assertTrue(cookie.contains("session=abc123") && cookie.contains("theme=dark"), cookie);
        assertFalse(cookie.contains("elsewhere"), cookie);
        assertEquals("TestAgent/1.0", headers.getFirst("User-Agent"));
        assertEquals("de-DE,de;q=0.9", headers.getFirst("Accept-Language"));
        assertEquals("https://referrer.example/page", headers.getFirst("Referer"));
    }

    @Test
    void sendsBrowserDefaultsAndCookiesSetDuringRedirects() throws FetchException {
        fetcher.fetch(server.url("/set-cookie-then-echo"), FetchOptions.DEFAULTS);
        var headers = server.lastHeaders("/echo");
        assertTrue(headers.getFirst("User-Agent").startsWith("Mozilla/5.0"));
        assertEquals(Fetcher.DEFAULT_ACCEPT_LANGUAGE, headers.getFirst("Accept-Language"));
        assertEquals("hop=1", headers.getFirst("Cookie"));
    }

    @Test
    void robotsTxtDisallowIsAConflict() throws FetchException {
        FetchOptions asBot = FetchOptions.builder().robotsTxt("PlinthBot/1.0").build();
        FetchException e =
                assertThrows(
                        FetchException.class,
                        () -> fetcher.fetch(server.url("/private/page"), asBot));
        assertEquals(Kind.CONFLICT, e.kind());
        assertEquals(409, e.kind().status());
        assertEquals(200, fetcher.fetch(server.url("/private/press/page"), asBot).status());
        FetchOptions asOther = FetchOptions.builder().robotsTxt("otherbot").build();
        assertEquals(200, fetcher.fetch(server.url("/private/page"), asOther).status());
    }

    @Test
    void connectionRefusedIsUnreadable() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        URI closed = URI.create("http://127.0.0.1:" + port + "/");
        FetchException e =
                assertThrows(
                        FetchException.class, () -> fetcher.fetch(closed, FetchOptions.DEFAULTS));
        assertEquals(Kind.UNREADABLE, e.kind());
        assertEquals(422, e.kind().status());
    }

    // --- the guard on the fetch path -----------------------------------------------------------

    @Test
    void defaultSettingsRefuseTheLoopbackServer() {
        int before = server.seen().size();
        Fetcher strict = new Fetcher(Fetcher.Settings.DEFAULTS);
        FetchException e =
                assertThrows(
                        FetchException.class,
                        () -> strict.fetch(server.url("/html"), FetchOptions.DEFAULTS));
        assertEquals(Kind.BLOCKED, e.kind());
        assertEquals(before, server.seen().size(), "no request may reach the server");
    }

    /**
     * A strict guard with one explicit exception, the test server's address: the server is
     * reachable, and every redirect it sends to another private address is refused — including one
     * to a second, live server on 127.0.0.2, which proves the refusal is the guard's and not an
     * unreachable host.
     */
    @Test
    void redirectToAPrivateAddressIsRefused() throws Exception {
        InetAddress second = InetAddress.getByName("127.0.0.2");
        try (TestServer inner = new TestServer(second)) {
            inner.route("/secret", TestServer.page("text/plain", "secret".getBytes()));
            assertEquals(
                    "secret",
                    fetcher.fetch(inner.url("/secret"), FetchOptions.DEFAULTS).text(),
                    "reachable when allowed");
            int innerSeen = inner.seen().size();

            Fetcher guarded =
                    new Fetcher(
                            new Fetcher.Settings(false, Duration.ofSeconds(5), CAP, CAP),
                            new AddressGuard(
                                    false,
                                    Set.of(InetAddress.getLoopbackAddress()),
                                    host -> {
                                        throw new java.net.UnknownHostException(host);
                                    }));
            assertEquals(HTML, guarded.fetch(server.url("/html"), FetchOptions.DEFAULTS).text());

            server.route("/to-second", TestServer.redirect(302, inner.url("/secret").toString()))
                    .route(
                            "/to-second-decimal",
                            TestServer.redirect(
                                    302, "http://2130706434:" + inner.port() + "/secret"))
                    .route(
                            "/to-metadata",
                            TestServer.redirect(302, "http://169.254.169.254/latest/meta-data/"))
                    .route(
                            "/to-localhost",
                            TestServer.redirect(301, "http://localhost:" + server.port() + "/html"))
                    .route("/to-mapped", TestServer.redirect(307, "http://[::ffff:10.0.0.1]/"));
            for (String path :
                    List.of(
                            "/to-second",
                            "/to-second-decimal",
                            "/to-metadata",
                            "/to-localhost",
                            "/to-mapped")) {
                FetchException e =
                        assertThrows(
                                FetchException.class,
                                () -> guarded.fetch(server.url(path), FetchOptions.DEFAULTS));
                assertEquals(Kind.BLOCKED, e.kind(), path + ": " + e.getMessage());
                assertEquals(451, e.kind().status());
            }
            assertEquals(innerSeen, inner.seen().size(), "the second server was never contacted");
        }
    }

    /**
     * A name the real DNS cannot resolve, vetted by a stub DNS to the loopback address: the request
     * can only succeed if the HttpClient connected to the vetted address, and the Host header keeps
     * the name. The stub is asked once: there is no second lookup to rebind.
     */
    @Test
    void connectsToTheVettedAddressAndKeepsTheHostName() throws FetchException {
        AtomicInteger lookups = new AtomicInteger();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        Fetcher pinned =
                new Fetcher(
                        new Fetcher.Settings(false, Duration.ofSeconds(5), CAP, CAP),
                        new AddressGuard(
                                false,
                                Set.of(loopback),
                                host -> {
                                    lookups.incrementAndGet();
                                    if (!host.equals("pinned-host.test")) {
                                        throw new java.net.UnknownHostException(host);
                                    }
                                    return lookups.get() == 1
                                            ? List.of(loopback)
                                            : List.of(InetAddress.getByName("10.9.9.9"));
                                }));
        URI url = URI.create("http://pinned-host.test:" + server.port() + "/echo");
        assertEquals(HTML, pinned.fetch(url, FetchOptions.DEFAULTS).text());
        assertEquals(
                "pinned-host.test:" + server.port(), server.lastHeaders("/echo").getFirst("Host"));
        assertEquals(1, lookups.get());
    }

    /**
     * Through an HTTP proxy the guard still judges the target: a public name goes to the proxy
     * (which answers itself here, so nothing leaves the machine), a private target is refused
     * before the proxy hears of it.
     */
    @Test
    void proxiedFetchStillChecksTheTarget() throws Exception {
        try (TestServer proxy = new TestServer()) {
            proxy.route("/page", TestServer.page("text/html", "<p>via proxy</p>".getBytes()));
            Fetcher guarded =
                    new Fetcher(
                            new Fetcher.Settings(false, Duration.ofSeconds(5), CAP, CAP),
                            new AddressGuard(
                                    false,
                                    Set.of(InetAddress.getLoopbackAddress()),
                                    host -> {
                                        if (!host.equals("public.example")) {
                                            throw new java.net.UnknownHostException(host);
                                        }
                                        return List.of(InetAddress.getByName("93.184.215.14"));
                                    }));
            FetchOptions viaProxy =
                    FetchOptions.builder().proxyUrl("http://127.0.0.1:" + proxy.port()).build();

            assertEquals(
                    "<p>via proxy</p>",
                    guarded.fetch(URI.create("http://public.example/page"), viaProxy).text());
            assertEquals("http://public.example/page", proxy.seen().getLast().path());

            int seen = proxy.seen().size();
            FetchException e =
                    assertThrows(
                            FetchException.class,
                            () -> guarded.fetch(URI.create("http://10.0.0.1/page"), viaProxy));
            assertEquals(Kind.BLOCKED, e.kind());
            assertEquals(seen, proxy.seen().size());
        }
    }

    // --- helpers ------------------------------------------------------------------------------

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] deflate(byte[] data, boolean raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream z =
                new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, raw))) {
            z.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = FetcherTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
