package dev.plinth.reader.fetch;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLContext;

/**
 * Small real proxies on loopback for the fetcher's proxy tests: an HTTP proxy (absolute-form
 * requests and CONNECT, optionally over TLS) and a SOCKS5 proxy, both with credentials.
 *
 * <p>Nothing leaves the machine: whatever host a request names, the proxy connects to loopback at
 * the port the request names, so a test makes "public.example:PORT" reach its own server on PORT.
 * Each proxy logs what it was asked, the way a proxy's access log would, so the tests can check
 * what went over the wire: the request line, the credentials, the address tunnelled to.
 */
final class TestProxies {

    private TestProxies() {}

    /** What a proxy was asked: the request (line or SOCKS target) and the credentials sent. */
    record Asked(String request, String credentials) {}

    /** Something that answers connections on a loopback port until closed. */
    abstract static class Proxy implements AutoCloseable {
        final ServerSocket server;
        final List<Asked> asked = new CopyOnWriteArrayList<>();
        final String user;
        final String password;

        Proxy(ServerSocket server, String user, String password) {
            this.server = server;
            this.user = user;
            this.password = password;
            Thread.ofVirtual()
                    .start(() -> {
                        while (!server.isClosed()) {
                            try {
                                Socket client = server.accept();
                                Thread.ofVirtual().start(() -> serveQuietly(client));
                            } catch (IOException e) {
                                return;
                            }
                        }
                    });
        }

        int port() {
            return server.getLocalPort();
        }

        abstract void serve(Socket client) throws IOException;

        private void serveQuietly(Socket client) {
            try (client) {
                serve(client);
            } catch (IOException e) {
                // the other side went away
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /**
     * An HTTP proxy that wants Basic credentials (when {@code user} is not null): plain-http
     * requests in absolute form are forwarded in origin form, CONNECT opens a tunnel.
     */
    static final class HttpProxy extends Proxy {

        HttpProxy(String user, String password) throws IOException {
            super(new ServerSocket(0, 16, InetAddress.getLoopbackAddress()), user, password);
        }

        /** The same proxy spoken to over TLS, with the test certificate. */
        HttpProxy(String user, String password, SSLContext tls) throws IOException {
            super(
                    tls.getServerSocketFactory()
                            .createServerSocket(0, 16, InetAddress.getLoopbackAddress()),
                    user,
                    password);
        }

        @Override
        void serve(Socket client) throws IOException {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            String head = readHead(in);
            if (head == null) {
                return;
            }
            String[] lines = head.split("\r\n");
            String credentials = null;
            List<String> forwarded = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                String line = lines[i];
                if (line.toLowerCase().startsWith("proxy-authorization:")) {
                    credentials = line.substring(line.indexOf(':') + 1).strip();
                } else if (!line.isEmpty() && !line.toLowerCase().startsWith("proxy-")) {
                    forwarded.add(line);
                }
            }
            asked.add(new Asked(lines[0], credentials));
            if (user != null && !basic(user, password).equals(credentials)) {
                write(
                        out,
                        "HTTP/1.1 407 Proxy Authentication Required\r\n"
                                + "Proxy-Authenticate: Basic realm=\"test\"\r\n"
                                + "Content-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            }
            String[] request = lines[0].split(" ");
            if (request[0].equals("CONNECT")) {
                int port = Integer.parseInt(request[1].substring(request[1].lastIndexOf(':') + 1));
                try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    write(out, "HTTP/1.1 200 Connection established\r\n\r\n");
                    relay(in, client, upstream);
                }
                return;
            }
            URI url = URI.create(request[1]);
            StringBuilder origin =
                    new StringBuilder(request[0])
                            .append(' ')
                            .append(url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                            .append(url.getRawQuery() == null ? "" : "?" + url.getRawQuery())
                            .append(' ')
                            .append(request[2])
                            .append("\r\n");
            forwarded.forEach(line -> origin.append(line).append("\r\n"));
            origin.append("\r\n");
            try (Socket upstream = new Socket(InetAddress.getLoopbackAddress(), url.getPort())) {
                write(upstream.getOutputStream(), origin.toString());
                relay(in, client, upstream);
            }
        }
    }

    /**
     * A SOCKS5 proxy (RFC 1928) that wants user/password authentication (RFC 1929) when {@code
     * user} is not null, and logs each CONNECT's target as {@code atyp address:port}.
     */
    static final class Socks5Proxy extends Proxy {

        Socks5Proxy(String user, String password) throws IOException {
            super(new ServerSocket(0, 16, InetAddress.getLoopbackAddress()), user, password);
        }

        @Override
        void serve(Socket client) throws IOException {
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream out = client.getOutputStream();
            if (in.readUnsignedByte() != 5) {
                return;
            }
            byte[] methods = in.readNBytes(in.readUnsignedByte());
            int wanted = user == null ? 0 : 2;
            boolean offered = false;
            for (byte m : methods) {
                offered |= m == wanted;
            }
            if (!offered) {
                out.write(new byte[] {5, (byte) 0xFF});
                asked.add(new Asked("no acceptable method", null));
                return;
            }
            out.write(new byte[] {5, (byte) wanted});
            String credentials = null;
            if (wanted == 2) {
                in.readUnsignedByte();
                String u = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
                String p = new String(in.readNBytes(in.readUnsignedByte()), StandardCharsets.UTF_8);
                credentials = u + ":" + p;
                boolean ok = u.equals(user) && p.equals(password);
                out.write(new byte[] {1, (byte) (ok ? 0 : 1)});
                if (!ok) {
                    asked.add(new Asked("refused credentials", credentials));
                    return;
                }
            }
            in.readUnsignedByte();
            int command = in.readUnsignedByte();
            in.readUnsignedByte();
            int type = in.readUnsignedByte();
            String address =
                    switch (type) {
                        case 1 -> InetAddress.getByAddress(in.readNBytes(4)).getHostAddress();
                        case 4 ->
                                "["
                                        + InetAddress.getByAddress(in.readNBytes(16))
                                                .getHostAddress()
                                        + "]";
                        default ->
                                new String(
                                        in.readNBytes(in.readUnsignedByte()),
                                        StandardCharsets.US_ASCII);
                    };
            int port = in.readUnsignedShort();
            asked.add(new Asked("CONNECT atyp" + type + " " + address + ":" + port, credentials));
            if (command != 1) {
                out.write(new byte[] {5, 7, 0, 1, 0, 0, 0, 0, 0, 0});
                return;
            }
            Socket upstream;
            try {
                upstream = new Socket(InetAddress.getLoopbackAddress(), port);
            } catch (IOException e) {
                out.write(new byte[] {5, 5, 0, 1, 0, 0, 0, 0, 0, 0});
                return;
            }
            try (upstream) {
                out.write(new byte[] {5, 0, 0, 1, 127, 0, 0, 1, 0, 0});
                relay(in, client, upstream);
            }
        }
    }

    /** The Proxy-Authorization value for Basic credentials. */
    static String basic(String user, String password) {
        return "Basic "
                + Base64.getEncoder()
                        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static void relay(InputStream clientIn, Socket client, Socket upstream)
            throws IOException {
        Thread down =
                Thread.ofVirtual()
                        .start(() -> {
                            try {
                                upstream.getInputStream().transferTo(client.getOutputStream());
                                endOutput(client);
                            } catch (IOException e) {
                                // either side went away
                            }
                        });
        try {
            clientIn.transferTo(upstream.getOutputStream());
            endOutput(upstream);
        } catch (IOException e) {
            // either side went away
        }
        try {
            down.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Half-closes a plain socket; a TLS socket has no half-close and is closed. */
    private static void endOutput(Socket socket) throws IOException {
        if (socket instanceof javax.net.ssl.SSLSocket) {
            socket.close();
        } else {
            socket.shutdownOutput();
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }
}
