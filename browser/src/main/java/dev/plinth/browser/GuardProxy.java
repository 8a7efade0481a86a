package dev.plinth.browser;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The browser's only way out: a SOCKS5 proxy on loopback that vets every connection Chromium opens.
 *
 * <p>Request interception (CDP {@code Fetch}) sees URLs, but Chromium resolves host names itself,
 * so a host that answers a public address to the check and a private one to the connect (DNS
 * rebinding) would slip through, and WebSocket handshakes are not intercepted at all. Chromium
 * started with {@code --proxy-server=socks5://…} hands host names to the proxy unresolved (SOCKS5
 * remote resolution, RFC 1928 address type 3), so this class resolves each name once, asks the
 * {@link Policy} for the address it may use, and connects to exactly that address. Whatever the
 * page does — navigation, redirect, subresource, fetch, WebSocket, worker — it cannot reach an
 * address the policy refused.
 *
 * <p>Second rule: only what a page asked for leaves. Chromium has traffic of its own (component and
 * extension updates, account services) that flags do not fully silence; the proxy admits a host and
 * port only while some page {@link #expect expects} it — {@link Tab} registers each request's
 * origin after vetting it and before letting it go — so plinth makes no connection that no user
 * asked for.
 *
 * <p>Only CONNECT is served; BIND and UDP ASSOCIATE are refused, and WebRTC is kept off UDP by a
 * Chromium flag. Each connection costs two virtual threads for the copy loops.
 */
final class GuardProxy implements AutoCloseable {

    /** Decides, per connection, which address a host name may be reached at. */
    interface Policy {
        /**
         * The vetted address to connect to for {@code host:port}, or a {@link Refused} saying why
         * not.
         */
        InetAddress admit(String host, int port) throws Refused, IOException;
    }

    /** A connection the policy refused, with the reason. */
    static final class Refused extends Exception {
        Refused(String reason) {
            super(reason);
        }
    }

    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int HANDSHAKE_TIMEOUT_MS = 10_000;

    private final Policy policy;
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<InetSocketAddress> forbidden = ConcurrentHashMap.newKeySet();
    private final AtomicLong refusals = new AtomicLong();
    private final Map<String, Integer> expected = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** Starts a proxy on an ephemeral loopback port. */
    GuardProxy(Policy policy) throws IOException {
        this.policy = policy;
        this.server = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
        forbid(server.getLocalPort());
        threads.execute(this::acceptLoop);
    }

    /** The port Chromium is pointed at. */
    int port() {
        return server.getLocalPort();
    }

    /**
     * Refuses loopback {@code port} whatever the policy says (the DevTools port, this proxy's own).
     */
    void forbid(int port) {
        try {
            for (InetAddress loopback :
                    List.of(InetAddress.getLoopbackAddress(), InetAddress.getByName("::1"))) {
                forbidden.add(new InetSocketAddress(loopback, port));
            }
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // a literal is never looked up
        }
    }

    /** Lets connections to {@code host:port} through until as many {@link #unexpect} calls. */
    void expect(String host, int port) {
        expected.merge(key(host, port), 1, Integer::sum);
    }

    /** Withdraws one {@link #expect} of {@code host:port}. */
    void unexpect(String host, int port) {
        expected.computeIfPresent(key(host, port), (k, n) -> n <= 1 ? null : n - 1);
    }

    /**
     * One spelling per endpoint: names lower case, IPv6 literals in the JDK's full form, brackets
     * dropped.
     */
    static String key(String host, int port) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.indexOf(':') >= 0) {
            try {
                h =
                        InetAddress.getByName("[" + h + "]")
                                .getHostAddress(); // a literal: no DNS query
            } catch (java.net.UnknownHostException e) {
                // not a valid literal: kept as written, it matches nothing Chromium sends
            }
        }
        return h + ":" + port;
    }

    /** How many connections were refused so far. */
    long refusals() {
        return refusals.get();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(GuardProxy::quietlyClose);
        threads.shutdownNow();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void serve(Socket client) {
        open.add(client);
        Socket upstream = null;
        try {
            client.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();

            // Greeting: VER NMETHODS METHODS...; only "no authentication" (0) is offered back.
            if (in.readUnsignedByte() != 5) {
                return;
            }
            in.readNBytes(in.readUnsignedByte());
            out.write(new byte[] {5, 0});

            // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
            int version = in.readUnsignedByte();
            int command = in.readUnsignedByte();
            in.readUnsignedByte();
            String host =
                    switch (in.readUnsignedByte()) {
                        case 1 -> InetAddress.getByAddress(in.readNBytes(4)).getHostAddress();
                        case 3 ->
                                new String(
                                        in.readNBytes(in.readUnsignedByte()),
                                        StandardCharsets.US_ASCII);
                        case 4 ->
                                "["
                                        + InetAddress.getByAddress(in.readNBytes(16))
                                                .getHostAddress()
                                        + "]";
                        default -> null;
                    };
            int port = in.readUnsignedShort();
            if (version != 5 || host == null) {
                reply(out, 8);
                return;
            }
            if (command != 1) {
                reply(out, 7);
                return;
            }

            if (!expected.containsKey(key(host, port))) {
                refusals.incrementAndGet();
                reply(out, 2); // no page asked for this: Chromium's own traffic
                return;
            }
            InetAddress address;
            try {
                address = policy.admit(host, port);
                if (forbidden.contains(new InetSocketAddress(address, port))) {
                    throw new Refused(host + ":" + port + " is plinth's own control port");
                }
            } catch (Refused refused) {
                refusals.incrementAndGet();
                reply(out, 2); // connection not allowed by ruleset
                return;
            } catch (IOException unresolvable) {
                reply(out, 4); // host unreachable
                return;
            }

            upstream = new Socket();
            open.add(upstream);
            try {
                upstream.connect(new InetSocketAddress(address, port), CONNECT_TIMEOUT_MS);
            } catch (IOException e) {
                reply(out, 5);
                return;
            }
            reply(out, 0);
            client.setSoTimeout(0);
            Socket up = upstream;
            Future<?> down = threads.submit(() -> copy(up, client));
            copy(client, up);
            down.get();
        } catch (IOException | ExecutionException e) {
            // The browser gave up on the connection, or the upstream went away: nothing to report.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RejectedExecutionException e) {
            // the proxy is closing
        } finally {
            quietlyClose(client);
            open.remove(client);
            if (upstream != null) {
                quietlyClose(upstream);
                open.remove(upstream);
            }
        }
    }

    private static void reply(OutputStream out, int status) throws IOException {
        out.write(new byte[] {5, (byte) status, 0, 1, 0, 0, 0, 0, 0, 0});
        out.flush();
    }

    /** Copies until end of stream, then half-closes the other side so it sees the end too. */
    private static void copy(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[16 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException e) {
            quietlyClose(to);
            quietlyClose(from);
        }
    }

    private static void quietlyClose(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
