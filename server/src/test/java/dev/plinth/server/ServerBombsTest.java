package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import dev.plinth.reader.fetch.Bombs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Each resource bomb of the hostile review, sent through a running server: compression bombs, a
 * page that drips forever, a 200 MB page, 100k nested elements, 800k sibling paragraphs, a {@code
 * :has()} selector bomb, a chunked 1 GB body, a 20 MB embeddings input and PDF bombs. Each must end
 * in a clear 4xx or a correct answer within its deadline, with the heap bounded, while {@code
 * /health} — polled all along from a thread of its own — answers within a second.
 *
 * <p>The server runs in this JVM, so the heap measured is the server's (plus the test's, which
 * holds no bomb bigger than a few megabytes: bodies are generated as they are sent).
 */
class ServerBombsTest {

    /** Slowest /health answer allowed at any moment. */
    private static final long HEALTH_BOUND_MILLIS = 1_000;

    /**
     * Heap growth allowed over the idle server's, at any moment: room for a capped page parsed into
     * a DOM and a capped body, never for a bomb's size (256 MiB decoded, 1 GB sent).
     */
    private static final long HEAP_BOUND = 640L << 20;

    /**
     * A page at the fetch cap made of the smallest elements is the most nodes a read can hold: 800k
     * paragraphs, 1.6M nodes, parsed, extracted and written out, about 0.85 GiB held at the worst
     * collection. Conversions run one per core, so this times the cores bounds them all.
     */
    private static final long SIBLINGS_HEAP_BOUND = 1L << 30;

    /** The bound of the test running. */
    private long heapBound = HEAP_BOUND;

    private static HttpServer site;
    private static ModelRegistry registry;
    private static Plinth plinth;
    private static Watchdog watchdog;

    @BeforeAll
    static void start() throws Exception {
        long bomb = 256L << 20;
        site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        site.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        route("/gzip", encoded("gzip", Bombs.Compressed.gzip(bomb)));
        route("/deflate", encoded("deflate", Bombs.Compressed.deflate(bomb, 0, false)));
        route("/br", encoded("br", Bombs.brotli256MiB()));
        route("/drip", Bombs::dripForever);
        route("/200mb", ex -> Bombs.stream(ex, 200L << 20, false));
        route("/nested", page("text/html", "<html><body>" + "<div>".repeat(100_000) + "deep text"));
        route("/siblings", page("text/html", "<html><body>" + "<p>word</p>".repeat(800_000)));
        route("/pdf-inflates", page("application/pdf", Bombs.Pdf.inflatingContent(bomb)));
        route("/pdf-60k-pages", page("application/pdf", Bombs.Pdf.pages(60_000)));
        route(
                "/article",
                page("text/html", "<html><body>" + "<div>".repeat(300) + "<p>Deep article.</p>"));
        site.start();
        registry = ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()));
        plinth =
                Plinth.start(
                        Plinth.config(null), List.of(new EmbeddingsRoutes(new Embedder(registry))));
        // Warm the model and the reader, so their first use is not taken for a bomb's cost.
        assertEquals(
                200, plinth.postJson("/v1/embeddings", "{\"input\": [\"warm\"]}").statusCode());
        assertEquals(200, plinth.get("/" + url("/article")).statusCode());
        watchdog = new Watchdog(plinth.base() + "/health");
    }

    @AfterAll
    static void stop() {
        if (watchdog != null) watchdog.close();
        plinth.close();
        registry.close();
        site.stop(0);
    }

    @BeforeEach
    void resetWatchdog() {
        watchdog.reset();
    }

    @AfterEach
    void healthAndHeapHeld(TestInfo test) {
        long health = watchdog.worstHealthMillis();
        long heap = watchdog.peakHeapGrowth();
        String name = test.getDisplayName();
        assertTrue(
                health < HEALTH_BOUND_MILLIS, name + ": /health took " + health + " ms at worst");
        assertTrue(
                heap < heapBound,
                name + ": the heap grew " + (heap >> 20) + " MiB over the idle server's");
    }

    @Test
    void compressionBombsStopAtTheDecodedCap() throws Exception {
        for (String path : List.of("/gzip", "/deflate", "/br")) {
            JsonNode error = within(Duration.ofSeconds(10), 413, read(path));
            assertTrue(error.get("message").asText().contains("decoded"), path + ": " + error);
        }
    }

    @Test
    void aPageThatDripsForeverEndsAtItsTimeout() throws Exception {
        JsonNode error = within(Duration.ofSeconds(6), 422, read("/drip", "X-Timeout", "2"));
        assertTrue(error.get("message").asText().contains("timed out after 2"), error.toString());
    }

    @Test
    void aTwoHundredMegabytePageStopsAtTheWireCap() throws Exception {
        JsonNode error = within(Duration.ofSeconds(10), 413, read("/200mb"));
        assertTrue(error.get("message").asText().contains("on the wire"), error.toString());
    }

    @Test
    void hundredThousandNestedElementsAreRead() throws Exception {
        JsonNode page =
                within(Duration.ofSeconds(30), 200, read("/nested", "Accept", "application/json"));
        assertTrue(page.at("/data/content").asText().contains("deep text"), page.toString());
    }

    @Test
    void eightHundredThousandSiblingParagraphsAreRead() throws Exception {
        heapBound = SIBLINGS_HEAP_BOUND;
        JsonNode page =
                within(
                        Duration.ofSeconds(30),
                        200,
                        read("/siblings", "Accept", "application/json"));
        String content = page.at("/data/content").asText();
        assertTrue(
                content.startsWith("word"), content.substring(0, Math.min(100, content.length())));
        assertTrue(content.length() > 800_000 * 4, "every paragraph kept: " + content.length());
    }

    @Test
    void aHasSelectorBombIsRefusedBeforeItRuns() throws Exception {
        String bomb = "div:has(".repeat(30) + "p" + ")".repeat(30);
        JsonNode error =
                within(Duration.ofSeconds(2), 400, read("/article", "X-Target-Selector", bomb));
        assertTrue(error.get("message").asText().contains("X-Target-Selector"), error.toString());
    }

    @Test
    void aChunkedGigabyteBodyToEmbeddingsIs413() throws Exception {
        // Generated as it is sent, a chunk at a time: neither side ever holds it.
        ChunkedUpload upload = new ChunkedUpload(plinth.server.port(), "/v1/embeddings", 1L << 30);
        long start = System.nanoTime();
        String answer = upload.call();
        long took = (System.nanoTime() - start) / 1_000_000;
        assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
        assertTrue(answer.contains("over the"), answer);
        assertTrue(took < 10_000, "took " + took + " ms");
        assertTrue(
                upload.sent() < 256L << 20,
                "the server read " + (upload.sent() >> 20) + " MiB before refusing");
    }

    @Test
    void aTwentyMegabyteEmbeddingsInputIsRefusedBeforeTokenizing() throws Exception {
        String body = "{\"input\": [\"" + "word ".repeat(4 << 20) + "\"]}";
        JsonNode error =
                within(Duration.ofSeconds(5), 422, () -> plinth.postJson("/v1/embeddings", body));
        assertTrue(error.get("detail").asText().contains("characters"), error.toString());
    }

    @Test
    void aTwentyMegabyteEmbeddingsInputToTruncateIsCutByCharactersFirst() throws Exception {
        String body = "{\"truncate\": true, \"input\": [\"" + "word ".repeat(4 << 20) + "\"]}";
        JsonNode answer =
                within(Duration.ofSeconds(5), 200, () -> plinth.postJson("/v1/embeddings", body));
        assertEquals(1, answer.get("data").size(), answer.toString().substring(0, 200));
    }

    @Test
    void pdfBombsEndInAClearAnswerWithinTheirDeadline() throws Exception {
        JsonNode inflating = within(Duration.ofSeconds(60), 422, read("/pdf-inflates"));
        assertTrue(
                inflating.get("message").asText().contains("no text layer"), inflating.toString());
        JsonNode pages = within(Duration.ofSeconds(20), 413, read("/pdf-60k-pages"));
        assertTrue(pages.get("message").asText().contains("select a range"), pages.toString());
    }

    // --- helpers ------------------------------------------------------------------------------

    private static String url(String path) {
        return "http://127.0.0.1:" + site.getAddress().getPort() + path;
    }

    /** A read of the site's {@code path} through plinth, with header name/value pairs. */
    private static Callable<HttpResponse<String>> read(String path, String... headers) {
        return () -> plinth.get("/" + url(path), headers);
    }

    /** Runs {@code call}, checks its status and that it answered within {@code deadline}. */
    private static JsonNode within(
            Duration deadline, int status, Callable<HttpResponse<String>> call) throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> r = call.call();
        long took = System.nanoTime() - start;
        assertEquals(
                status, r.statusCode(), r.body().substring(0, Math.min(500, r.body().length())));
        assertTrue(
                took < deadline.toNanos(),
                "took " + took / 1_000_000 + " ms, over " + deadline.toMillis() + " ms");
        return Plinth.json(r);
    }

    private static void route(String path, HttpHandler handler) {
        site.createContext(
                path,
                ex -> {
                    try (ex) {
                        handler.handle(ex);
                    } catch (IOException e) {
                        // the reader hung up on a bomb: what it should do
                    }
                });
    }

    private static HttpHandler page(String type, String html) {
        return page(type, html.getBytes(StandardCharsets.UTF_8));
    }

    private static HttpHandler page(String type, byte[] body) {
        return ex -> {
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        };
    }

    private static HttpHandler encoded(String encoding, byte[] body) {
        return ex -> {
            ex.getResponseHeaders().set("Content-Type", "text/html");
            ex.getResponseHeaders().set("Content-Encoding", encoding);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        };
    }

    /**
     * A chunked POST of {@code size} bytes of one JSON string, written from a generator on a raw
     * socket while the answer is read beside it: a server that refuses early answers before the
     * body ends, and the writer then stops at the closed connection.
     */
    static final class ChunkedUpload implements Callable<String> {
        private final int port;
        private final String path;
        private final long size;
        private final AtomicLong sent = new AtomicLong();

        ChunkedUpload(int port, String path, long size) {
            this.port = port;
            this.path = path;
            this.size = size;
        }

        long sent() {
            return sent.get();
        }

        @Override
        public String call() throws Exception {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(30_000);
                CompletableFuture<String> answer =
                        CompletableFuture.supplyAsync(() -> {
                            try {
                                return readAnswer(socket.getInputStream());
                            } catch (IOException e) {
                                return "no answer: " + e;
                            }
                        });
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(
                            ("POST "
                                            + path
                                            + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            + "Content-Type: application/json\r\n"
                                            + "Transfer-Encoding: chunked\r\n\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
                    chunk(out, "{\"input\": \"".getBytes(StandardCharsets.US_ASCII));
                    byte[] block = "word ".repeat(13_107).getBytes(StandardCharsets.US_ASCII);
                    while (sent.get() < size && !answer.isDone()) {
                        chunk(out, block);
                    }
                    chunk(out, "\"}".getBytes(StandardCharsets.US_ASCII));
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    // the server closed the connection mid-body, after its answer
                }
                return answer.get(30, TimeUnit.SECONDS);
            }
        }

        private void chunk(OutputStream out, byte[] data) throws IOException {
            out.write(
                    (Integer.toHexString(data.length) + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.write(data);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            sent.addAndGet(data.length);
        }

        /** The status line, headers and (Content-Length) body of one answer. */
        private static String readAnswer(InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                head.append((char) c);
                if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                    break;
                }
            }
            int length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).strip());
                }
            }
            return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }
    }

    /**
     * Polls {@code /health} every 100 ms from a platform thread with a client of its own, and
     * records the heap held after each garbage collection; both keep their worst since the last
     * {@link #reset}.
     */
    static final class Watchdog implements AutoCloseable {
        private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

        private final HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final HttpRequest health;
        private final AtomicLong worstMillis = new AtomicLong();
        private final AtomicLong peakHeap = new AtomicLong();
        private volatile long baseline;
        private volatile boolean running = true;
        private final Thread poller;

        Watchdog(String healthUrl) {
            this.health =
                    HttpRequest.newBuilder(URI.create(healthUrl))
                            .timeout(Duration.ofSeconds(5))
                            .build();
            reset();
            poller = Thread.ofPlatform().daemon().name("health-poller").start(this::poll);
            listen();
        }

        /** Starts a new measure: the idle heap after a collection is the baseline. */
        void reset() {
            System.gc();
            baseline = MEMORY.getHeapMemoryUsage().getUsed();
            peakHeap.set(baseline);
            worstMillis.set(0);
        }

        long worstHealthMillis() {
            return worstMillis.get();
        }

        long peakHeapGrowth() {
            return peakHeap.get() - baseline;
        }

        private void poll() {
            while (running) {
                long start = System.nanoTime();
                long millis;
                try {
                    HttpResponse<Void> r =
                            http.send(health, HttpResponse.BodyHandlers.discarding());
                    millis = (System.nanoTime() - start) / 1_000_000;
                    if (r.statusCode() != 200) millis = Long.MAX_VALUE;
                } catch (IOException e) {
                    millis = (System.nanoTime() - start) / 1_000_000 + 5_000;
                } catch (InterruptedException e) {
                    return;
                }
                worstMillis.accumulateAndGet(millis, Math::max);
                sleep(100);
            }
        }

        /**
         * The heap after each collection: what is held, not garbage waiting for the next one. (Used
         * heap between collections grows with allocation alone, bounded or not.)
         */
        private void listen() {
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((NotificationEmitter) gc)
                        .addNotificationListener(
                                (notification, handback) -> {
                                    if (!running
                                            || !notification
                                                    .getType()
                                                    .equals(
                                                            GarbageCollectionNotificationInfo
                                                                    .GARBAGE_COLLECTION_NOTIFICATION)) {
                                        return;
                                    }
                                    GcInfo info =
                                            GarbageCollectionNotificationInfo.from(
                                                            (CompositeData)
                                                                    notification.getUserData())
                                                    .getGcInfo();
                                    long used = 0;
                                    for (MemoryUsage u : info.getMemoryUsageAfterGc().values()) {
                                        used += u.getUsed();
                                    }
                                    peakHeap.accumulateAndGet(used, Math::max);
                                },
                                null,
                                null);
            }
        }

        private void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                running = false;
            }
        }

        @Override
        public void close() {
            running = false;
            poller.interrupt();
        }
    }
}
