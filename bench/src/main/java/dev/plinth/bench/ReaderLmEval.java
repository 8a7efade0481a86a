package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.plinth.reader.lm.LmException;
import dev.plinth.reader.lm.ReaderLm;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;

/**
 * ReaderLM-v2 as plinth's LM engine runs it, over the Scrapinghub article-extraction benchmark (181
 * pages), scored with {@link ExtractionEval}'s scorer (the benchmark's own: {@code \w+} tokens,
 * 4-gram shingles, precision and recall as means over pages), so the figure sits next to the
 * heuristic engine's. Each page goes through {@link ReaderLm#read} exactly as the server calls it:
 * the model card's cleaning and prompt, split into pieces when it does not fit the context. The
 * Markdown is reduced to its text before scoring — link and image targets removed, emphasis markers
 * dropped — since the gold is plain text and a URL's words would count as noise.
 *
 * <p>With a real backend (there is none in the project's build; bring your own):
 *
 * <pre>{@code
 * # Ollama (OpenAI-compatible at /v1); raise its context, which defaults to a few thousand tokens:
 * ollama pull milkey/reader-lm-v2     # or any ReaderLM-v2 GGUF, e.g. via a Modelfile
 * OLLAMA_CONTEXT_LENGTH=32768 ollama serve
 * # or llama.cpp's server with a GGUF of jinaai/ReaderLM-v2:
 * llama-server -m readerlm-v2-q8_0.gguf -c 32768 --port 8080
 * # or vLLM: vllm serve jinaai/ReaderLM-v2 --max-model-len 32768
 *
 * mvn -q -B -Dplinth.build=target-lm -pl bench -am test-compile exec:java \
 *     -Dexec.mainClass=dev.plinth.bench.ReaderLmEval \
 *     -Dexec.args="--url http://127.0.0.1:8080/v1 --model readerlm-v2 [--api-key KEY] \
 *                  [--context 32768] [--max-output 8192] [--chunks 4] [--timeout 600] \
 *                  [--parallel 1] [--limit N] [--worst N] [--dump DIR] [--data DIR]"
 * }</pre>
 *
 * {@code --context} must match what the server was started with ({@code -c}, {@code
 * OLLAMA_CONTEXT_LENGTH}, {@code --max-model-len}); {@code --parallel} sends that many pages at
 * once (useful with vLLM or {@code llama-server -np N}).
 *
 * <p>Without a model, {@code --fake} starts an in-process OpenAI-compatible backend that answers
 * instantly with the visible text of the HTML it is sent. That measures plinth's own cost per page
 * — parsing, cleaning, token counting and splitting, building the prompt, the HTTP exchange over
 * loopback, parsing the answer — with the fake's own work (making its answer) subtracted, and its
 * HTTP handling left in (so the figure errs high); the score is then the whole-page-text baseline,
 * a check of the scoring path, not a result:
 *
 * <pre>{@code
 * mvn -q -B -Dplinth.build=target-lm -pl bench -am test-compile exec:java \
 *     -Dexec.mainClass=dev.plinth.bench.ReaderLmEval -Dexec.args="--fake [--passes 3]"
 * }</pre>
 */
public final class ReaderLmEval {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One page's outcome. */
    private record Run(
            ScrapinghubPages.Sample sample,
            String markdown,
            String error,
            long nanos,
            int tokens) {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new TreeMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--fake")) {
                opts.put("fake", "true");
            } else if (args[i].startsWith("--") && i + 1 < args.length) {
                opts.put(args[i].substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        String data = opts.get("data");
        Path dir = ScrapinghubPages.dir(data == null ? new String[0] : new String[] {data}, 0);
        List<ScrapinghubPages.Sample> samples = ScrapinghubPages.load(dir);
        int limit = Integer.parseInt(opts.getOrDefault("limit", String.valueOf(samples.size())));
        samples = samples.subList(0, Math.min(limit, samples.size()));

        if (opts.containsKey("fake")) {
            overhead(samples, Integer.parseInt(opts.getOrDefault("passes", "3")));
            return;
        }
        if (!opts.containsKey("url")) {
            throw new IllegalArgumentException("give --url URL --model NAME, or --fake");
        }
        int parallel = Integer.parseInt(opts.getOrDefault("parallel", "1"));
        ReaderLm.Settings settings =
                ReaderLm.Settings.builder(
                                ReaderLm.Backend.of(
                                        opts.get("url"),
                                        opts.getOrDefault("model", "readerlm-v2"),
                                        opts.get("api-key")))
                        .context(
                                Integer.parseInt(opts.getOrDefault("context", "32768")),
                                Integer.parseInt(opts.getOrDefault("max-output", "8192")))
                        .maxChunks(Integer.parseInt(opts.getOrDefault("chunks", "4")))
                        .concurrency(parallel, samples.size())
                        .retries(1)
                        .build();
        Duration timeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("timeout", "600")));
        Path dump = opts.containsKey("dump") ? Path.of(opts.get("dump")) : null;
        if (dump != null) {
            Files.createDirectories(dump);
        }

        long started = System.nanoTime();
        List<Run> runs = runAll(settings, samples, timeout, parallel);
        double seconds = (System.nanoTime() - started) / 1e9;

        List<ExtractionEval.Score> scores = new ArrayList<>();
        Map<String, Integer> failures = new TreeMap<>();
        long tokens = 0;
        for (Run run : runs) {
            scores.add(
                    ExtractionEval.score(
                            ExtractionEval.Case.of(run.sample()),
                            plainText(run.markdown()),
                            "?",
                            null));
            tokens += run.tokens();
            if (run.error() != null) {
                failures.merge(run.error(), 1, Integer::sum);
            }
            if (dump != null) {
                Files.writeString(dump.resolve(run.sample().id() + ".pred.md"), run.markdown());
                Files.writeString(
                        dump.resolve(run.sample().id() + ".true.txt"), run.sample().expected());
            }
        }
        System.out.printf(
                Locale.ROOT,
                "Scrapinghub article-extraction benchmark, %d pages, %s, model %s at %s%n",
                scores.size(),
                dir,
                settings.lm().model(),
                settings.lm().url());
        System.out.println("| system | pages | F1 | precision | recall | accuracy | empty |");
        System.out.println("|---|---|---|---|---|---|---|");
        System.out.println(ExtractionEval.row("plinth + " + settings.lm().model(), scores));
        System.out.printf(
                Locale.ROOT,
                "(%.0f s, %.1f s/page, %d tokens reported or estimated)%n",
                seconds,
                seconds / runs.size(),
                tokens);
        failures.forEach((kind, n) -> System.out.println("failed: " + n + " × " + kind));
        int worst = Integer.parseInt(opts.getOrDefault("worst", "0"));
        if (worst > 0) {
            System.out.println();
            System.out.println("worst pages: F1 id url");
            scores.stream()
                    .sorted(Comparator.comparingDouble(ExtractionEval.Score::f1))
                    .limit(worst)
                    .forEach(s ->
                            System.out.printf(
                                    Locale.ROOT, "%.3f %s %s%n", s.f1(), s.id(), s.url()));
        }
    }

    private static List<Run> runAll(
            ReaderLm.Settings settings,
            List<ScrapinghubPages.Sample> samples,
            Duration timeout,
            int parallel)
            throws Exception {
        List<Run> runs = new ArrayList<>();
        try (ReaderLm lm = new ReaderLm(settings);
                ExecutorService pool = Executors.newFixedThreadPool(parallel)) {
            List<Future<Run>> futures = new ArrayList<>();
            for (ScrapinghubPages.Sample sample : samples) {
                futures.add(pool.submit(() -> read(lm, sample, timeout)));
            }
            for (Future<Run> f : futures) {
                Run run = f.get();
                runs.add(run);
                if (run.error() != null) {
                    System.err.println(run.sample().id() + ": " + run.error());
                }
            }
        }
        return runs;
    }

    private static Run read(ReaderLm lm, ScrapinghubPages.Sample sample, Duration timeout) {
        String html = new String(sample.html(), StandardCharsets.UTF_8);
        long start = System.nanoTime();
        try {
            ReaderLm.Output out =
                    lm.read(ReaderLm.Input.markdown(html, URI.create(sample.url())), timeout);
            return new Run(
                    sample, out.markdown(), null, System.nanoTime() - start, out.usage().total());
        } catch (LmException e) {
            return new Run(sample, "", e.kind().name(), System.nanoTime() - start, 0);
        }
    }

    // ---- Markdown to the text the gold is written in ----

    private static final Pattern IMAGE = Pattern.compile("!\\[([^\\]]*)\\]\\([^)]*\\)");
    private static final Pattern LINK = Pattern.compile("\\[([^\\]]*)\\]\\([^)]*\\)");
    private static final Pattern BARE_URL = Pattern.compile("<?https?://\\S+");
    // \w includes "_": emphasis written as _word_ would otherwise become the token "_word_".
    private static final Pattern EMPHASIS =
            Pattern.compile("(?<![\\p{L}\\p{N}])[_*]+|[_*]+(?![\\p{L}\\p{N}])");

    /** Markdown reduced to its words: images out, links to their text, emphasis markers out. */
    static String plainText(String markdown) {
        String text = IMAGE.matcher(markdown).replaceAll("");
        text = LINK.matcher(text).replaceAll("$1");
        text = BARE_URL.matcher(text).replaceAll("");
        return EMPHASIS.matcher(text).replaceAll("");
    }

    // ---- plinth's own cost, against an instant fake backend ----

    private static void overhead(List<ScrapinghubPages.Sample> samples, int passes)
            throws Exception {
        AtomicLong fakeNanos = new AtomicLong();
        HttpServer fake = fake(fakeNanos);
        try (ReaderLm lm =
                new ReaderLm(
                        ReaderLm.Settings.builder(
                                        new ReaderLm.Backend(
                                                URI.create(
                                                        "http://127.0.0.1:"
                                                                + fake.getAddress().getPort()
                                                                + "/v1"),
                                                "fake",
                                                null))
                                .build())) {
            Duration timeout = Duration.ofSeconds(60);
            for (ScrapinghubPages.Sample sample : samples) {
                read(lm, sample, timeout); // warm-up pass: JIT, connections
            }
            long[] own = new long[samples.size() * passes];
            // Work on the calling thread (parse, clean, count, split, prompt, read the answer):
            // unlike the wall clock, it does not grow with the machine's load.
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long cpu = 0;
            long bytes = 0;
            int calls = 0;
            List<ExtractionEval.Score> scores = new ArrayList<>();
            for (int pass = 0; pass < passes; pass++) {
                for (int i = 0; i < samples.size(); i++) {
                    ScrapinghubPages.Sample sample = samples.get(i);
                    long fakeBefore = fakeNanos.get();
                    String html = new String(sample.html(), StandardCharsets.UTF_8);
                    long cpuStart = threads.getCurrentThreadCpuTime();
                    long start = System.nanoTime();
                    ReaderLm.Output out =
                            lm.read(
                                    ReaderLm.Input.markdown(html, URI.create(sample.url())),
                                    timeout);
                    long wall = System.nanoTime() - start;
                    cpu += threads.getCurrentThreadCpuTime() - cpuStart;
                    own[pass * samples.size() + i] = wall - (fakeNanos.get() - fakeBefore);
                    bytes += sample.html().length;
                    calls += out.chunks();
                    if (pass == 0) {
                        scores.add(
                                ExtractionEval.score(
                                        ExtractionEval.Case.of(sample),
                                        plainText(out.markdown()),
                                        "?",
                                        null));
                    }
                }
            }
            Arrays.sort(own);
            double total = Arrays.stream(own).sum() / 1e6;
            System.out.printf(
                    Locale.ROOT,
                    "plinth's own cost per page with an instant fake backend, %d pages × %d passes"
                            + " (%.0f KB of HTML per page, %.2f calls per page)%n",
                    samples.size(),
                    passes,
                    bytes / 1024.0 / own.length,
                    (double) calls / own.length);
            System.out.printf(
                    Locale.ROOT,
                    "wall clock: mean %.1f ms, median %.1f ms, p90 %.1f ms, max %.1f ms;"
                            + " calling thread's CPU: mean %.1f ms%n",
                    total / own.length,
                    own[own.length / 2] / 1e6,
                    own[(int) (own.length * 0.9)] / 1e6,
                    own[own.length - 1] / 1e6,
                    cpu / 1e6 / own.length);
            System.out.println(
                    "| scoring-path check (the fake answers with the page's whole text) | pages |"
                            + " F1 | precision | recall | accuracy | empty |");
            System.out.println("|---|---|---|---|---|---|---|");
            System.out.println(ExtractionEval.row("whole text of what was sent", scores));
        } finally {
            fake.stop(0);
        }
    }

    /** A backend that answers with the visible text of the HTML in the prompt, at once. */
    private static HttpServer fake(AtomicLong busyNanos) throws IOException {
        HttpServer server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(
                Executors.newFixedThreadPool(
                        2,
                        r -> {
                            Thread t = new Thread(r, "fake-lm");
                            t.setDaemon(true);
                            return t;
                        }));
        server.createContext(
                "/v1/chat/completions",
                exchange -> {
                    try (exchange) {
                        // Reading the request waits on plinth sending it: not the fake's work.
                        byte[] raw = exchange.getRequestBody().readAllBytes();
                        long start = System.nanoTime();
                        JsonNode request = JSON.readTree(raw);
                        JsonNode messages = request.path("messages");
                        String prompt = messages.get(messages.size() - 1).path("content").asText();
                        int open = prompt.indexOf("```html\n");
                        int close = prompt.lastIndexOf("\n```");
                        String html =
                                open >= 0 && close > open ? prompt.substring(open + 8, close) : "";
                        String text = Jsoup.parse(html).text();
                        byte[] body = answer(text, request.path("stream").asBoolean());
                        busyNanos.addAndGet(System.nanoTime() - start);
                        // Writing is not subtracted either: a full socket waits on plinth reading.
                        send(exchange, body, request.path("stream").asBoolean());
                    }
                });
        server.start();
        return server;
    }

    private static byte[] answer(String text, boolean stream) {
        ObjectNode usage =
                JSON.createObjectNode().put("prompt_tokens", 1).put("completion_tokens", 1);
        if (!stream) {
            ObjectNode body = JSON.createObjectNode();
            ObjectNode choice = body.putArray("choices").addObject();
            choice.put("finish_reason", "stop")
                    .putObject("message")
                    .put("role", "assistant")
                    .put("content", text);
            body.set("usage", usage);
            return body.toString().getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder sse = new StringBuilder();
        // Chunks of about a token's worth of words, as a real server streams.
        for (int i = 0; i < text.length(); i += 64) {
            ObjectNode chunk = JSON.createObjectNode();
            chunk.putArray("choices")
                    .addObject()
                    .putObject("delta")
                    .put("content", text.substring(i, Math.min(text.length(), i + 64)));
            sse.append("data: ").append(chunk).append("\n\n");
        }
        ObjectNode last = JSON.createObjectNode();
        last.putArray("choices").addObject().put("finish_reason", "stop").putObject("delta");
        sse.append("data: ").append(last).append("\n\n");
        ObjectNode tail = JSON.createObjectNode();
        tail.putArray("choices");
        tail.set("usage", usage);
        sse.append("data: ").append(tail).append("\n\ndata: [DONE]\n\n");
        return sse.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void send(HttpExchange exchange, byte[] body, boolean stream)
            throws IOException {
        exchange.getResponseHeaders()
                .set("Content-Type", stream ? "text/event-stream" : "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
