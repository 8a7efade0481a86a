package dev.plinth.bench;

import dev.plinth.models.Embedder;
import dev.plinth.models.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fidelity: MTEB-style STS for every catalog model — the cosine of the two sentences' embeddings,
 * Spearman-correlated with the gold scores over the whole split, × 100 — against the published MTEB
 * numbers in {@code ../shared/data/README.md}. English STSBenchmark (test) for bge-small-en-v1.5,
 * all-MiniLM-L6-v2 and e5-small-v2; the CNSD file (C-MTEB STSB) for bge-small-zh-v1.5; int8
 * variants beside their fp32 models. Each model runs with its default task: no prefix for BGE and
 * MiniLM, {@code query: } for E5 (its authors' advice for symmetric tasks). MTEB 1.18, which
 * produced E5's published number, gives STS no prompt at all, so E5 is also scored that way ({@code
 * e5-small-v2-noprefix}: the same files under a config without prefixes) to check that the
 * implementation reproduces the published protocol.
 *
 * <p>Run from the project root (after {@code source scripts/jdk.sh}, which exports {@code
 * ORT_DISABLE_TELEMETRY=1}; the first run installs the eight models under {@code
 * bench/target-models/models}):
 *
 * <pre>{@code
 * mvn -q -B -Dplinth.build=target-models -pl bench -am test-compile exec:java \
 *     -Dexec.mainClass=dev.plinth.bench.EmbeddingsEval -Dplinth.bench.models=bench/target-models/models \
 *     [-Dexec.args="bge-small-en-v1.5 e5-small-v2-noprefix"]
 * }</pre>
 *
 * The arguments, when given, name the models to evaluate.
 */
public final class EmbeddingsEval {

    static final Map<String, Double> PUBLISHED =
            Map.of(
                    "all-MiniLM-L6-v2",
                    82.03,
                    "bge-small-en-v1.5",
                    85.86,
                    "e5-small-v2",
                    84.92,
                    "bge-small-zh-v1.5",
                    76.73);

    /** One STS pair. */
    record Pair(String a, String b, double gold) {}

    public static void main(String[] args) throws Exception {
        List<Pair> english = readStsb(EmbeddingsModels.data("embeddings/stsb/stsb-en-test.csv"));
        List<Pair> chinese = readCnsd(EmbeddingsModels.data("embeddings/stsb/cnsd-sts-test.txt"));
        Map<String, List<Pair>> sets = new LinkedHashMap<>();
        for (String base : List.of("bge-small-en-v1.5", "all-MiniLM-L6-v2", "e5-small-v2")) {
            sets.put(base, english);
            sets.put(base + "-int8", english);
        }
        sets.put("e5-small-v2-noprefix", english);
        sets.put("e5-small-v2-int8-noprefix", english);
        sets.put("bge-small-zh-v1.5", chinese);
        sets.put("bge-small-zh-v1.5-int8", chinese);
        List<String> only = Arrays.asList(args);

        for (String e5 : List.of("e5-small-v2", "e5-small-v2-int8"))
            EmbeddingsModels.withoutPrefixes(e5);
        try (ModelRegistry registry = EmbeddingsModels.registry(ModelRegistry.Options.defaults())) {
            Embedder embedder = new Embedder(registry);
            System.out.printf(
                    "%-24s %6s %8s %9s %7s%n", "model", "pairs", "STS", "published", "delta");
            for (var e : sets.entrySet()) {
                if (!only.isEmpty() && !only.contains(e.getKey())) continue;
                long start = System.nanoTime();
                double score = sts(embedder, e.getKey(), e.getValue());
                String base = e.getKey().replace("-int8", "").replace("-noprefix", "");
                double published = PUBLISHED.get(base);
                System.out.printf(
                        "%-24s %6d %8.2f %9.2f %+7.2f   (%.1f s)%n",
                        e.getKey(),
                        e.getValue().size(),
                        score,
                        published,
                        score - published,
                        (System.nanoTime() - start) / 1e9);
            }
        }
    }

    /** Spearman × 100 of cosine vs gold over the pairs. */
    static double sts(Embedder embedder, String model, List<Pair> pairs) {
        List<String> texts = new ArrayList<>();
        for (Pair p : pairs) {
            texts.add(p.a());
            texts.add(p.b());
        }
        List<float[]> vectors = new ArrayList<>();
        for (int from = 0; from < texts.size(); from += Embedder.MAX_INPUTS) {
            List<String> chunk =
                    texts.subList(from, Math.min(texts.size(), from + Embedder.MAX_INPUTS));
            vectors.addAll(
                    embedder.embed(Embedder.Request.of(chunk).withModel(model)).embeddings());
        }
        double[] predicted = new double[pairs.size()];
        double[] gold = new double[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            predicted[i] = cosine(vectors.get(2 * i), vectors.get(2 * i + 1));
            gold[i] = pairs.get(i).gold();
        }
        return 100 * spearman(predicted, gold);
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /**
     * Spearman's rho: Pearson correlation of the ranks, ties sharing their mean rank (as scipy).
     */
    static double spearman(double[] x, double[] y) {
        return pearson(ranks(x), ranks(y));
    }

    static double[] ranks(double[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) order[i] = i;
        Arrays.sort(order, (p, q) -> Double.compare(v[p], v[q]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) j++;
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) r[order[k]] = mean;
            i = j + 1;
        }
        return r;
    }

    static double pearson(double[] x, double[] y) {
        double mx = Arrays.stream(x).average().orElse(0), my = Arrays.stream(y).average().orElse(0);
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /**
     * {@code sentence1,sentence2,score}, fields quoted CSV-style when they hold commas or quotes.
     */
    static List<Pair> readStsb(Path file) throws java.io.IOException {
        List<Pair> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            List<String> f = csv(line);
            out.add(new Pair(f.get(0), f.get(1), Double.parseDouble(f.get(2))));
        }
        return out;
    }

    /** {@code id||sentence1||sentence2||score}. */
    static List<Pair> readCnsd(Path file) throws java.io.IOException {
        List<Pair> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            String[] f = line.split("\\|\\|");
            out.add(new Pair(f[1], f[2], Double.parseDouble(f[3].trim())));
        }
        return out;
    }

    static List<String> csv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
