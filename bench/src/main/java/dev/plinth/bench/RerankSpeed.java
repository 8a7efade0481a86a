package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.models.Model;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.Reranker;
import dev.plinth.server.Main;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reranking speed: 100 documents of about 200 tokens each (130-word windows of the extraction
 * pages’ article text, so real prose) against one query, with the default rerank model.
 *
 * <ol>
 *   <li>In process: {@link Reranker#rerank} after warm-up, the median of the timed runs, as
 *       documents per second, for each scoring (they share one encoding pass; MaxSim adds its
 *       token-by-token products).
 *   <li>Through HTTP: {@code plinth serve} in this JVM on a free loopback port, the same request as
 *       JSON to {@code POST /v1/rerank}, one at a time; p50 and p90 latency.
 * </ol>
 *
 * <p>Run: {@code mvn -q -B -Dplinth.build=target-rerank -pl bench -am test-compile exec:java
 * -Dexec.mainClass=dev.plinth.bench.RerankSpeed} (with {@code ORT_DISABLE_TELEMETRY=1
 * OPT_OUT_TRACKING=true} exported, as {@code scripts/jdk.sh} does). Optional argument: the rerank
 * model (default: the server's default).
 */
public final class RerankSpeed {

    private static final int DOCUMENTS = 100;
    private static final int WORDS = 130;
    private static final int WARMUP = 2;
    private static final int RUNS = 5;
    private static final int HTTP_RUNS = 11;

    private RerankSpeed() {}

    public static void main(String[] args) throws Exception {
        List<String> documents =
                documents(EmbeddingsModels.data("extraction/scrapinghub/ground-truth.json"));
        String query = "How are video game subscriptions changing the way people pay to play?";

        String model;
        try (ModelRegistry registry =
                ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()))) {
            Reranker reranker = new Reranker(registry);
            model = args.length > 0 ? args[0] : reranker.defaultModel();
            String encoder = model.replaceAll("-(fused|maxsim|cosine)$", "");
            Model counter = registry.get(encoder);
            double meanTokens =
                    documents.stream().mapToInt(counter::countTokens).average().orElse(0);
            System.out.printf(
                    "%d documents, %.0f tokens each on average (%s), %d cores%n",
                    documents.size(),
                    meanTokens,
                    encoder,
                    Runtime.getRuntime().availableProcessors());
            for (String variant :
                    List.of(encoder + "-cosine", encoder + "-maxsim", encoder + "-fused")) {
                for (int i = 0; i < WARMUP; i++) reranker.rerank(variant, query, documents, null);
                double[] seconds = new double[RUNS];
                for (int i = 0; i < RUNS; i++) {
                    long start = System.nanoTime();
                    reranker.rerank(variant, query, documents, null);
                    seconds[i] = (System.nanoTime() - start) / 1e9;
                }
                Arrays.sort(seconds);
                double median = seconds[RUNS / 2];
                System.out.printf(
                        "in process  %-32s %7.1f documents/s  (median %.0f ms per 100)%n",
                        variant, documents.size() / median, median * 1000);
            }
        }

        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        int finalPort = port;
        Thread server =
                Thread.ofPlatform()
                        .daemon()
                        .start(() ->
                                Main.run(
                                        "serve",
                                        "--port",
                                        Integer.toString(finalPort),
                                        "--no-cache",
                                        "--rate-limit",
                                        "0"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        waitFor(http, port);

        ObjectMapper json = new ObjectMapper();
        ObjectNode body =
                json.createObjectNode()
                        .put("model", model)
                        .put("query", query)
                        .put("return_documents", false);
        ArrayNode docs = body.putArray("documents");
        documents.forEach(docs::add);
        HttpRequest request =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/rerank"))
                        .header("Content-Type", "application/json")
                        .timeout(Duration.ofSeconds(120))
                        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)))
                        .build();
        for (int i = 0; i < WARMUP; i++)
            check(http.send(request, HttpResponse.BodyHandlers.ofString()));
        double[] millis = new double[HTTP_RUNS];
        for (int i = 0; i < HTTP_RUNS; i++) {
            long start = System.nanoTime();
            check(http.send(request, HttpResponse.BodyHandlers.ofString()));
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(millis);
        System.out.printf(
                "HTTP        %-32s p50 %.0f ms, p90 %.0f ms per request of %d documents (%d requests)%n",
                model,
                millis[HTTP_RUNS / 2],
                millis[(int) (HTTP_RUNS * 0.9)],
                documents.size(),
                HTTP_RUNS);
        System.exit(0);
    }

    /**
     * The first {@link #DOCUMENTS} windows of {@link #WORDS} words across the pages' article text.
     */
    static List<String> documents(Path groundTruth) throws Exception {
        JsonNode truth = new ObjectMapper().readTree(groundTruth.toFile());
        List<String> documents = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = truth.properties().iterator();
                it.hasNext() && documents.size() < DOCUMENTS; ) {
            String[] words =
                    it.next().getValue().path("articleBody").asText("").strip().split("\\s+");
            for (int from = 0;
                    from + WORDS <= words.length && documents.size() < DOCUMENTS;
                    from += WORDS) {
                documents.add(String.join(" ", Arrays.copyOfRange(words, from, from + WORDS)));
            }
        }
        return documents;
    }

    private static void waitFor(HttpClient http, int port) throws InterruptedException {
        HttpRequest health =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build();
        for (int i = 0; i < 300; i++) {
            try {
                if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200)
                    return;
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("plinth serve did not start on port " + port);
    }

    private static void check(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "rerank answered " + response.statusCode() + ": " + response.body());
        }
    }
}
