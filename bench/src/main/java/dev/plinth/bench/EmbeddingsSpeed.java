package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.plinth.models.Batcher;
import dev.plinth.models.Embedder;
import dev.plinth.models.Model;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.OnnxEncoder;
import dev.plinth.models.Tokenizer;
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
 * bge-small-en-v1.5):
 *
 * <ul>
 *   <li>LangChain4j fp32 {@code embedAll} — one text per ORT call, a task per text on its executor;
 *   <li>plinth fp32 — the batch path ({@link Embedder}, length-sorted padded batches);
 *   <li>plinth int8 — the default serving configuration (one text per run, see {@link Batcher});
 *   <li>int8 with equal-length and with padded batches, and how far their vectors move from the
 *       one-text runs (the padding/neighbour dependence of dynamic quantization).
 * </ul>
 *
 * Then where plinth's fp32 time goes (tokenize, feed = pad + tensors, ORT run, read, pool) and the
 * share of the CPU's FLOP ceiling it reaches, and, through HTTP on a server started in-process,
 * p50/p99 of one 16-token query and tokens/s with 32 concurrent clients.
 *
 * <p>Run from the project root (after {@code source scripts/jdk.sh}):
 *
 * <pre>{@code
 * mvn -q -B -Dplinth.build=target-models -pl bench -am compile exec:java \
 *     -Dexec.mainClass=dev.plinth.bench.EmbeddingsSpeed -Dplinth.bench.models=bench/target-models/models \
 *     [-Dexec.args="SENTENCES PARAGRAPHS"]
 * }</pre>
 *
 * (default 1000 sentences, 300 paragraphs). Add {@code -Dplinth.ort.spinning=false} to compare ORT
 * thread spinning, {@code -Dplinth.bench.only=http} or {@code =models} to run one half.
 */
public final class EmbeddingsSpeed {

    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int sentences = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int paragraphs = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        String only = System.getProperty("plinth.bench.only", "all"); // all | models | http
        System.out.printf(
                "cores %d, ORT spinning %s%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("plinth.ort.spinning", "true"));

        if (only.equals("http")) {
            http(corpus(null, sentences, paragraphs));
            System.exit(0);
        }
        try (ModelRegistry registry = EmbeddingsModels.registry(ModelRegistry.Options.defaults());
                ModelRegistry equal =
                        EmbeddingsModels.registry(
                                ModelRegistry.Options.defaults()
                                        .withBatching(
                                                Batcher.Options.defaults()
                                                        .withGrouping(
                                                                Batcher.Grouping.EQUAL_LENGTH)));
                ModelRegistry padded =
                        EmbeddingsModels.registry(
                                ModelRegistry.Options.defaults()
                                        .withBatching(
                                                Batcher.Options.defaults()
                                                        .withGrouping(Batcher.Grouping.PADDED)))) {
            Tokenizer counter = registry.get("bge-small-en-v1.5-int8").tokenizer();
            List<String> corpus = corpus(counter, sentences, paragraphs);
            long corpusTokens = 0;
            for (String t : corpus) corpusTokens += counter.encode(t, 100_000).length();
            System.out.printf(
                    "corpus: %d texts, %d tokens (bge/MiniLM vocabulary; mean %.1f)%n%n",
                    corpus.size(), corpusTokens, (double) corpusTokens / corpus.size());

            compare(
                    registry,
                    equal,
                    padded,
                    corpus,
                    "all-MiniLM-L6-v2",
                    AllMiniLmL6V2EmbeddingModel::new);
            compare(
                    registry,
                    equal,
                    padded,
                    corpus,
                    "bge-small-en-v1.5",
                    BgeSmallEnV15EmbeddingModel::new);
        }
        if (only.equals("all")) http(corpus(null, sentences, paragraphs));
        System.exit(0);
    }

    static void compare(
            ModelRegistry registry,
            ModelRegistry equal,
            ModelRegistry padded,
            List<String> corpus,
            String name,
            Supplier<EmbeddingModel> baseline) {
        System.out.println("== " + name);
        Embedder plinth = new Embedder(registry);
        int tokens = plinth.embed(first(corpus, 1).withModel(name)).tokens(); // load
        tokens = 0;
        for (int i = 0; i < corpus.size(); i += Embedder.MAX_INPUTS)
            tokens += plinth.embed(chunk(corpus, i).withModel(name)).tokens();

        EmbeddingModel lc4j = baseline.get();
        List<TextSegment> segments = corpus.stream().map(TextSegment::from).toList();
        lc4j.embedAll(segments.subList(0, 64));
        double lcSeconds = time(() -> lc4j.embedAll(segments));
        row("LangChain4j fp32 embedAll", tokens, lcSeconds, lcSeconds);

        Model fp32 = registry.get(name);
        OnnxEncoder.Timings before = fp32.encoder().timings();
        double fpSeconds = time(() -> embedAll(plinth, corpus, name));
        OnnxEncoder.Timings after = fp32.encoder().timings();
        row("plinth fp32 batched", tokens, fpSeconds, lcSeconds);

        String int8 = name + "-int8";
        plinth.embed(first(corpus, 8).withModel(int8));
        List<float[]> single = new ArrayList<>();
        double int8Seconds = time(() -> single.addAll(embedAll(plinth, corpus, int8)));
        row("plinth int8 one-per-run (default)", tokens, int8Seconds, lcSeconds);

        for (var variant :
                List.of(
                        new Object[] {"plinth int8 equal-length batches", equal},
                        new Object[] {"plinth int8 padded batches", padded})) {
            Embedder e = new Embedder((ModelRegistry) variant[1]);
            e.embed(first(corpus, 8).withModel(int8));
            List<float[]> got = new ArrayList<>();
            double s = time(() -> got.addAll(embedAll(e, corpus, int8)));
            double worst = 0, sum = 0;
            for (int i = 0; i < got.size(); i++) {
                double cos = dot(got.get(i), single.get(i));
                worst = Math.max(worst, 1 - cos);
                sum += 1 - cos;
            }
            row((String) variant[0], tokens, s, lcSeconds);
            System.out.printf(
                    "      vs one-per-run: mean 1-cos %.2e, worst 1-cos %.2e%n",
                    sum / got.size(), worst);
        }

        // Where the fp32 batch path's time goes.
        Tokenizer tok = fp32.tokenizer();
        double tokenize = time(() -> corpus.forEach(t -> tok.encode(t, fp32.config().maxTokens())));
        double feed = (after.feedNanos() - before.feedNanos()) / 1e9;
        double run = (after.runNanos() - before.runNanos()) / 1e9;
        double read = (after.readNanos() - before.readNanos()) / 1e9;
        long real = after.tokens() - before.tokens();
        long pad = after.paddedTokens() - before.paddedTokens();
        OnnxEncoder.Output sample =
                fp32.encoder().run(List.of(tok.encode(corpus.get(0), 512).ids()), null);
        double pool =
                time(() -> {
                    for (int i = 0; i < corpus.size(); i++)
                        sample.pooled(0, fp32.config().pooling());
                });
        // feed/run/read are counted inside the timed path; tokenize and pool are re-timed alone.
        System.out.printf(
                "    fp32 %.2f s = feed (pad + tensors) %.2f s + ORT run %.2f s + read %.2f s + rest %.2f s;"
                        + " alone: tokenize %.2f s, pool %.3f s; %d runs, padding %.1f%% of %d tokens%n",
                fpSeconds,
                feed,
                run,
                read,
                fpSeconds - feed - run - read,
                tokenize,
                pool,
                after.runs() - before.runs(),
                100.0 * (pad - real) / pad,
                pad);
        // FLOPs: 2 per weight per token in the encoder layers (12·d² weights a layer), plus
        // attention.
        int layers = name.startsWith("all-MiniLM") ? 6 : 12;
        double flopPerToken = 2.0 * layers * 12 * 384 * 384;
        System.out.printf(
                "    %.1f MFLOP/token → ORT run at %.1f GFLOP/s (fp32), whole path %.1f GFLOP/s%n%n",
                flopPerToken / 1e6,
                flopPerToken * pad / run / 1e9,
                flopPerToken * tokens / fpSeconds / 1e9);
    }

    static final String QUERY =
            "how many people lived in the capital city of france during the year 1900";

    /** One 16-token query in-process (no HTTP): the floor under the HTTP latency. */
    static void inProcessLatency() {
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
            OnnxEncoder.Timings t = model.encoder().timings();
            System.out.printf(
                    "    one %d-token query in-process (%s): p50 %.2f ms, p99 %.2f ms; of which ORT run %.2f ms on average%n",
                    plinth.embed(query).tokens(),
                    model.name(),
                    nanos[nanos.length / 2] / 1e6,
                    nanos[nanos.length * 99 / 100] / 1e6,
                    t.runNanos() / 1e6 / t.runs());
        }
    }

    static void http(List<String> corpus) throws Exception {
        inProcessLatency();
        int port = 18000 + (int) (ProcessHandle.current().pid() % 1000);
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
        for (int i = 0; i < 300; i++) post(client, uri, query);
        long[] nanos = new long[2000];
        for (int i = 0; i < nanos.length; i++) {
            long t = System.nanoTime();
            post(client, uri, query);
            nanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(nanos);
        System.out.printf(
                "    one query, sequential: p50 %.2f ms, p99 %.2f ms%n",
                nanos[nanos.length / 2] / 1e6, nanos[nanos.length * 99 / 100] / 1e6);

        // 32 clients, each sending requests of 8 texts until the corpus is done.
        ExecutorService pool = Executors.newFixedThreadPool(32);
        AtomicInteger next = new AtomicInteger();
        AtomicLong tokens = new AtomicLong();
        List<Future<?>> clients = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < 32; c++) {
            clients.add(
                    pool.submit(() -> {
                        while (true) {
                            int from = next.getAndAdd(8);
                            if (from >= corpus.size()) return null;
                            List<String> texts =
                                    corpus.subList(from, Math.min(corpus.size(), from + 8));
                            String body =
                                    JSON.writeValueAsString(
                                            java.util.Map.of("input", texts, "truncate", true));
                            JsonNode r = JSON.readTree(post(client, uri, body));
                            tokens.addAndGet(r.at("/usage/total_tokens").asLong());
                        }
                    }));
        }
        for (Future<?> f : clients) f.get();
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                "    32 clients × 8 texts/request: %d tokens in %.2f s = %.0f tokens/s%n",
                tokens.get(), s, tokens.get() / s);
        pool.shutdownNow();
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
    static List<String> corpus(Tokenizer counter, int sentences, int paragraphs) throws Exception {
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
                if (counter != null && counter.encode(p, 100_000).length() > 254) continue;
                if (counter == null && p.length() > 1000) continue;
                paras.add(p);
            }
        }
        out.addAll(paras.subList(0, Math.min(paragraphs, paras.size())));
        java.util.Collections.shuffle(out, new java.util.Random(42));
        return out;
    }
}
