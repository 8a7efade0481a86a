package dev.plinth.reader.fetch;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * The way through a proxy: a loopback HTTP proxy, one per proxied fetch, that the fetcher's
 * HttpClient is pointed at and that reaches each target through the proxy the request named.
 *
 * <p>Why a bridge. The JDK HttpClient speaks only to plain HTTP proxies, speaks no SOCKS, and drops
 * Basic credentials from CONNECT requests ({@code jdk.http.auth.tunneling.disabledSchemes}, read
 * once per JVM). So the client speaks plain HTTP proxy to this bridge, and the bridge speaks to the
 * real proxy as that proxy needs: HTTP or HTTPS (TLS to the proxy) with Basic credentials, or
 * SOCKS5 with user/password authentication (RFC 1928, RFC 1929).
 *
 * <p>The guard still decides where a request goes. Before each hop the fetcher tells the bridge
 * which host and port the client will ask for and which addresses the guard vetted for it ({@link
 * #expect}); the bridge refuses anything else, and a tunnel (CONNECT, SOCKS5) is opened to the
 * vetted address, not the name, so a proxy with another view of DNS cannot take the request where
 * the guard refused. One exception, by necessity: a plain-http target through an HTTP(S) proxy is
 * forwarded in absolute form, by name, since an HTTP proxy takes the Host from the request's URL
 * (RFC 9112 §3.2.2); that name was vetted here, but the proxy resolves it. https targets and SOCKS5
 * proxies have no such gap.
 *
 * <p>Only the fetcher's client may use the bridge: it must send a random per-bridge token as {@code
 * Proxy-Authorization} (in a scheme other than Basic, which the client would drop from CONNECT).
 * Connections without it are answered 407 and closed, so another local process cannot borrow the
 * proxy's credentials while a fetch runs.
 *
 * <p>Failures are recorded with their reason — the proxy cannot be reached, refused the
 * credentials, refused the tunnel, or a SOCKS5 reply code — and the client gets a 502; the fetcher
 * reports the recorded reason ({@link #failure}) instead of the 502. Each connection costs two
 * virtual threads for the copy loops; everything is closed with the bridge, at the end of the
 * fetch.
 */
final class ProxyBridge implements AutoCloseable {

    /** The Proxy-Authorization scheme of the bridge's token. */
    private static final String TOKEN_SCHEME = "Plinth-Bridge";

    private static final int MAX_HEAD_BYTES = 64 << 10;

    private final ProxyUrl proxy;
    private final InetAddress proxyAddress;
    private final SSLContext tls;
    private final long deadline;
    private final String token = newToken();
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Map<String, List<InetAddress>> expected = new ConcurrentHashMap<>();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private volatile boolean closed;

    /**
     * Starts a bridge on an ephemeral loopback port to {@code proxy}, reached at the vetted {@code
     * proxyAddress}; {@code deadline} (a {@link System#nanoTime} value) bounds every wait.
     */
    ProxyBridge(ProxyUrl proxy, InetAddress proxyAddress, SSLContext tls, long deadline)
            throws IOException {
        this.proxy = proxy;
        this.proxyAddress = proxyAddress;
        this.tls = tls;
        this.deadline = deadline;
        this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        threads.execute(this::acceptLoop);
    }

    /** Where the client is pointed. */
    InetSocketAddress address() {
        return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    }

    /** The Proxy-Authorization value the client must send. */
    String authorization() {
        return TOKEN_SCHEME + " " + token;
    }

    /**
     * Lets the client reach {@code host:port}, at {@code vetted} (empty: by name, when the guard's
     * address check is lifted).
     */
    void expect(String host, int port, List<InetAddress> vetted) {
        expected.put(key(host, port), List.copyOf(vetted));
    }

    /** Why the bridge could not reach a target, or null when nothing failed. */
    String failure() {
        return failure.get();
    }

    /** The proxy, without credentials, for messages. */
    ProxyUrl proxy() {
        return proxy;
    }

    @Override
    public void close() {
        closed = true;
        quietlyClose(server);
        open.forEach(ProxyBridge::quietlyClose);
        threads.shutdownNow();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                threads.execute(() -> serve(client));
            } catch (IOException | RejectedExecutionException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // One client connection: read the request head, open the way to the target, relay
    // ---------------------------------------------------------------------------------------------

    /** A request head from the client, its lines split. */
    private record Head(String method, String target, String version, List<String> headers) {}

    /** Why the way to a target could not be opened; already recorded in {@link #failure}. */
    private static final class Failed extends Exception {
        Failed(String reason) {
            super(reason, null, false, false);
        }
    }

    private void serve(Socket client) {
        open.add(client);
        Socket upstream = null;
        try {
            client.setSoTimeout(remainingMillis());
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            Head head = readRequest(in);
            if (head == null) {
                return;
            }
            if (!authorized(head)) {
                write(
                        out,
                        "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
                return;
            }
            try {
                if (head.method.equals("CONNECT")) {
                    HostPort target = HostPort.parse(head.target, 443);
                    upstream = tunnel(target, vetted(target));
                    write(out, "HTTP/1.1 200 Connection established\r\n\r\n");
                } else {
                    upstream = forward(head);
                }
            } catch (Failed e) {
                write(
                        out,
                        "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            }
            client.setSoTimeout(0);
            upstream.setSoTimeout(0);
            relay(in, client, upstream);
        } catch (IOException e) {
            // The client hung up, or the fetch ended and closed everything: nothing to report.
        } finally {
            quietlyClose(client);
            open.remove(client);
            if (upstream != null) {
                quietlyClose(upstream);
                open.remove(upstream);
            }
        }
    }

    /**
     * A plain-http request in absolute form: to an HTTP(S) proxy it goes on as it is, with the
     * proxy's credentials; through SOCKS5 it goes down a tunnel in origin form.
     */
    private Socket forward(Head head) throws Failed, IOException {
        URI url;
        try {
            url = new URI(head.target);
        } catch (java.net.URISyntaxException e) {
            throw fail("the client sent a request for '" + head.target + "', not an absolute URL");
        }
        if (!"http".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
            throw fail("the client sent a request for '" + head.target + "', not an http URL");
        }
        HostPort target =
                new HostPort(unbracket(url.getHost()), url.getPort() < 0 ? 80 : url.getPort());
        List<InetAddress> vetted = vetted(target);
        StringBuilder request = new StringBuilder();
        Socket upstream;
        if (proxy.scheme() == ProxyUrl.Scheme.SOCKS5) {
            upstream = tunnel(target, vetted);
            String path =
                    url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
            request.append(head.method).append(' ').append(path);
            if (url.getRawQuery() != null) {
                request.append('?').append(url.getRawQuery());
            }
        } else {
            upstream = connectToProxy();
            request.append(head.method).append(' ').append(head.target);
        }
        request.append(' ').append(head.version).append("\r\n");
        for (String line : head.headers) {
            request.append(line).append("\r\n");
        }
        if (proxy.scheme() != ProxyUrl.Scheme.SOCKS5 && proxy.hasCredentials()) {
            request.append("Proxy-Authorization: ").append(basic()).append("\r\n");
        }
        request.append("\r\n");
        write(upstream.getOutputStream(), request.toString());
        return upstream;
    }

    /** A connection to {@code target} through the proxy: CONNECT or SOCKS5, to a vetted address. */
    private Socket tunnel(HostPort target, List<InetAddress> vetted) throws Failed, IOException {
        String host = vetted.isEmpty() ? target.host : vetted.getFirst().getHostAddress();
        Socket upstream = connectToProxy();
        try {
            if (proxy.scheme() == ProxyUrl.Scheme.SOCKS5) {
                socks5Connect(upstream, host, target.port, target);
            } else {
                httpConnect(upstream, host, target.port, target);
            }
            return upstream;
        } catch (SocketTimeoutException e) {
            quietlyClose(upstream);
            throw fail("the proxy " + proxy + " did not answer before the deadline");
        } catch (IOException e) {
            quietlyClose(upstream);
            throw fail("the proxy " + proxy + " broke off the connection: " + Fetcher.reason(e));
        } catch (Failed e) {
            quietlyClose(upstream);
            throw e;
        }
    }

    private void httpConnect(Socket upstream, String host, int port, HostPort target)
            throws IOException, Failed {
        String authority = (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        StringBuilder request =
                new StringBuilder("CONNECT ")
                        .append(authority)
                        .append(" HTTP/1.1\r\nHost: ")
                        .append(authority)
                        .append("\r\n");
        if (proxy.hasCredentials()) {
            request.append("Proxy-Authorization: ").append(basic()).append("\r\n");
        }
        write(upstream.getOutputStream(), request.append("\r\n").toString());
        InputStream in = upstream.getInputStream();
        String status = readResponseHead(in);
        if (status == null) {
            throw fail("the proxy " + proxy + " closed the connection without answering CONNECT");
        }
        String[] parts = status.split(" ", 3);
        int code = parts.length > 1 && parts[1].matches("\\d{3}") ? Integer.parseInt(parts[1]) : 0;
        if (code == 407) {
            throw fail(
                    proxy.hasCredentials()
                            ? "the proxy " + proxy + " refused the credentials (" + status + ")"
                            : "the proxy "
                                    + proxy
                                    + " wants credentials ("
                                    + status
                                    + "): give them in the proxy URL as user:password@");
        }
        if (code / 100 != 2) {
            throw fail("the proxy " + proxy + " refused to connect to " + target + ": " + status);
        }
    }

    /** RFC 1928 CONNECT, after RFC 1929 user/password authentication when credentials are given. */
    private void socks5Connect(Socket upstream, String host, int port, HostPort target)
            throws IOException, Failed {
        OutputStream out = upstream.getOutputStream();
        DataInputStream in = new DataInputStream(upstream.getInputStream());
        out.write(proxy.hasCredentials() ? new byte[] {5, 2, 0, 2} : new byte[] {5, 1, 0});
        out.flush();
        if (in.readUnsignedByte() != 5) {
            throw fail("the proxy " + proxy + " does not speak SOCKS5");
        }
        int method = in.readUnsignedByte();
        if (method == 2 && proxy.hasCredentials()) {
            byte[] user = proxy.user().getBytes(StandardCharsets.UTF_8);
            byte[] password = proxy.password().getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream auth = new ByteArrayOutputStream();
            auth.write(1);
            auth.write(user.length);
            auth.write(user);
            auth.write(password.length);
            auth.write(password);
            out.write(auth.toByteArray());
            out.flush();
            in.readUnsignedByte();
            if (in.readUnsignedByte() != 0) {
                throw fail("the SOCKS5 proxy " + proxy + " refused the user name and password");
            }
        } else if (method != 0) {
            throw fail(
                    "the SOCKS5 proxy "
                            + proxy
                            + " accepts none of the offered ways to authenticate"
                            + (proxy.hasCredentials()
                                    ? ""
                                    : " (it may want a user name and password in the proxy URL)"));
        }
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(new byte[] {5, 1, 0});
        InetAddress literal = literal(host);
        if (literal != null) {
            byte[] bytes = literal.getAddress();
            request.write(bytes.length == 4 ? 1 : 4);
            request.write(bytes);
        } else {
            byte[] name = host.getBytes(StandardCharsets.US_ASCII);
            request.write(3);
            request.write(name.length);
            request.write(name);
        }
        request.write(port >> 8);
        request.write(port & 0xFF);
        out.write(request.toByteArray());
        out.flush();
        in.readUnsignedByte();
        int reply = in.readUnsignedByte();
        in.readUnsignedByte();
        int bound =
                switch (in.readUnsignedByte()) {
                    case 1 -> 4;
                    case 4 -> 16;
                    case 3 -> in.readUnsignedByte();
                    default -> 0;
                };
        in.readNBytes(bound + 2);
        if (reply != 0) {
            throw fail(
                    "the SOCKS5 proxy "
                            + proxy
                            + " could not connect to "
                            + target
                            + ": "
                            + socksReply(reply));
        }
    }

    /** A socket to the proxy itself at its vetted address, TLS on top for an https proxy. */
    private Socket connectToProxy() throws Failed {
        Socket socket = new Socket();
        open.add(socket);
        try {
            socket.connect(new InetSocketAddress(proxyAddress, proxy.port()), remainingMillis());
            socket.setSoTimeout(remainingMillis());
        } catch (IOException e) {
            quietlyClose(socket);
            throw fail("cannot connect to the proxy " + proxy + ": " + Fetcher.reason(e));
        }
        if (proxy.scheme() != ProxyUrl.Scheme.HTTPS) {
            return socket;
        }
        try {
            SSLSocket ssl =
                    (SSLSocket)
                            tls.getSocketFactory()
                                    .createSocket(socket, proxy.host(), proxy.port(), true);
            open.add(ssl);
            SSLParameters parameters = ssl.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (literal(proxy.host()) == null) {
                parameters.setServerNames(List.of(new SNIHostName(proxy.host())));
            }
            ssl.setSSLParameters(parameters);
            ssl.startHandshake();
            return ssl;
        } catch (SSLException e) {
            quietlyClose(socket);
            throw fail(
                    "the TLS handshake with the proxy " + proxy + " failed: " + Fetcher.reason(e));
        } catch (IOException e) {
            quietlyClose(socket);
            throw fail("cannot connect to the proxy " + proxy + ": " + Fetcher.reason(e));
        }
    }

    /** Copies both ways until either side ends, then ends the other. */
    private void relay(InputStream clientIn, Socket client, Socket upstream) throws IOException {
        Future<?> down = threads.submit(() -> copy(upstream.getInputStream(), client));
        copy(clientIn, upstream);
        try {
            down.get(remainingMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // the deadline passed or the bridge closed: the fetch reports which
        }
    }

    private static Void copy(InputStream in, Socket to) {
        try {
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[16 << 10];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            quietlyClose(to);
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------

    /** A host (no brackets, lower case) and port. */
    private record HostPort(String host, int port) {
        static HostPort parse(String authority, int defaultPort) {
            String a = authority;
            int port = defaultPort;
            int colon = a.lastIndexOf(':');
            if (colon > a.lastIndexOf(']') && colon >= 0) {
                try {
                    port = Integer.parseInt(a.substring(colon + 1));
                } catch (NumberFormatException e) {
                    port = -1;
                }
                a = a.substring(0, colon);
            }
            return new HostPort(unbracket(a).toLowerCase(Locale.ROOT), port);
        }

        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private List<InetAddress> vetted(HostPort target) throws Failed {
        List<InetAddress> vetted = expected.get(key(target.host, target.port));
        if (vetted == null) {
            throw fail("the client asked for " + target + ", which this fetch did not vet");
        }
        return vetted;
    }

    private boolean authorized(Head head) {
        String expectedValue = authorization();
        boolean found = false;
        for (int i = 0; i < head.headers.size(); i++) {
            String line = head.headers.get(i);
            int colon = line.indexOf(':');
            if (colon > 0
                    && line.substring(0, colon).strip().equalsIgnoreCase("proxy-authorization")) {
                found |=
                        MessageDigest.isEqual(
                                line.substring(colon + 1)
                                        .strip()
                                        .getBytes(StandardCharsets.US_ASCII),
                                expectedValue.getBytes(StandardCharsets.US_ASCII));
                head.headers.remove(i--);
            }
        }
        return found;
    }

    private String basic() {
        String pair = proxy.user() + ":" + proxy.password();
        return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    private Failed fail(String reason) {
        failure.compareAndSet(null, reason);
        return new Failed(reason);
    }

    private int remainingMillis() {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left));
    }

    /** The request line and headers, or null when the client closed before sending any. */
    private static Head readRequest(InputStream in) throws IOException {
        String text = readHeadText(in);
        if (text == null) {
            return null;
        }
        String[] lines = text.split("\r\n");
        String[] request = lines[0].split(" ");
        if (request.length != 3) {
            throw new IOException("malformed request line: " + lines[0]);
        }
        List<String> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (!lines[i].isEmpty()) {
                headers.add(lines[i]);
            }
        }
        return new Head(request[0], request[1], request[2], headers);
    }

    /** The status line of a response head (the rest is read and dropped), or null at EOF. */
    private static String readResponseHead(InputStream in) throws IOException {
        String text = readHeadText(in);
        return text == null ? null : text.split("\r\n", 2)[0];
    }

    /** Bytes up to the blank line that ends a head, at most {@link #MAX_HEAD_BYTES}. */
    private static String readHeadText(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return head.size() == 0 ? null : head.toString(StandardCharsets.ISO_8859_1);
            }
            head.write(b);
            if (head.size() > MAX_HEAD_BYTES) {
                throw new IOException("a head over " + MAX_HEAD_BYTES + " bytes");
            }
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String socksReply(int code) {
        return switch (code) {
            case 1 -> "general failure (1)";
            case 2 -> "not allowed by its rules (2)";
            case 3 -> "network unreachable (3)";
            case 4 -> "host unreachable (4)";
            case 5 -> "connection refused (5)";
            case 6 -> "TTL expired (6)";
            case 7 -> "command not supported (7)";
            case 8 -> "address type not supported (8)";
            default -> "reply code " + code;
        };
    }

    private static InetAddress literal(String host) {
        boolean looksLiteral =
                host.indexOf(':') >= 0
                        || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
        if (!looksLiteral) {
            return null;
        }
        try {
            return InetAddress.getByName(host.indexOf(':') >= 0 ? "[" + host + "]" : host);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * One spelling per endpoint: no brackets, lower case, no trailing dot (as the guard has it).
     */
    private static String key(String host, int port) {
        String h = unbracket(host).toLowerCase(Locale.ROOT);
        return (h.endsWith(".") ? h.substring(0, h.length() - 1) : h) + ":" + port;
    }

    private static String unbracket(String host) {
        return host.startsWith("[") && host.endsWith("]")
                ? host.substring(1, host.length() - 1)
                : host;
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String newToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void quietlyClose(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
