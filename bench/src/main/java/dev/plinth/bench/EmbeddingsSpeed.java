package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.plinth.models.BatchOptions;
import dev.plinth.models.Embedder;
import dev.plinth.models.Model;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.SessionOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Speed: plinth's embeddings against LangChain4j's in-process model classes, same machine, same
 * texts, same ONNX Runtime (plinth's 1.29.0 wins the dependency), one run.
 *
 * <p>The corpus mixes lengths: unique STS-B test sentences plus paragraphs of the Scrapinghub
 * ground truth, keeping texts of at most 254 tokens so neither side truncates (LangChain4j splits
 * long texts, plinth cuts them; the work would differ). Rows, per model (all-MiniLM-L6-v2 and
 * bge-small-en-v1.5), each embedding the corpus in requests of 512 texts:
 *
 * <ul>
 *   <li>LangChain4j fp32 {@code embedAll}: one text per ORT call, a task per text on its executor;
 *   <li>plinth fp32: the batch path ({@link Embedder}, length-sorted padded batches);
 *   <li>plinth int8, the default: the int8 model derived from the fp32 export ({@code
 *       dev.plinth.models.Quantizer}), padded batches, one single-threaded run per core;
 *   <li>the same model one text per run (what batching buys; the largest 1−cos against the batched
 *       vectors shows that batches do not move results);
 *   <li>the same model with one worker whose runs use every core, ORT spinning off and on (the
 *       threading the default replaced);
 *   <li>the published int8 file, one text per run (the previous default), and its distance to fp32
 *       next to the derived model's.
 * </ul>
 *
 * Then where plinth's fp32 time goes (feed = pad + tensors, ORT run, read) and the share of the
 * CPU's FLOP ceiling it reaches, and, through HTTP on a server started in-process, p50/p99 of one
 * 16-token query and tokens/s with 32 concurrent clients.
 *
 * <p>Run from the project root (after {@code source scripts/jdk.sh}):
 *
 * <pre>{@code
 * mvn -q -B -Dplinth.build=target-models -pl bench -am test-compile exec:java \
 *     -Dexec.mainClass=dev.plinth.bench.EmbeddingsSpeed -Dplinth.bench.models=bench/target-models/models \
 *     [-Dexec.args="SENTENCES PARAGRAPHS"]
 * }</pre>
 *
 * (default 1000 sentences, 300 paragraphs). {@code -Dplinth.bench.only=http} or {@code =models}
 * runs one half; {@code -Dplinth.bench.neighbour=true} runs the whole bench beside a busy
 * neighbour: a CPU-bound process pinned to core 0 ({@code taskset -c 0 sh -c 'while :; do :;
 * done'}), killed at the end.
 */
public final class EmbeddingsSpeed {

    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int sentences = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int paragraphs = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        String only = System.getProperty("plinth.bench.only", "all"); // all | models | http
        System.out.printf(
                "cores %d, workers %d, load average %.2f%n",
                Runtime.getRuntime().availableProcessors(),
                BatchOptions.defaults().workers(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage());
        if (Boolean.getBoolean("plinth.bench.neighbour")) neighbour();

        if (only.equals("http")) {
            http(corpus(null, sentences, paragraphs));
            System.exit(0);
        }
        try (Registries r = new Registries()) {
            Model counter = r.main.get("bge-small-en-v1.5-int8");
            List<String> corpus = corpus(counter, sentences, paragraphs);
            long corpusTokens = 0;
            for (String t : corpus) corpusTokens += counter.countTokens(t);
            System.out.printf(
                    "corpus: %d texts, %d tokens (bge/MiniLM vocabulary; mean %.1f)%n%n",
                    corpus.size(), corpusTokens, (double) corpusTokens / corpus.size());
            compare(r, corpus, "all-MiniLM-L6-v2", AllMiniLmL6V2EmbeddingModel::new);
            compare(r, corpus, "bge-small-en-v1.5", BgeSmallEnV15EmbeddingModel::new);
        }
        if (only.equals("all")) http(corpus(null, sentences, paragraphs));
        System.exit(0);
    }

    /** Rounds of every row, interleaved, so load that comes and goes hits them all alike. */
    static final int ROUNDS = Integer.getInteger("plinth.bench.rounds", 3);

    static void compare(
            Registries r, List<String> corpus, String name, Supplier<EmbeddingModel> baseline) {
        System.out.println("== " + name + " (median of " + ROUNDS + " interleaved rounds)");
        Embedder plinth = new Embedder(r.main);
        int tokens = plinth.embed(first(corpus, 1).withModel(name)).tokens(); // load
        tokens = 0;
        for (int i = 0; i < corpus.size(); i += Embedder.MAX_INPUTS)
            tokens += plinth.embed(chunk(corpus, i).withModel(name)).tokens();

        EmbeddingModel lc4j = baseline.get();
        List<TextSegment> segments = corpus.stream().map(TextSegment::from).toList();
        lc4j.embedAll(segments.subList(0, 64));
        String int8 = name + "-int8";
        List<Variant> variants =
                List.of(
                        new Variant("plinth fp32 batched", r.main, name),
                        new Variant("plinth int8 (default)", r.main, int8),
                        new Variant("  int8 one text per run", r.single, int8),
                        new Variant("  int8 one worker, all cores, no spin", r.wide, int8),
                        new Variant("  int8 one worker, all cores, spinning", r.spinning, int8),
                        new Variant(
                                "published int8, one per run (before)",
                                r.main,
                                int8 + "-published"));
        List<List<float[]>> vectors = new ArrayList<>();
        for (Variant v : variants) {
            Embedder e = new Embedder(v.registry());
            vectors.add(embedAll(e, corpus, v.model())); // warm-up, and the vectors compared
        }
        double[] lcSeconds = new double[ROUNDS];
        double[][] seconds = new double[variants.size()][ROUNDS];
        Model.Timings before = r.main.get(name).timings();
        for (int round = 0; round < ROUNDS; round++) {
            lcSeconds[round] = time(() -> lc4j.embedAll(segments));
            for (int k = 0; k < variants.size(); k++) {
                Variant v = variants.get(k);
                Embedder e = new Embedder(v.registry());
                seconds[k][round] = time(() -> embedAll(e, corpus, v.model()));
            }
        }
        Model.Timings after = r.main.get(name).timings();
        double lc = median(lcSeconds);
        row("LangChain4j fp32 embedAll", tokens, lc, lc);
        for (int k = 0; k < variants.size(); k++) {
            row(variants.get(k).label(), tokens, median(seconds[k]), lc);
            if (k == 0) continue;
            System.out.printf(
                    "      1-cos to plinth fp32: mean %.2e, worst %.2e; to the default's: worst"
                            + " %.2e%n",
                    meanDistance(vectors.get(k), vectors.get(0)),
                    worstDistance(vectors.get(k), vectors.get(0)),
                    worstDistance(vectors.get(k), vectors.get(1)));
        }
        double fpSeconds = median(seconds[0]) * ROUNDS;
        // Where the fp32 batch path's time went (tokenizing and pooling are timed alone by
        // the models module's JMH benchmarks).
        double feed = (after.feedNanos() - before.feedNanos()) / 1e9;
        double run = (after.runNanos() - before.runNanos()) / 1e9;
        double read = (after.readNanos() - before.readNanos()) / 1e9;
        long real = after.tokens() - before.tokens();
        long pad = after.paddedTokens() - before.paddedTokens();
        System.out.printf(
                "    fp32, %d rounds: %.2f s of wall clock; summed over the workers: feed (pad +"
                        + " tensors) %.2f s, ORT run %.2f s, read %.2f s; %d runs, padding %.1f%%"
                        + " of %d tokens%n",
                ROUNDS,
                fpSeconds,
                feed,
                run,
                read,
                after.runs() - before.runs(),
                100.0 * (pad - real) / pad,
                pad);
        // FLOPs: 2 per weight per token in the encoder layers (12·d² weights a layer), plus
        // attention.
        int layers = name.startsWith("all-MiniLM") ? 6 : 12;
        double flopPerToken = 2.0 * layers * 12 * 384 * 384;
        System.out.printf(
                "    %.1f MFLOP/token → ORT run at %.1f GFLOP/s per worker (fp32), whole path %.1f"
                        + " GFLOP/s%n%n",
                flopPerToken / 1e6,
                flopPerToken * pad / run / 1e9,
                flopPerToken * tokens * ROUNDS / fpSeconds / 1e9);
    }

    /** The registries of the variants, each with every model folder. */
    static final class Registries implements AutoCloseable {
        final ModelRegistry main, single, wide, spinning;

        Registries() throws IOException {
            ModelRegistry.Options d = ModelRegistry.Options.defaults();
            int cores = Runtime.getRuntime().availableProcessors();
            SessionOptions wideSession = d.session().withThreads(cores);
            main = EmbeddingsModels.registry(d);
            single =
                    EmbeddingsModels.registry(
                            d.withBatching(
                                    d.batching().withGrouping(BatchOptions.Grouping.SINGLE)));
            wide =
                    EmbeddingsModels.registry(
                            d.withBatching(d.batching().withWorkers(1))
                                    .withSession(
                                            new SessionOptions(
                                                    cores, false, wideSession.optimization())));
            spinning =
                    EmbeddingsModels.registry(
                            d.withBatching(d.batching().withWorkers(1))
                                    .withSession(
                                            new SessionOptions(
                                                    cores, true, wideSession.optimization())));
        }

        @Override
        public void close() {
            for (ModelRegistry m : List.of(main, single, wide, spinning)) m.close();
        }
    }

    record Variant(String label, ModelRegistry registry, String model) {}

    /** A CPU-bound process on core 0 until this JVM exits. */
    static void neighbour() throws IOException {
        String loop = "while :; do :; done";
        ProcessBuilder pb =
                Files.isExecutable(java.nio.file.Path.of("/usr/bin/taskset"))
                        ? new ProcessBuilder("taskset", "-c", "0", "sh", "-c", loop)
                        : new ProcessBuilder("sh", "-c", loop);
        Process p = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        System.out.println(
                "busy neighbour: pid " + p.pid() + " (" + String.join(" ", pb.command()) + ")");
    }

    static double meanDistance(List<float[]> a, List<float[]> b) {
        double sum = 0;
        for (int i = 0; i < a.size(); i++) sum += 1 - dot(a.get(i), b.get(i));
        return sum / a.size();
    }

    static double worstDistance(List<float[]> a, List<float[]> b) {
        double worst = 0;
        for (int i = 0; i < a.size(); i++) worst = Math.max(worst, 1 - dot(a.get(i), b.get(i)));
        return worst;
    }

    static final String QUERY =
            "how many people lived in the capital city of france during the year 1900";

    static void http(List<String> corpus) throws Exception {
        double offline = inProcess(corpus);
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Thread server =
                new Thread(
                        () ->
                                dev.plinth.server.Main.run(
                                        "serve",
                                        "--port",
                                        Integer.toString(port),
                                        "--no-cache",
                                        "--rate-limit",
                                        "0"),
                        "plinth-serve");
        server.setDaemon(true);
        server.start();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI uri = URI.create("http://127.0.0.1:" + port + "/v1/embeddings");
        for (int i = 0; i < 100; i++) {
            try {
                client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                break;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        // 16 tokens with [CLS] and [SEP] in the bge/MiniLM vocabulary.
        String query = "{\"input\": \"" + QUERY + "\"}";
        JsonNode first = JSON.readTree(post(client, uri, query));
        System.out.println(
                "== HTTP, default model "
                        + first.get("model").asText()
                        + ", query of "
                        + first.at("/usage/total_tokens").asInt()
                        + " tokens");
        try (LoopbackClient plain = new LoopbackClient(port)) {
            for (int i = 0; i < 300; i++) plain.post("/v1/embeddings", query);
            latency("plain keep-alive socket", () -> plain.post("/v1/embeddings", query));
        }
        for (int i = 0; i < 300; i++) post(client, uri, query);
        latency("JDK HttpClient", () -> post(client, uri, query));

        // 32 clients, each on its own connection, sending requests of 8 texts until the corpus is
        // done.
        ExecutorService pool = Executors.newFixedThreadPool(32);
        AtomicInteger next = new AtomicInteger();
        AtomicLong tokens = new AtomicLong();
        List<Future<?>> clients = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < 32; c++) {
            clients.add(
                    pool.submit(() -> {
                        try (LoopbackClient own = new LoopbackClient(port)) {
                            while (true) {
                                int from = next.getAndAdd(8);
                                if (from >= corpus.size()) return null;
                                List<String> texts =
                                        corpus.subList(from, Math.min(corpus.size(), from + 8));
                                String body =
                                        JSON.writeValueAsString(
                                                java.util.Map.of("input", texts, "truncate", true));
                                JsonNode r = JSON.readTree(own.post("/v1/embeddings", body));
                                tokens.addAndGet(r.at("/usage/total_tokens").asLong());
                            }
                        }
                    }));
        }
        for (Future<?> f : clients) f.get();
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "    32 clients × 8 texts/request: %d tokens in %.2f s = %.0f tokens/s, %.0f%% of"
                        + " in-process%n",
                tokens.get(), s, tokens.get() / s, 100 * tokens.get() / s / offline);
        pool.shutdownNow();
    }

    interface Call {
        void run() throws Exception;
    }

    static void latency(String what, Call call) throws Exception {
        long[] nanos = new long[2000];
        for (int i = 0; i < nanos.length; i++) {
            long t = System.nanoTime();
            call.run();
            nanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(nanos);
        System.out.printf(
                "    one query, sequential, %s: p50 %.2f ms, p99 %.2f ms%n",
                what, nanos[nanos.length / 2] / 1e6, nanos[nanos.length * 99 / 100] / 1e6);
    }

    /**
     * In process, the default model: one 16-token query's latency (the floor under HTTP's), and the
     * corpus's tokens/s in requests of 512 (what 32 HTTP clients are held to).
     */
    static double inProcess(List<String> corpus) {
        try (ModelRegistry registry =
                ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()))) {
            Embedder plinth = new Embedder(registry);
            Embedder.Request query = Embedder.Request.of(List.of(QUERY));
            long[] nanos = new long[1000];
            for (int i = 0; i < 200; i++) plinth.embed(query);
            for (int i = 0; i < nanos.length; i++) {
                long t = System.nanoTime();
                plinth.embed(query);
                nanos[i] = System.nanoTime() - t;
            }
            Arrays.sort(nanos);
            Model model = registry.get(registry.defaultModel(ModelRegistry.EMBEDDINGS));
            Model.Timings t = model.timings();
            System.out.printf(
                    "== in process, %s: one %d-token query p50 %.2f ms, p99 %.2f ms (ORT run %.2f ms"
                            + " on average)%n",
                    model.name(),
                    plinth.embed(query).tokens(),
                    nanos[nanos.length / 2] / 1e6,
                    nanos[nanos.length * 99 / 100] / 1e6,
                    t.runNanos() / 1e6 / t.runs());
            embedAll(plinth, corpus.subList(0, 64), model.name());
            int[] tokens = new int[1];
            double s =
                    time(() -> {
                        for (int i = 0; i < corpus.size(); i += Embedder.MAX_INPUTS)
                            tokens[0] += plinth.embed(chunk(corpus, i)).tokens();
                    });
            System.out.printf(
                    "    corpus in requests of %d: %.0f tokens/s%n",
                    Embedder.MAX_INPUTS, tokens[0] / s);
            return tokens[0] / s;
        }
    }

    static String post(HttpClient client, URI uri, String body)
            throws IOException, InterruptedException {
        HttpResponse<String> r =
                client.send(
                        HttpRequest.newBuilder(uri)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException(r.statusCode() + " " + r.body());
        return r.body();
    }

    static List<float[]> embedAll(Embedder e, List<String> corpus, String model) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < corpus.size(); i += Embedder.MAX_INPUTS)
            out.addAll(e.embed(chunk(corpus, i).withModel(model)).embeddings());
        return out;
    }

    static Embedder.Request chunk(List<String> corpus, int from) {
        return Embedder.Request.of(
                corpus.subList(from, Math.min(corpus.size(), from + Embedder.MAX_INPUTS)));
    }

    static Embedder.Request first(List<String> corpus, int n) {
        return Embedder.Request.of(corpus.subList(0, n));
    }

    static void row(String what, int tokens, double seconds, double baseline) {
        System.out.printf(
                "    %-36s %7.2f s %8.0f tokens/s  %5.2f× LangChain4j%n",
                what, seconds, tokens / seconds, baseline / seconds);
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    static double time(Runnable r) {
        long t = System.nanoTime();
        r.run();
        return (System.nanoTime() - t) / 1e9;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Unique STS sentences, then extraction paragraphs; texts over 254 tokens left out. */
    static List<String> corpus(Model counter, int sentences, int paragraphs) throws Exception {
        Set<String> sts = new LinkedHashSet<>();
        for (EmbeddingsEval.Pair p :
                EmbeddingsEval.readStsb(
                        EmbeddingsModels.data("embeddings/stsb/stsb-en-test.csv"))) {
            sts.add(p.a());
            sts.add(p.b());
        }
        List<String> out = new ArrayList<>(sts.stream().limit(sentences).toList());
        JsonNode truth =
                JSON.readTree(
                        Files.readString(
                                EmbeddingsModels.data("extraction/scrapinghub/ground-truth.json")));
        List<String> paras = new ArrayList<>();
        for (JsonNode page : truth) {
            for (String p : page.get("articleBody").asText().split("\n")) {
                p = p.strip();
                if (p.length() < 40) continue;
                if (counter != null && counter.countTokens(p) > 254) continue;
                if (counter == null && p.length() > 1000) continue;
                paras.add(p);
            }
        }
        out.addAll(paras.subList(0, Math.min(paragraphs, paras.size())));
        java.util.Collections.shuffle(out, new java.util.Random(42));
        return out;
    }
}
