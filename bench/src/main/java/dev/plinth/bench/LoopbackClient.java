package dev.plinth.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A minimal blocking HTTP/1.1 keep-alive client for latency benches: one socket, the request in one
 * write, the response read by {@code Content-Length} or chunks. It measures the server; the JDK's
 * {@code HttpClient} adds its own hand-offs between its selector thread and the caller (about a
 * millisecond a request on a busy 2-core machine), which EmbeddingsSpeed reports beside it.
 */
final class LoopbackClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String host;

    LoopbackClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        out = socket.getOutputStream();
        host = "127.0.0.1:" + port;
    }

    /** POSTs a JSON body and returns the response body; a non-200 status is an IOException. */
    String post(String path, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head =
                ("POST "
                                + path
                                + " HTTP/1.1\r\nHost: "
                                + host
                                + "\r\nContent-Type: application/json\r\nContent-Length: "
                                + body.length
                                + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[head.length + body.length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body, 0, request, head.length, body.length);
        out.write(request);
        out.flush();
        String status = line();
        long length = -1;
        boolean chunked = false;
        for (String h; !(h = line()).isEmpty(); ) {
            int colon = h.indexOf(':');
            if (colon < 0) continue;
            String name = h.substring(0, colon).trim();
            String value = h.substring(colon + 1).trim();
            if (name.equalsIgnoreCase("Content-Length")) length = Long.parseLong(value);
            if (name.equalsIgnoreCase("Transfer-Encoding") && value.equalsIgnoreCase("chunked"))
                chunked = true;
        }
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        if (chunked) {
            for (long n; (n = Long.parseLong(line().split(";")[0].trim(), 16)) > 0; line())
                response.write(in.readNBytes((int) n));
            while (!line().isEmpty()) {} // trailers
        } else {
            response.write(in.readNBytes((int) length));
        }
        String text = response.toString(StandardCharsets.UTF_8);
        if (!status.contains(" 200 ")) throw new IOException(status + " " + text);
        return text;
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("connection closed");
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
