package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.models.LateInteraction;
import dev.plinth.models.Model;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.MultiVector;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Ranking quality of the offline reranker's three scorings — (a) bi-encoder cosine, (b)
 * late-interaction MaxSim, (c) their fusion ({@link LateInteraction}) — as nDCG@10 and MRR on two
 * retrieval tasks built from {@code ../shared/data}:
 *
 * <ol>
 *   <li><b>STS-B as retrieval</b>: every distinct sentence2 of the English STS Benchmark test split
 *       is a candidate; each sentence1 whose pair has a gold score of at least 4 is a query, and
 *       its own sentence2 is the one relevant candidate.
 *   <li><b>Known-item retrieval over the extraction pages</b>: the candidates are the article
 *       paragraphs (non-blank lines of each page's {@code articleBody} in {@code
 *       ground-truth.json}); each page's title is a query (its {@code og:title}, else its {@code
 *       <title>}, read from the page HTML since the ground truth has none), and the paragraphs of
 *       its own article are the relevant ones.
 * </ol>
 *
 * Every query is scored against every candidate (no first stage), with the same encoding the
 * reranker uses: queries as {@code retrieval.query}, candidates as {@code retrieval.passage}, one
 * pass each giving both the pooled and the token vectors ({@link MultiVector#encode}). Binary
 * relevance; nDCG@10 over the ideal ranking of all relevant candidates; MRR over the whole list.
 *
 * <p>Run: {@code mvn -q -B -Dplinth.build=target-rerank -pl bench -am test-compile exec:java
 * -Dexec.mainClass=dev.plinth.bench.RankingEval -Dplinth.bench.models=bench/target-rerank/models
 * -Dexec.args="bge-small-en-v1.5-int8"} (with {@code ORT_DISABLE_TELEMETRY=1 OPT_OUT_TRACKING=true}
 * exported, as {@code scripts/jdk.sh} does). Arguments: the encoder models to evaluate (default:
 * the embeddings default).
 */
public final class RankingEval {

    private RankingEval() {}

    public static void main(String[] args) throws Exception {
        Path data = EmbeddingsModels.data("");
        List<Task> tasks = List.of(stsb(data), pages(data));
        for (Task task : tasks) {
            int relevant = task.relevant().stream().mapToInt(Set::size).sum();
            System.out.printf(
                    "%s: %d queries, %d candidates, %d relevant pairs%n",
                    task.name(), task.queries().size(), task.candidates().size(), relevant);
        }
        try (ModelRegistry registry = EmbeddingsModels.registry(ModelRegistry.Options.defaults())) {
            List<String> models =
                    args.length > 0
                            ? List.of(args)
                            : List.of(registry.defaultModel(ModelRegistry.EMBEDDINGS));
            System.out.printf(
                    "%n%-24s %-26s %-8s %8s %8s%n", "model", "task", "scoring", "nDCG@10", "MRR");
            for (String name : models) {
                Model model = registry.get(name);
                for (Task task : tasks) {
                    long start = System.nanoTime();
                    List<MultiVector.Encoded> queries =
                            encode(model, task.queries(), MultiVector.InputType.QUERY);
                    List<MultiVector.Encoded> candidates =
                            encode(model, task.candidates(), MultiVector.InputType.DOCUMENT);
                    double encodeSeconds = (System.nanoTime() - start) / 1e9;
                    long scoreStart = System.nanoTime();
                    Map<Scoring, double[]> metrics = evaluate(task, queries, candidates);
                    double scoreSeconds = (System.nanoTime() - scoreStart) / 1e9;
                    for (Scoring scoring : Scoring.values()) {
                        System.out.printf(
                                "%-24s %-26s %-8s %8.4f %8.4f   (encode %.0f s, score %.0f s)%n",
                                name,
                                task.name(),
                                scoring.name().toLowerCase(),
                                metrics.get(scoring)[0],
                                metrics.get(scoring)[1],
                                encodeSeconds,
                                scoreSeconds);
                    }
                }
            }
        }
    }

    /** The three scorings of the offline reranker. */
    enum Scoring {
        COSINE,
        MAXSIM,
        FUSED
    }

    /**
     * Mean nDCG@10 and mean MRR over the task's queries for every scoring; cosine and MaxSim are
     * computed once per pair and fused from there, exactly as {@link LateInteraction#fuse} does.
     */
    static Map<Scoring, double[]> evaluate(
            Task task, List<MultiVector.Encoded> queries, List<MultiVector.Encoded> candidates) {
        double[][][] perQuery =
                IntStream.range(0, queries.size())
                        .parallel()
                        .mapToObj(q -> {
                            double[] cosine = new double[candidates.size()];
                            double[] maxSim = new double[candidates.size()];
                            double[] fused = new double[candidates.size()];
                            for (int c = 0; c < candidates.size(); c++) {
                                cosine[c] =
                                        LateInteraction.cosine(
                                                queries.get(q).pooled(),
                                                candidates.get(c).pooled());
                                maxSim[c] =
                                        LateInteraction.maxSim(
                                                queries.get(q).tokens(),
                                                candidates.get(c).tokens());
                                fused[c] = LateInteraction.fuse(cosine[c], maxSim[c]);
                            }
                            Set<Integer> relevant = task.relevant().get(q);
                            return new double[][] {
                                metrics(cosine, relevant),
                                metrics(maxSim, relevant),
                                metrics(fused, relevant)
                            };
                        })
                        .toArray(double[][][]::new);
        Map<Scoring, double[]> means = new java.util.EnumMap<>(Scoring.class);
        for (Scoring scoring : Scoring.values()) {
            double ndcg = 0;
            double mrr = 0;
            for (double[][] m : perQuery) {
                ndcg += m[scoring.ordinal()][0];
                mrr += m[scoring.ordinal()][1];
            }
            means.put(scoring, new double[] {ndcg / perQuery.length, mrr / perQuery.length});
        }
        return means;
    }

    /** nDCG@10 and reciprocal rank of one query's scores; ties broken by candidate order. */
    static double[] metrics(double[] scores, Set<Integer> relevant) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(
                order,
                (a, b) ->
                        scores[a] != scores[b]
                                ? Double.compare(scores[b], scores[a])
                                : Integer.compare(a, b));
        double dcg = 0;
        double reciprocal = 0;
        for (int rank = 0; rank < order.length; rank++) {
            if (!relevant.contains(order[rank])) continue;
            if (rank < 10) dcg += 1 / log2(rank + 2);
            if (reciprocal == 0) reciprocal = 1.0 / (rank + 1);
        }
        double ideal = 0;
        for (int rank = 0; rank < Math.min(10, relevant.size()); rank++)
            ideal += 1 / log2(rank + 2);
        return new double[] {dcg / ideal, reciprocal};
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    /** Encodes in slices the size of one request, as a client would send them. */
    private static List<MultiVector.Encoded> encode(
            Model model, List<String> texts, MultiVector.InputType type) {
        List<MultiVector.Encoded> out = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += MultiVector.MAX_INPUTS) {
            out.addAll(
                    MultiVector.encode(
                            model,
                            texts.subList(
                                    from, Math.min(texts.size(), from + MultiVector.MAX_INPUTS)),
                            type,
                            null));
        }
        return out;
    }

    /** A ranking task: queries, one shared candidate list, and each query's relevant candidates. */
    record Task(
            String name,
            List<String> queries,
            List<String> candidates,
            List<Set<Integer>> relevant) {}

    /** STS-B (English test split) as retrieval. */
    static Task stsb(Path data) throws IOException {
        Path csv = data.resolve("embeddings/stsb/stsb-en-test.csv");
        Map<String, Integer> candidateIds = new LinkedHashMap<>();
        List<String> queries = new ArrayList<>();
        List<Set<Integer>> relevant = new ArrayList<>();
        Map<String, Integer> queryIds = new LinkedHashMap<>();
        for (List<String> row : Csv.read(Files.readString(csv, StandardCharsets.UTF_8))) {
            if (row.size() < 3) continue;
            String sentence1 = row.get(0).strip();
            String sentence2 = row.get(1).strip();
            double gold = Double.parseDouble(row.get(2).strip());
            int candidate = candidateIds.computeIfAbsent(sentence2, s -> candidateIds.size());
            if (gold < 4) continue;
            Integer query = queryIds.get(sentence1);
            if (query == null) {
                query = queries.size();
                queryIds.put(sentence1, query);
                queries.add(sentence1);
                relevant.add(new HashSet<>());
            }
            relevant.get(query).add(candidate);
        }
        return new Task("STS-B retrieval", queries, List.copyOf(candidateIds.keySet()), relevant);
    }

    /** Known-item retrieval: page titles against all article paragraphs. */
    static Task pages(Path data) throws IOException {
        Path root = data.resolve("extraction/scrapinghub");
        JsonNode truth = new ObjectMapper().readTree(root.resolve("ground-truth.json").toFile());
        List<String> queries = new ArrayList<>();
        List<String> candidates = new ArrayList<>();
        List<Set<Integer>> relevant = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = truth.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> page = it.next();
            String title = title(root.resolve("html/" + page.getKey() + ".html.gz"));
            Set<Integer> own = new HashSet<>();
            for (String line : page.getValue().path("articleBody").asText("").split("\n")) {
                if (line.isBlank()) continue;
                own.add(candidates.size());
                candidates.add(line.strip());
            }
            if (title == null || own.isEmpty()) continue;
            queries.add(title);
            relevant.add(own);
        }
        return new Task("page titles → paragraphs", queries, candidates, relevant);
    }

    /** The page's {@code og:title}, else its {@code <title>}; null when it has neither. */
    private static String title(Path gzipped) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gzipped))) {
            Document html = Jsoup.parse(in, "UTF-8", "");
            Element og = html.selectFirst("meta[property=og:title][content]");
            String title = og != null ? og.attr("content").strip() : html.title().strip();
            return title.isEmpty() ? null : title;
        }
    }

    /** RFC 4180 CSV: quoted fields with doubled quotes inside, one record per line. */
    static final class Csv {
        static List<List<String>> read(String text) {
            List<List<String>> rows = new ArrayList<>();
            List<String> row = new ArrayList<>();
            StringBuilder field = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (quoted) {
                    if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else if (c == '"') {
                        quoted = false;
                    } else {
                        field.append(c);
                    }
                } else if (c == '"') {
                    quoted = true;
                } else if (c == ',') {
                    row.add(field.toString());
                    field.setLength(0);
                } else if (c == '\n' || c == '\r') {
                    if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') i++;
                    row.add(field.toString());
                    field.setLength(0);
                    rows.add(row);
                    row = new ArrayList<>();
                } else {
                    field.append(c);
                }
            }
            if (!field.isEmpty() || !row.isEmpty()) {
                row.add(field.toString());
                rows.add(row);
            }
            return rows;
        }
    }
}
