package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.BatchOptions;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A client that hangs up mid-request takes its work with it: the conversion's CPU-pool worker or
 * the model queue's place is free again at once, the request is logged as 499, and the server goes
 * on answering.
 */
class ClientDisconnectTest {

    /**
     * 100k nested divs under {@code div:has(span)}: a subtree scan per element, far more work than
     * the bound below. Each request holds one CPU-pool worker; there are as many as cores.
     */
    private static final String BOMB_PAGE = "<div>".repeat(100_000) + "text";

    @Test
    void aClientThatLeavesMidConversionFreesItsWorker() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        try (Plinth plinth = Plinth.start(Plinth.config(null))) {
            ObjectNode body = Plinth.JSON.createObjectNode();
            body.put("url", "https://example.com/");
            body.put("html", BOMB_PAGE);
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < cores; i++) {
                clients.add(
                        send(
                                plinth.server.port(),
                                "POST / HTTP/1.1",
                                body.toString(),
                                "Content-Type: application/json",
                                "X-Target-Selector: div:has(span)"));
            }
            // Every worker of the CPU pool is now converting a bomb.
            awaitGauge(plinth, "plinth_reads_active", cores);
            Thread.sleep(500);
            for (Socket s : clients) s.close();

            long start = System.nanoTime();
            HttpResponse<String> next =
                    plinth.postJson(
                            "/",
                            "{\"url\": \"https://example.com/\", \"html\":"
                                    + " \"<article><p>Read right after the bombs left.</p></article>\"}",
                            "Accept",
                            "application/json");
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, next.statusCode(), next.body());
            assertTrue(next.body().contains("Read right after the bombs left."), next.body());
            assertTrue(waited < 5_000, "a free worker took " + waited + " ms to come");
            awaitGauge(plinth, "plinth_reads_active", 0);
            assertTrue(
                    count(plinth, "status=\"499\"") >= cores,
                    "each abandoned read is logged as 499: " + metrics(plinth));
            assertEquals(200, plinth.get("/health").statusCode());
        }
    }

    @Test
    void aClientThatLeavesAModelQueueTakesItsQueuedWorkAlong() throws Exception {
        // One model worker; a request of 512 long texts is many seconds of work. Once its client
        // leaves, only the batch being run finishes: the next request runs right after it.
        ModelRegistry registry =
                ModelRegistry.create(
                        ModelRegistry.Options.defaults()
                                .withFolders(List.of())
                                .withBatching(
                                        BatchOptions.defaults()
                                                .withWorkers(1)
                                                .withQueue(1 << 22, Duration.ofMinutes(5))));
        try (registry;
                Plinth plinth =
                        Plinth.start(
                                Plinth.config(null),
                                List.of(new EmbeddingsRoutes(new Embedder(registry))))) {
            // Warm the model, so its first run's set-up is not counted below.
            assertEquals(
                    200, plinth.postJson("/v1/embeddings", "{\"input\": [\"warm\"]}").statusCode());
            String big =
                    "{\"truncate\": true, \"input\": ["
                            + String.join(
                                    ",",
                                    Collections.nCopies(
                                            Embedder.MAX_INPUTS,
                                            "\"" + "many words go here ".repeat(100) + "\""))
                            + "]}";
            long alone = System.nanoTime();
            assertEquals(
                    200,
                    plinth.postJson("/v1/embeddings", "{\"input\": [\"alone\"]}").statusCode());
            long aloneMillis = (System.nanoTime() - alone) / 1_000_000;

            Socket client =
                    send(
                            plinth.server.port(),
                            "POST /v1/embeddings HTTP/1.1",
                            big,
                            "Content-Type: application/json");
            Thread.sleep(1_500); // tokenized and queued; the first batches are running
            client.close();
            Thread.sleep(200);

            long start = System.nanoTime();
            HttpResponse<String> next =
                    plinth.postJson("/v1/embeddings", "{\"input\": [\"right after\"]}");
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, next.statusCode(), next.body());
            assertTrue(
                    waited < 5_000,
                    "the abandoned request's queue was still ahead: "
                            + waited
                            + " ms (alone: "
                            + aloneMillis
                            + " ms)");
            awaitCount(plinth, "status=\"499\"", 1);
            assertEquals(200, plinth.get("/health").statusCode());
        }
    }

    /** Sends one HTTP/1.1 request on a socket of its own and leaves the answer unread. */
    static Socket send(int port, String requestLine, String body, String... headers)
            throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(requestLine).append("\r\n");
        head.append("Host: 127.0.0.1:").append(port).append("\r\n");
        for (String h : headers) head.append(h).append("\r\n");
        head.append("Content-Length: ").append(bytes.length).append("\r\n\r\n");
        OutputStream out = s.getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return s;
    }

    private static String metrics(Plinth plinth) throws Exception {
        return plinth.get("/metrics").body();
    }

    /** The value of a gauge, polled until it is {@code expected} (10 s at most). */
    private static void awaitGauge(Plinth plinth, String gauge, int expected) throws Exception {
        long until = System.nanoTime() + 10_000_000_000L;
        String last = "";
        while (System.nanoTime() < until) {
            last = metrics(plinth);
            for (String line : last.lines().toList()) {
                if (line.startsWith(gauge + " ") || line.startsWith(gauge + "{")) {
                    double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    if (v == expected) return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError(gauge + " never reached " + expected + ":\n" + last);
    }

    /** Requests counted with a label, summed over routes, from the request-duration counts. */
    private static long count(Plinth plinth, String label) throws Exception {
        long n = 0;
        for (String line : metrics(plinth).lines().toList()) {
            if (line.startsWith("plinth_http_requests_seconds_count") && line.contains(label)) {
                n += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return n;
    }

    private static void awaitCount(Plinth plinth, String label, long atLeast) throws Exception {
        long until = System.nanoTime() + 10_000_000_000L;
        while (count(plinth, label) < atLeast) {
            if (System.nanoTime() > until)
                throw new AssertionError("no " + label + " request in\n" + metrics(plinth));
            Thread.sleep(50);
        }
    }
}
