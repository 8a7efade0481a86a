package dev.plinth.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Pages the reader reads in tests, served from 127.0.0.1: one tiny handler per behaviour. */
final class TestSite implements AutoCloseable {

    static final String ARTICLE =
            """
            <!doctype html><html lang="en"><head><title>Plinth Test Article</title>
            <meta name="description" content="A page for testing the reader server.">
            <meta property="article:published_time" content="2024-05-01T10:00:00Z">
            </head><body>
            <nav class="menu"><a href="/home">Home</a> <a href="/about">About</a></nav>
            <article>
            <h1>Reading the Web</h1>
            <p>The reader turns <strong>web pages</strong> into <em>clean Markdown</em> that language models can use.
            It keeps the article and drops the navigation, the footer and the advertisements around it.</p>
            <p>See the <a href="/docs/guide">full guide</a> or the <a href="https://example.org/spec">specification</a>
            for the details of every option the server accepts from its clients.</p>
            <img src="/img/diagram.png" alt="Architecture diagram">
            <h2>Second Section</h2>
            <p>Each section of the article talks about one part of the system in a few sentences of plain prose.
            There is enough text here for the extractor to recognise this as the main content of the page.</p>
            <ul><li>First point</li><li>Second point</li></ul>
            <h2>Third Section</h2>
            <p>The last section closes the article with a final paragraph of ordinary text about reading pages,
            so that splitting on headings yields three sections of comparable size.</p>
            <p class="ad">Buy our product now!</p>
            </article>
            <footer>Copyright footer text</footer>
            </body></html>
            """;

    private final HttpServer server;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

    TestSite() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/article", ex -> html(ex, 200, ARTICLE));
        server.createContext(
                "/counted",
                ex -> {
                    int n =
                            hit(
                                    "/counted"
                                            + (ex.getRequestURI().getQuery() == null
                                                    ? ""
                                                    : "?" + ex.getRequestURI().getQuery()));
                    html(
                            ex,
                            200,
                            "<html><head><title>Counted</title></head><body><article><h1>Visit</h1><p>This page was served "
                                    + n
                                    + " times so far, which tells the tests whether the cache answered.</p></article></body></html>");
                });
        server.createContext(
                "/echo",
                ex -> {
                    hit("/echo");
                    var h = ex.getRequestHeaders();
                    html(
                            ex,
                            200,
                            "<html><head><title>Echo</title></head><body><article><h1>Request headers</h1>"
                                    + "<p>agent="
                                    + h.getFirst("User-Agent")
                                    + "</p><p>language="
                                    + h.getFirst("Accept-Language")
                                    + "</p><p>referer="
                                    + h.getFirst("Referer")
                                    + "</p><p>cookie="
                                    + h.getFirst("Cookie")
                                    + "</p></article></body></html>");
                });
        server.createContext(
                "/slow",
                ex -> {
                    String query =
                            ex.getRequestURI().getQuery() == null
                                    ? "ms=500"
                                    : ex.getRequestURI().getQuery();
                    hit("/slow?" + query);
                    long ms = Long.parseLong(query.replaceAll("^ms=(\\d+).*$", "$1"));
                    try {
                        Thread.sleep(ms);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    html(
                            ex,
                            200,
                            "<html><head><title>Slow</title></head><body><article><h1>Slow page</h1><p>This page took "
                                    + ms
                                    + " milliseconds to answer, on purpose, for the overload tests.</p></article></body></html>");
                });
        server.createContext(
                "/redirect",
                ex -> {
                    ex.getResponseHeaders().add("Location", "/final/page");
                    ex.sendResponseHeaders(302, -1);
                    ex.close();
                });
        server.createContext(
                "/final/page",
                ex ->
                        html(
                                ex,
                                200,
                                "<html><head><title>Final</title></head><body><article><h1>Arrived</h1><p>You followed a redirect to "
                                        + "reach this page, and its <a href=\"next\">relative link</a> resolves against the URL.</p>"
                                        + "</article></body></html>"));
        server.createContext("/robots.txt", ex -> text(ex, "User-agent: *\nDisallow: /private\n"));
        server.createContext(
                "/private", ex -> html(ex, 200, "<html><body><p>Private area</p></body></html>"));
        server.createContext(
                "/gone",
                ex ->
                        html(
                                ex,
                                404,
                                "<html><head><title>Not Found</title></head><body><p>Nothing here.</p></body></html>"));
    }

    void start() {
        server.start();
    }

    /** Serves {@code html} at {@code path}, counting hits under the path. */
    void page(String path, String html) {
        server.createContext(
                path,
                ex -> {
                    hit(path);
                    html(ex, 200, html);
                });
    }

    /** The absolute URL of {@code path} on this site. */
    int port() {
        return server.getAddress().getPort();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** How often {@code key} was requested. */
    int hits(String key) {
        AtomicInteger n = hits.get(key);
        return n == null ? 0 : n.get();
    }

    private int hit(String key) {
        return hits.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    private static void html(HttpExchange ex, int status, String body) throws IOException {
        send(ex, status, "text/html; charset=utf-8", body);
    }

    private static void text(HttpExchange ex, String body) throws IOException {
        send(ex, 200, "text/plain", body);
    }

    private static void send(HttpExchange ex, int status, String type, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
