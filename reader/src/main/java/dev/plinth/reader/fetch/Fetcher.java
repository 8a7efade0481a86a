package dev.plinth.reader.fetch;

import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Page;
import dev.plinth.reader.PageSource;
import dev.plinth.reader.ReaderException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.net.ConnectException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.brotli.dec.BrotliInputStream;

/**
 * Fetches a URL over HTTP(S) behind the SSRF guard, the way a browser would ask for it, within hard
 * limits on time and size.
 *
 * <p>Implementation notes. Redirects are followed here, not by the HttpClient, so that every hop
 * passes {@link AddressGuard} (at most {@value #MAX_REDIRECTS}) and its vetted addresses are pinned
 * in {@link GuardedResolver} while the request is made. The time cap is one deadline for the whole
 * fetch — robots.txt, every hop, the body — not a per-read timeout, which a server dripping a byte
 * a second would never trip: headers are awaited with the remaining time as the request timeout,
 * and a watchdog closes the body stream when the deadline passes, which unblocks the read. Bodies
 * are read through two counters: wire bytes (before content decoding) and decoded bytes, each
 * stopping the read the moment its cap is passed, so neither a huge body nor a compression bomb is
 * ever buffered. One content-coding layer (gzip, deflate, br) is undone; stacked codings are
 * refused, as no browser-facing server needs them and they multiply a bomb's ratio. HTTP error
 * statuses still return the page (the reader decides what a 404 page is worth); only failures
 * without a response body throw, each saying what happened in words (refused, reset, timed out
 * after N s, the TLS handshake's reason, a failed DNS lookup) rather than the exception's class.
 *
 * <p>A request that names a proxy ({@link ProxyUrl}: HTTP, HTTPS or SOCKS5, with credentials) is
 * sent through a {@link ProxyBridge}, since the JDK client speaks neither SOCKS nor Basic
 * credentials on CONNECT. The proxy's own address passes the guard like any target, and every
 * target behind it is still vetted here and tunnelled to its vetted address. Each hop of a proxied
 * fetch gets a client of its own, so that no kept-alive connection to the bridge carries one hop's
 * request to another hop's target.
 */
public final class Fetcher implements PageSource {

    /**
     * Most redirects followed before giving up, as browsers do (Chrome allows 20, curl 50; 10 is
     * plenty).
     */
    public static final int MAX_REDIRECTS = 10;

    /** A current desktop Chrome: some sites serve bots a stripped or blocked page. */
    public static final String DEFAULT_USER_AGENT =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    /** Sent when the request names no locale. */
    public static final String DEFAULT_ACCEPT_LANGUAGE = "en-US,en;q=0.9";

    private static final String ACCEPT =
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private static final long ROBOTS_MAX_BYTES = 512 << 10;
    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

    /** One daemon thread arms the deadline watchdogs of every fetch. */
    private static final ScheduledExecutorService WATCHDOG = watchdog();

    /**
     * Fetcher-wide limits.
     *
     * @param allowPrivateNetwork lift the SSRF guard's address check (intranet use, tests)
     * @param timeout default deadline for a whole fetch, redirects included
     * @param maxWireBytes cap on bytes read from the network
     * @param maxDecodedBytes cap on bytes after content-encoding is removed
     */
    public record Settings(
            boolean allowPrivateNetwork,
            Duration timeout,
            long maxWireBytes,
            long maxDecodedBytes) {
        /** 30 s, 10 MiB on the wire and decoded, private networks refused. */
        public static final Settings DEFAULTS =
                new Settings(false, Duration.ofSeconds(30), 10L << 20, 10L << 20);

        /** These settings with the private-network switch set. */
        public Settings withAllowPrivateNetwork(boolean allow) {
            return new Settings(allow, timeout, maxWireBytes, maxDecodedBytes);
        }
    }

    private final Settings settings;
    private final AddressGuard guard;
    private final SSLContext tls;

    /** Made on first use: a reader of local files never pays for TLS and a selector thread. */
    private volatile HttpClient client;

    public Fetcher(Settings settings) {
        this(settings, new AddressGuard(settings.allowPrivateNetwork()));
    }

    /** A fetcher behind a specific guard (tests use a strict guard with one loopback exception). */
    Fetcher(Settings settings, AddressGuard guard) {
        this(settings, guard, defaultTls());
    }

    /** A fetcher that also trusts what {@code tls} trusts (tests: a loopback TLS server's CA). */
    Fetcher(Settings settings, AddressGuard guard, SSLContext tls) {
        this.settings = settings;
        this.guard = guard;
        this.tls = tls;
    }

    /** The settings this fetcher enforces. */
    public Settings settings() {
        return settings;
    }

    @Override
    public Page load(URI target, FetchOptions options) throws FetchException {
        return fetch(target, options);
    }

    @Override
    public void admit(URI target) throws FetchException {
        guard.vet(target);
    }

    @Override
    public String policy() {
        return guard.allowsPrivateNetwork() ? "private-network-allowed" : "public-only";
    }

    /**
     * Fetches {@code url} honouring the request-level options (cookies, user agent, locale,
     * timeout…).
     */
    public Page fetch(URI url, FetchOptions options) throws FetchException {
        FetchOptions o = options == null ? FetchOptions.DEFAULTS : options;
        Duration timeout = o.timeout() != null ? o.timeout() : settings.timeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        CookieManager cookies = cookieJar(url, o.cookies());
        try (Route route =
                o.proxyUrl() == null || o.proxyUrl().isBlank()
                        ? new Route(null)
                        : new Route(bridge(url, o.proxyUrl(), deadline))) {
            Call call = new Call(url, o, deadline, timeout, cookies, route);
            if (o.robotsTxt() != null && !o.robotsTxt().isBlank()) {
                checkRobots(call);
            }
            return follow(call, url, settings.maxDecodedBytes());
        }
    }

    /** What one fetch carries from hop to hop. */
    private record Call(
            URI requested,
            FetchOptions options,
            long deadline,
            Duration timeout,
            CookieManager cookies,
            Route route) {}

    /**
     * How a fetch reaches its targets: with the fetcher's shared client, or through a proxy's
     * bridge with a fresh client per hop (closed with the fetch).
     */
    private final class Route implements AutoCloseable {
        private final ProxyBridge bridge;
        private final List<HttpClient> clients = new ArrayList<>();

        Route(ProxyBridge bridge) {
            this.bridge = bridge;
        }

        boolean proxied() {
            return bridge != null;
        }

        /** The client for one hop to {@code target}; through the bridge, told what to expect. */
        HttpClient clientFor(AddressGuard.Target target) {
            if (bridge == null) {
                return client();
            }
            URI uri = target.uri();
            int port =
                    uri.getPort() >= 0
                            ? uri.getPort()
                            : uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
            bridge.expect(target.host(), port, target.addresses());
            HttpClient hop = newClient(ProxySelector.of(bridge.address()));
            clients.add(hop);
            return hop;
        }

        /** Why the proxy could not take the request to {@code uri}, or null. */
        FetchException failure(URI uri, Throwable cause) {
            String reason = bridge == null ? null : bridge.failure();
            return reason == null
                    ? null
                    : new FetchException(Kind.UNREADABLE, uri, 0, reason, cause);
        }

        @Override
        public void close() {
            clients.forEach(HttpClient::shutdownNow);
            if (bridge != null) {
                bridge.close();
            }
        }
    }

    /** A response whose headers arrived; its body not yet read. */
    private record Response(URI url, HttpResponse<InputStream> http) {}

    private Page follow(Call call, URI url, long maxDecoded) throws FetchException {
        URI current = url;
        for (int hop = 0; ; hop++) {
            Response response = exchange(call, current);
            int status = response.http.statusCode();
            String location = response.http.headers().firstValue("location").orElse(null);
            if (REDIRECTS.contains(status) && location != null) {
                closeQuietly(response.http.body());
                if (hop == MAX_REDIRECTS) {
                    throw new FetchException(
                            Kind.UNREADABLE,
                            url,
                            status,
                            "more than " + MAX_REDIRECTS + " redirects, the last to " + location);
                }
                current = resolve(response.url, location, status);
                continue;
            }
            return readPage(call, response, maxDecoded);
        }
    }

    private Response exchange(Call call, URI url) throws FetchException {
        AddressGuard.Target target = guard.vet(url);
        URI uri = target.uri();
        HttpClient http = call.route.clientFor(target);
        HttpRequest request = request(call, uri);
        // Through a proxy the client never looks the target up: the bridge has its addresses.
        GuardedResolver.Pinned pin = call.route.proxied() ? null : pinFor(url, target);
        try {
            HttpResponse<InputStream> response =
                    http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            FetchException viaProxy = call.route.failure(uri, null);
            if (viaProxy == null && call.route.proxied()) {
                viaProxy = proxyRefusal(call, uri, response);
            }
            if (viaProxy != null) {
                closeQuietly(response.body());
                throw viaProxy;
            }
            rememberCookies(call, uri, response);
            return new Response(uri, response);
        } catch (HttpConnectTimeoutException e) {
            throw failed(call, uri, "connecting to " + hostPort(uri) + " timed out after 15 s", e);
        } catch (HttpTimeoutException e) {
            throw deadlinePassed(call, uri, "waiting for the response", e);
        } catch (IOException | IllegalArgumentException e) {
            FetchException viaProxy = call.route.failure(uri, e);
            if (viaProxy != null) {
                throw viaProxy;
            }
            throw failed(call, uri, whatHappened(uri, e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FetchException(Kind.UNREADABLE, uri, 0, "interrupted", e);
        } finally {
            if (pin != null) {
                pin.close();
            }
        }
    }

    /**
     * Pins the vetted addresses of a host name for the HttpClient's lookup, after making sure the
     * JDK's address cache (which sits above the resolver) holds nothing the guard would refuse.
     */
    private GuardedResolver.Pinned pinFor(URI url, AddressGuard.Target target)
            throws FetchException {
        if (target.addresses().isEmpty() || isLiteral(target.host())) {
            return null;
        }
        if (!GuardedResolver.installed()) {
            throw new FetchException(
                    Kind.BLOCKED,
                    url,
                    0,
                    "the guarded DNS resolver is not this JVM's resolver "
                            + "(another InetAddressResolverProvider took precedence), so the vetted address cannot be enforced");
        }
        GuardedResolver.Pinned pin = GuardedResolver.pin(target.host(), target.addresses());
        try {
            for (InetAddress address : InetAddress.getAllByName(target.host())) {
                guard.check(url, address);
            }
            return pin;
        } catch (UnknownHostException e) {
            pin.close();
            throw new FetchException(
                    Kind.UNREADABLE, url, 0, "cannot resolve host " + target.host(), e);
        } catch (FetchException e) {
            pin.close();
            throw e;
        }
    }

    private HttpRequest request(Call call, URI uri) throws FetchException {
        long remaining = call.deadline - System.nanoTime();
        if (remaining <= 0) {
            throw deadlinePassed(call, uri, "following redirects", null);
        }
        FetchOptions o = call.options;
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(uri)
                        .GET()
                        .timeout(Duration.ofNanos(remaining))
                        // HTTP/2 only where ALPN negotiates it; on plain http the h2c upgrade dance
                        // confuses servers.
                        .version(
                                uri.getScheme().equalsIgnoreCase("https")
                                        ? HttpClient.Version.HTTP_2
                                        : HttpClient.Version.HTTP_1_1)
                        .header(
                                "User-Agent",
                                o.userAgent() == null || o.userAgent().isBlank()
                                        ? DEFAULT_USER_AGENT
                                        : o.userAgent())
                        .header("Accept", ACCEPT)
                        .header("Accept-Language", acceptLanguage(o.locale()))
                        .header("Accept-Encoding", "gzip, deflate, br");
        if (o.referer() != null && !o.referer().isBlank()) {
            builder.header("Referer", o.referer());
        }
        if (call.route.proxied()) {
            builder.header("Proxy-Authorization", call.route.bridge.authorization());
        }
        try {
            for (Map.Entry<String, List<String>> e : call.cookies.get(uri, Map.of()).entrySet()) {
                if (!e.getValue().isEmpty()) {
                    builder.header(e.getKey(), String.join("; ", e.getValue()));
                }
            }
        } catch (IOException e) {
            throw new FetchException(Kind.BAD_OPTION, uri, 0, "bad cookie: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new FetchException(
                    Kind.BAD_OPTION, uri, 0, "bad header value: " + e.getMessage(), e);
        }
        return builder.build();
    }

    private Page readPage(Call call, Response response, long maxDecoded) throws FetchException {
        HttpResponse<InputStream> http = response.http;
        URI uri = response.url;
        int status = http.statusCode();
        long declared = http.headers().firstValueAsLong("content-length").orElse(-1);
        if (declared > settings.maxWireBytes()) {
            closeQuietly(http.body());
            throw tooLarge(
                    uri,
                    status,
                    "the body is "
                            + declared
                            + " bytes, over the cap of "
                            + settings.maxWireBytes());
        }
        String coding = contentCoding(uri, status, http);
        AtomicBoolean expired = new AtomicBoolean();
        InputStream raw = http.body();
        ScheduledFuture<?> watchdog =
                WATCHDOG.schedule(
                        () -> {
                            expired.set(true);
                            closeQuietly(raw);
                        },
                        Math.max(0, call.deadline - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
        byte[] body;
        try {
            body = readBody(raw, coding, maxDecoded);
        } catch (IOException e) {
            TooLarge cap = tooLargeCause(e);
            if (cap != null) {
                throw tooLarge(uri, status, cap.getMessage());
            }
            if (expired.get()) {
                throw deadlinePassed(call, uri, "reading the body", e);
            }
            throw new FetchException(
                    Kind.UNREADABLE,
                    uri,
                    status,
                    "the response from " + hostPort(uri) + " broke off: " + reason(e),
                    e);
        } finally {
            watchdog.cancel(false);
            closeQuietly(raw);
        }
        if (expired.get()) {
            // The watchdog's close can look like a clean end of stream to the reader.
            throw deadlinePassed(call, uri, "reading the body", null);
        }
        String contentType = http.headers().firstValue("content-type").orElse(null);
        String mediaType = Charsets.mediaType(contentType);
        Charset charset = StandardCharsets.UTF_8;
        if (isText(mediaType)) {
            charset = Charsets.detect(body, contentType);
            int bom = Charsets.bomLength(body);
            if (bom > 0) {
                body = Arrays.copyOfRange(body, bom, body.length);
            }
        }
        return new Page(uri, status, mediaType, charset, body, headers(http));
    }

    /**
     * The single content coding of the response, null for identity; stacked or unknown codings are
     * refused.
     */
    private static String contentCoding(URI uri, int status, HttpResponse<InputStream> http)
            throws FetchException {
        List<String> codings = new ArrayList<>();
        for (String value : http.headers().allValues("content-encoding")) {
            for (String part : value.split(",")) {
                String c = part.strip().toLowerCase(Locale.ROOT);
                if (!c.isEmpty() && !c.equals("identity")) {
                    codings.add(c);
                }
            }
        }
        if (codings.isEmpty()) {
            return null;
        }
        if (codings.size() > 1) {
            closeQuietly(http.body());
            throw new FetchException(
                    Kind.UNREADABLE,
                    uri,
                    status,
                    "stacked content encodings are refused: " + String.join(", ", codings));
        }
        String coding = codings.getFirst();
        if (!Set.of("gzip", "x-gzip", "deflate", "br").contains(coding)) {
            closeQuietly(http.body());
            throw new FetchException(
                    Kind.UNREADABLE, uri, status, "unsupported content encoding: " + coding);
        }
        return coding;
    }

    /** Reads the body, undoing {@code coding}, under both byte caps. */
    private byte[] readBody(InputStream raw, String coding, long maxDecoded) throws IOException {
        InputStream wire = new Capped(raw, settings.maxWireBytes(), "on the wire");
        InputStream in =
                coding == null
                        ? wire
                        : switch (coding) {
                            case "gzip", "x-gzip" -> new GZIPInputStream(wire, 8192);
                            case "deflate" -> inflating(wire);
                            case "br" -> new BrotliInputStream(wire);
                            default -> throw new IllegalStateException(coding);
                        };
        long cap = Math.min(maxDecoded, settings.maxDecodedBytes());
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        byte[] buffer = new byte[8192];
        long total = 0;
        try (in) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                total += n;
                if (total > cap) {
                    throw new TooLarge("the decoded body is over the cap of " + cap + " bytes");
                }
                out.write(buffer, 0, n);
            }
        } catch (RuntimeException e) {
            // The brotli decoder reports corrupt input as unchecked exceptions.
            throw new IOException("corrupt " + coding + " body: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /**
     * "deflate" is meant to be zlib-wrapped (RFC 9110) but some servers send raw deflate, as old
     * browsers accepted both: look at the first two bytes for a zlib header and pick accordingly.
     */
    private static InputStream inflating(InputStream wire) throws IOException {
        PushbackInputStream in = new PushbackInputStream(wire, 2);
        byte[] head = in.readNBytes(2);
        in.unread(head);
        boolean zlib =
                head.length == 2
                        && (head[0] & 0x0F) == 8
                        && ((head[0] & 0xFF) << 8 | head[1] & 0xFF) % 31 == 0;
        return new InflaterInputStream(in, new Inflater(!zlib), 8192);
    }

    private void checkRobots(Call call) throws FetchException {
        URI robots;
        try {
            robots =
                    new URI(
                            call.requested.getScheme(),
                            call.requested.getRawAuthority(),
                            "/robots.txt",
                            null,
                            null);
        } catch (URISyntaxException e) {
            throw new FetchException(
                    Kind.BAD_OPTION, call.requested, 0, "cannot build the robots.txt URL", e);
        }
        Page page;
        try {
            page = follow(call, robots, ROBOTS_MAX_BYTES);
        } catch (FetchException e) {
            if (e.kind() != Kind.TOO_LARGE) {
                throw e;
            }
            throw new FetchException(
                    Kind.CONFLICT,
                    call.requested,
                    0,
                    "robots.txt is over " + ROBOTS_MAX_BYTES + " bytes");
        }
        if (page.status() >= 500) {
            // RFC 9309 §2.3.1.3: an unreachable robots.txt means assume complete disallow.
            throw new FetchException(
                    Kind.CONFLICT,
                    call.requested,
                    page.status(),
                    "robots.txt answered "
                            + page.status()
                            + ", so the site is treated as disallowed");
        }
        if (page.status() >= 400) {
            return; // no robots.txt: everything allowed
        }
        String path =
                call.requested.getRawPath() == null || call.requested.getRawPath().isEmpty()
                        ? "/"
                        : call.requested.getRawPath();
        if (call.requested.getRawQuery() != null) {
            path += "?" + call.requested.getRawQuery();
        }
        if (!Robots.parse(page.text()).allows(call.options.robotsTxt(), path)) {
            throw new FetchException(
                    Kind.CONFLICT,
                    call.requested,
                    0,
                    "robots.txt disallows " + path + " for " + call.options.robotsTxt());
        }
    }

    private static URI resolve(URI base, String location, int status) throws FetchException {
        try {
            return base.resolve(new URI(escapeLoosely(location.strip())));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new FetchException(
                    Kind.UNREADABLE, base, status, "bad redirect Location: " + location, e);
        }
    }

    /**
     * Percent-encodes what servers leave raw in Locations (spaces, non-ASCII), as browsers tolerate
     * it.
     */
    private static String escapeLoosely(String location) {
        StringBuilder s = new StringBuilder(location.length());
        for (byte b : location.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xFF;
            if (c <= 0x20 || c >= 0x7F || "\"<>\\^`{|}".indexOf(c) >= 0) {
                s.append('%')
                        .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            } else {
                s.append((char) c);
            }
        }
        return s.toString();
    }

    /**
     * The user's cookies as if the target had set them, plus whatever the hops set along the way.
     */
    private static CookieManager cookieJar(URI url, List<String> cookies) throws FetchException {
        CookieManager jar = new CookieManager(null, CookiePolicy.ACCEPT_ORIGINAL_SERVER);
        if (!cookies.isEmpty()) {
            try {
                jar.put(url, Map.of("Set-Cookie", cookies));
            } catch (IOException | IllegalArgumentException e) {
                throw new FetchException(
                        Kind.BAD_OPTION, url, 0, "bad cookie: " + e.getMessage(), e);
            }
        }
        return jar;
    }

    private static void rememberCookies(Call call, URI uri, HttpResponse<?> response) {
        try {
            call.cookies.put(uri, response.headers().map());
        } catch (IOException | IllegalArgumentException e) {
            // A malformed Set-Cookie from the site is the site's problem; the page still loads.
        }
    }

    /**
     * The bridge to the proxy {@code proxyUrl} names; the proxy's own address passes the guard
     * first, as any target's does.
     */
    private ProxyBridge bridge(URI url, String proxyUrl, long deadline) throws FetchException {
        ProxyUrl proxy;
        try {
            proxy = ProxyUrl.parse(proxyUrl);
        } catch (IllegalArgumentException e) {
            throw new FetchException(Kind.BAD_OPTION, url, 0, e.getMessage());
        }
        String host = proxy.host().indexOf(':') >= 0 ? "[" + proxy.host() + "]" : proxy.host();
        AddressGuard.Target vetted;
        try {
            vetted = guard.vet(URI.create("http://" + host + ":" + proxy.port() + "/"));
        } catch (FetchException e) {
            throw new FetchException(
                    e.kind(), url, 0, "the proxy " + proxy + " is refused: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new FetchException(Kind.BAD_OPTION, url, 0, "bad proxy host: " + proxy.host());
        }
        InetAddress address;
        try {
            address =
                    vetted.addresses().isEmpty()
                            ? InetAddress.getByName(vetted.host())
                            : vetted.addresses().getFirst();
        } catch (UnknownHostException e) {
            throw new FetchException(
                    Kind.UNREADABLE,
                    url,
                    0,
                    "cannot resolve the proxy's host " + proxy.host() + " (DNS lookup failed)",
                    e);
        }
        try {
            return new ProxyBridge(proxy, address, tls, deadline);
        } catch (IOException e) {
            throw new FetchException(
                    Kind.UNREADABLE, url, 0, "cannot open a loopback port for the proxy: " + e, e);
        }
    }

    /**
     * A plain-http response that is the proxy's refusal rather than the target's page: 407 from an
     * HTTP proxy that wants (other) credentials.
     */
    private static FetchException proxyRefusal(Call call, URI uri, HttpResponse<?> response) {
        ProxyBridge bridge = call.route.bridge;
        if (response.statusCode() != 407
                || !uri.getScheme().equalsIgnoreCase("http")
                || bridge.proxy().scheme() == ProxyUrl.Scheme.SOCKS5) {
            return null;
        }
        return new FetchException(
                Kind.UNREADABLE,
                uri,
                407,
                bridge.proxy().hasCredentials()
                        ? "the proxy " + bridge.proxy() + " refused the credentials (407)"
                        : "the proxy "
                                + bridge.proxy()
                                + " wants credentials (407): give them in the proxy URL as"
                                + " user:password@");
    }

    private HttpClient client() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    client = c = newClient(null);
                }
            }
        }
        return c;
    }

    private HttpClient newClient(ProxySelector proxy) {
        HttpClient.Builder builder =
                HttpClient.newBuilder()
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .connectTimeout(Duration.ofSeconds(15))
                        .sslContext(tls);
        if (proxy != null) {
            builder.proxy(proxy);
        }
        return builder.build();
    }

    private static SSLContext defaultTls() {
        try {
            return SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no default TLS context", e);
        }
    }

    /** {@code de-DE} → {@code de-DE,de;q=0.9}; a full Accept-Language value is passed through. */
    static String acceptLanguage(String locale) {
        if (locale == null || locale.isBlank()) {
            return DEFAULT_ACCEPT_LANGUAGE;
        }
        String tag = locale.strip().replace('_', '-');
        if (tag.contains(",") || tag.contains(";")) {
            return tag;
        }
        int dash = tag.indexOf('-');
        return dash > 0 ? tag + "," + tag.substring(0, dash) + ";q=0.9" : tag;
    }

    private static Map<String, List<String>> headers(HttpResponse<?> response) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        response.headers()
                .map()
                .forEach((name, values) -> {
                    if (!name.startsWith(":")) {
                        headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values));
                    }
                });
        return Map.copyOf(headers);
    }

    private static boolean isText(String mediaType) {
        return mediaType.isEmpty()
                || mediaType.startsWith("text/")
                || mediaType.contains("html")
                || mediaType.contains("xml")
                || mediaType.contains("json")
                || mediaType.contains("javascript");
    }

    private static boolean isLiteral(String host) {
        return host.indexOf(':') >= 0
                || host.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9');
    }

    private static FetchException deadlinePassed(
            Call call, URI uri, String during, Throwable cause) {
        return new FetchException(
                Kind.UNREADABLE,
                uri,
                0,
                "timed out after "
                        + seconds(call.timeout)
                        + " s "
                        + during
                        + " from "
                        + hostPort(uri)
                        + " (the deadline for the whole fetch)",
                cause);
    }

    private static FetchException failed(Call call, URI uri, String what, Throwable cause) {
        return new FetchException(Kind.UNREADABLE, uri, 0, "cannot fetch: " + what, cause);
    }

    /**
     * What went wrong on the way to {@code uri}, in words: refused, reset, closed, TLS with its
     * reason, DNS. The JDK client's own exceptions often say nothing ({@code ConnectException} with
     * a null message over a {@code ClosedChannelException}), so the cause chain is read.
     */
    static String whatHappened(URI uri, Throwable e) {
        String where = hostPort(uri);
        if (cause(e, UnresolvedAddressException.class) != null
                || cause(e, UnknownHostException.class) != null) {
            return "cannot resolve host " + uri.getHost() + " (the DNS lookup failed)";
        }
        if (cause(e, SSLException.class) != null) {
            return "the TLS handshake with " + where + " failed: " + reason(e);
        }
        if (cause(e, NoRouteToHostException.class) != null) {
            return "no route to " + where;
        }
        ConnectException connect = cause(e, ConnectException.class);
        if (connect != null) {
            String message = deepestMessage(connect);
            return message == null || message.toLowerCase(Locale.ROOT).contains("refused")
                    ? "the connection to " + where + " was refused (nothing listens there)"
                    : "cannot connect to " + where + ": " + message;
        }
        return where + ": " + reason(e);
    }

    /**
     * An I/O failure in words, for any stage: reset, closed early, TLS, or the deepest message the
     * exception carries, never a bare class name when anything better is known. The whole cause
     * chain is read first for the most telling fact: the client reports a reset as "header parser
     * received no bytes" over a "Connection reset".
     */
    static String reason(Throwable e) {
        SSLException tls = cause(e, SSLException.class);
        if (tls != null) {
            String deepest = deepestMessage(tls);
            return deepest == null
                    ? "TLS failure (" + tls.getClass().getSimpleName() + ")"
                    : deepest;
        }
        if (anyMessage(e, "connection reset")) {
            return "the connection was reset by the other side";
        }
        if (anyMessage(e, "broken pipe")) {
            return "the other side closed the connection while it was written to";
        }
        if (cause(e, EOFException.class) != null
                || anyMessage(e, "received no bytes")
                || anyMessage(e, "connection closed")
                || anyMessage(e, "eof reached")) {
            return "the connection was closed before a complete response";
        }
        String deepest = deepestMessage(e);
        return deepest != null ? deepest : describe(e);
    }

    /** The first exception of {@code type} in {@code e}'s cause chain, or null. */
    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /** Whether any message in {@code e}'s cause chain contains {@code part}, ignoring case. */
    private static boolean anyMessage(Throwable e, String part) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().toLowerCase(Locale.ROOT).contains(part)) {
                return true;
            }
        }
        return false;
    }

    /** The message of the innermost cause that has one. */
    private static String deepestMessage(Throwable e) {
        String message = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
        }
        return message;
    }

    private static String hostPort(URI uri) {
        String host = uri.getHost() != null ? uri.getHost() : uri.getRawAuthority();
        int port =
                uri.getPort() >= 0
                        ? uri.getPort()
                        : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        return host + ":" + port;
    }

    /** A duration in seconds as people write it: 30, 0.8, 1.25. */
    private static String seconds(Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }

    private static FetchException tooLarge(URI uri, int status, String reason) {
        return new FetchException(Kind.TOO_LARGE, uri, status, reason);
    }

    /** The cap that stopped a read, also when a decoder wrapped it in its own exception. */
    private static TooLarge tooLargeCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TooLarge cap) {
                return cap;
            }
        }
        return null;
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            // closing is best effort: the connection is dropped either way
        }
    }

    private static ScheduledExecutorService watchdog() {
        ScheduledThreadPoolExecutor executor =
                new ScheduledThreadPoolExecutor(
                        1,
                        r -> {
                            Thread t = new Thread(r, "plinth-fetch-deadline");
                            t.setDaemon(true);
                            return t;
                        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** A size cap was passed; carries which one. */
    private static final class TooLarge extends IOException {
        TooLarge(String message) {
            super(message);
        }
    }

    /** Counts bytes read from the network and stops at the cap. */
    private static final class Capped extends FilterInputStream {
        private final long cap;
        private final String what;
        private long count;

        Capped(InputStream in, long cap, String what) {
            super(in);
            this.cap = cap;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws TooLarge {
            count += n;
            if (count > cap) {
                throw new TooLarge("the body is over the cap of " + cap + " bytes " + what);
            }
        }
    }
}
