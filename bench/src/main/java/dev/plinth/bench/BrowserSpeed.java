package dev.plinth.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.plinth.browser.Browser;
import dev.plinth.browser.Memory;
import dev.plinth.reader.Engines;
import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.PageSource;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Fetcher;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Speed and memory of the browser engine, reading a script-rendered page served on loopback (an
 * empty {@code #root} that a script fills from a JSON request, like a client-rendered article):
 *
 * <ol>
 *   <li><b>cold</b>: a new {@link Browser} per read, so each read includes starting Chromium;
 *   <li><b>warm</b>: one browser, its pool reused for {@code pages} sequential reads, then the same
 *       number again from {@code threads} threads at once;
 *   <li><b>memory</b>: the Chromium process tree's RSS (upper bound, shared pages counted per
 *       process) and PSS (shared pages divided) from /proc after every page, peak reported, plus
 *       this JVM's RSS;
 *   <li><b>auto</b>: how many of the 181 static Scrapinghub article pages the {@code AUTO} engine
 *       would send to the browser (each is a wasted render: the pages are complete as served).
 * </ol>
 *
 * Every read is a whole {@link Reader#read}: load, extraction and Markdown. The quiet-DOM rule (500
 * ms without network) sets the floor of a warm read.
 *
 * <p>Run: {@code mvn -q -B -Dplinth.build=target-browser -pl bench -am test-compile exec:java
 * -Dexec.mainClass=dev.plinth.bench.BrowserSpeed} (optional arguments: pages, cold starts, threads;
 * defaults 200 5 2).
 */
public final class BrowserSpeed {

    private static Reader engines(Fetcher fetcher, PageSource browser) {
        return new Reader(new Engines(fetcher, browser, fetcher.settings().timeout()));
    }

    public static void main(String[] args) throws Exception {
        int pages = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int coldRuns = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;

        HttpServer site = site();
        URI url = URI.create("http://127.0.0.1:" + site.getAddress().getPort() + "/article");
        Options browser =
                Options.builder().fetch(f -> f.engine(FetchOptions.Engine.BROWSER)).build();
        Fetcher fetcher = new Fetcher(Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(true));
        System.out.printf(
                "machine: %d cores, load average %.1f%n",
                Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage());

        double[] cold = new double[coldRuns];
        for (int i = 0; i < coldRuns; i++) {
            try (Reader reader = engines(fetcher, Browser.lazy(new Browser.Settings(true)))) {
                long start = System.nanoTime();
                check(reader.read(Request.of(url, browser)));
                cold[i] = (System.nanoTime() - start) / 1e6;
            }
        }
        System.out.printf(
                "cold (Chromium started per read), %d reads: p50 %.0f ms, min %.0f, max %.0f%n",
                coldRuns, percentile(cold, 50), min(cold), max(cold));

        Browser engine = Browser.lazy(new Browser.Settings(true).withContexts(threads));
        try (Reader reader = engines(fetcher, engine)) {
            for (int i = 0; i < 5; i++) {
                check(reader.read(Request.of(url, browser)));
            }
            long peakRss = 0;
            long peakPss = 0;
            double[] warm = new double[pages];
            for (int i = 0; i < pages; i++) {
                long start = System.nanoTime();
                check(reader.read(Request.of(url, browser)));
                warm[i] = (System.nanoTime() - start) / 1e6;
                Memory m = engine.memory();
                peakRss = Math.max(peakRss, m.rssBytes());
                peakPss = Math.max(peakPss, m.pssBytes());
            }
            System.out.printf(
                    "warm pool, %d sequential reads: p50 %.0f ms, p90 %.0f, max %.0f%n",
                    pages, percentile(warm, 50), percentile(warm, 90), max(warm));

            double[] parallel = new double[pages];
            AtomicInteger next = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            long wall = System.nanoTime();
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                jobs.add(
                        pool.submit(() -> {
                            for (int i; (i = next.getAndIncrement()) < pages; ) {
                                long start = System.nanoTime();
                                check(reader.read(Request.of(url, browser)));
                                parallel[i] = (System.nanoTime() - start) / 1e6;
                            }
                            return null;
                        }));
            }
            for (Future<?> job : jobs) {
                job.get();
                Memory m = engine.memory();
                peakRss = Math.max(peakRss, m.rssBytes());
                peakPss = Math.max(peakPss, m.pssBytes());
            }
            double seconds = (System.nanoTime() - wall) / 1e9;
            pool.shutdown();
            System.out.printf(
                    "warm pool, %d reads on %d threads: p50 %.0f ms, p90 %.0f, %.1f pages/s%n",
                    pages,
                    threads,
                    percentile(parallel, 50),
                    percentile(parallel, 90),
                    pages / seconds);
            Memory jvm = Memory.ofThisProcess();
            System.out.printf(
                    "memory after %d pages: Chromium tree peak RSS %d MiB, peak PSS %d MiB; JVM RSS %d MiB; "
                            + "Chromium started %d time(s)%n",
                    2 * pages + 5,
                    peakRss >> 20,
                    peakPss >> 20,
                    jvm.rssBytes() >> 20,
                    engine.starts());
        }

        autoDecision(args, site);
        site.stop(0);
    }

    /**
     * Serves the 181 static articles and counts how many {@code AUTO} would hand to the browser.
     */
    private static void autoDecision(String[] args, HttpServer site) {
        List<ScrapinghubPages.Sample> samples;
        try {
            samples = ScrapinghubPages.load(ScrapinghubPages.dir(new String[0], 0));
        } catch (RuntimeException e) {
            System.out.println("auto: skipped, " + e.getMessage());
            return;
        }
        for (ScrapinghubPages.Sample sample : samples) {
            site.createContext(
                    "/sh/" + sample.id(),
                    exchange -> send(exchange, "text/html; charset=utf-8", sample.html()));
        }
        AtomicInteger rendered = new AtomicInteger();
        List<String> ids = new ArrayList<>();
        PageSource counting =
                new PageSource() {
                    @Override
                    public Page load(URI url, FetchOptions options) throws ReaderException {
                        rendered.incrementAndGet();
                        ids.add(url.getPath().substring(4));
                        throw new ReaderException(ReaderException.Kind.UNREADABLE, "counted only");
                    }

                    @Override
                    public void admit(URI target) {}

                    @Override
                    public String policy() {
                        return "counting";
                    }
                };
        Options auto = Options.builder().fetch(f -> f.engine(FetchOptions.Engine.AUTO)).build();
        int failed = 0;
        try (Reader reader =
                engines(
                        new Fetcher(Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(true)),
                        counting)) {
            for (ScrapinghubPages.Sample sample : samples) {
                try {
                    reader.read(
                            Request.of(
                                    URI.create(
                                            "http://127.0.0.1:"
                                                    + site.getAddress().getPort()
                                                    + "/sh/"
                                                    + sample.id()),
                                    auto));
                } catch (ReaderException e) {
                    failed++;
                }
            }
        }
        System.out.printf(
                "auto on %d static articles: %d sent to the browser (%.1f%%) %s, %d unreadable%n",
                samples.size(),
                rendered.get(),
                100.0 * rendered.get() / samples.size(),
                ids,
                failed);
    }

    private static final String PAGE =
            """
            <!doctype html><html><head><title>Client-rendered article</title></head><body>
            <div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>
            <script>
              fetch('/data.json').then(r => r.json()).then(d => {
                document.title = d.title;
                document.getElementById('root').innerHTML = '<article><h1>' + d.title + '</h1>'
                  + d.paragraphs.map(p => '<p>' + p + '</p>').join('') + '</article>';
              });
            </script></body></html>\
            """;

    private static HttpServer site() throws IOException {
        StringBuilder json =
                new StringBuilder("{\"title\":\"A client-rendered article\",\"paragraphs\":[");
        for (int i = 0; i < 20; i++) {
            json.append(i == 0 ? "" : ",")
                    .append("\"Paragraph ")
                    .append(i)
                    .append(
                            " of an article that exists only after the script has run and fetched its data.\"");
        }
        byte[] data = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        byte[] page = PAGE.getBytes(StandardCharsets.UTF_8);
        HttpServer server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext(
                "/article", exchange -> send(exchange, "text/html; charset=utf-8", page));
        server.createContext("/data.json", exchange -> send(exchange, "application/json", data));
        server.start();
        return server;
    }

    private static void send(HttpExchange exchange, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static void check(Result result) {
        if (!result.content().contains("Paragraph 19 of an article")) {
            throw new IllegalStateException(
                    "the rendered page lacks its script-written text: " + result.content());
        }
    }

    private static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(0);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(0);
    }
}
