package dev.plinth.bench;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Fetcher;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Main-content extraction quality on the Scrapinghub article-extraction benchmark (181 pages),
 * scored exactly as the benchmark's own scorer does: Unicode {@code \w+} tokens, 4-gram shingles
 * counted as multisets, per-page tp/fp/fn normalised so every page weighs the same, precision and
 * recall as means over pages, F1 of the two means, and accuracy as the share of pages whose token
 * lists are identical. Each page goes through the real product path: {@link Reader#convert} with
 * {@code respondWith=TEXT}.
 *
 * <p>Run from the project root:
 *
 * <pre>{@code
 * mvn -q -B -Dplinth.build=target-extract -pl bench -am compile exec:java \
 *     -Dexec.mainClass=dev.plinth.bench.ExtractionEval [-Dexec.args="[DATA_DIR] [--worst N] [--dump DIR]"]
 * }</pre>
 *
 * {@code DATA_DIR} defaults to {@code ../shared/data/extraction/scrapinghub}; {@code --worst N}
 * lists the N pages with the lowest F1; {@code --dump DIR} writes {@code <id>.pred.txt} and {@code
 * <id>.true.txt} for diffing.
 */
public final class ExtractionEval {

    private static final Pattern TOKEN = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final int SHINGLE = 4;

    /** One page's normalised counts and its F1, kept for the breakdowns. */
    record Score(
            String id, String url, String lang, double tp, double fp, double fn, boolean exact) {
        double precision() {
            return tp + fp == 0 ? Double.NaN : tp / (tp + fp);
        }

        double recall() {
            return tp + fn == 0 ? Double.NaN : tp / (tp + fn);
        }

        double f1() {
            double p = precision(), r = recall();
            return Double.isNaN(p) || Double.isNaN(r) || p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        int worst = 0;
        Path dump = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--worst" -> worst = Integer.parseInt(args[++i]);
                case "--dump" -> dump = Path.of(args[++i]);
                default -> positional.add(args[i]);
            }
        }
        Path dir = ScrapinghubPages.dir(positional.toArray(String[]::new), 0);
        List<ScrapinghubPages.Sample> samples = ScrapinghubPages.load(dir);
        Options options = Options.builder().respondWith(Options.Format.TEXT).build();
        if (dump != null) {
            Files.createDirectories(dump);
        }

        List<Score> scores = new ArrayList<>();
        long started = System.nanoTime();
        try (Reader reader = new Reader(new Fetcher(Fetcher.Settings.DEFAULTS))) {
            for (ScrapinghubPages.Sample sample : samples) {
                Page page =
                        new Page(
                                URI.create(sample.url()),
                                200,
                                "text/html",
                                StandardCharsets.UTF_8,
                                sample.html(),
                                Map.of());
                String predicted;
                String lang = "?";
                try {
                    Result result = reader.convert(page, options);
                    predicted = result.content();
                    String l = result.metadata().get("lang");
                    if (l != null && !l.isBlank()) {
                        lang = l.strip().toLowerCase(Locale.ROOT).split("[-_]")[0];
                    }
                } catch (ReaderException e) {
                    predicted = "";
                    System.err.println(sample.id() + ": " + e.getMessage());
                }
                scores.add(score(sample, predicted, lang));
                if (dump != null) {
                    Files.writeString(dump.resolve(sample.id() + ".pred.txt"), predicted);
                    Files.writeString(dump.resolve(sample.id() + ".true.txt"), sample.expected());
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        System.out.printf(
                Locale.ROOT,
                "Scrapinghub article-extraction benchmark, %d pages, %s%n",
                scores.size(),
                dir);
        System.out.println("| system | F1 | precision | recall | accuracy |");
        System.out.println("|---|---|---|---|---|");
        System.out.println(row("plinth (text)", scores));
        System.out.printf(
                Locale.ROOT,
                "(%.1f s, %.0f pages/s including scoring)%n",
                seconds,
                scores.size() / seconds);

        Map<String, List<Score>> byLang = new TreeMap<>();
        for (Score s : scores) {
            byLang.computeIfAbsent(s.lang(), k -> new ArrayList<>()).add(s);
        }
        if (byLang.size() > 1) {
            System.out.println();
            System.out.println("| lang (from the page) | F1 | precision | recall | accuracy |");
            System.out.println("|---|---|---|---|---|");
            byLang.forEach(
                    (lang, list) -> System.out.println(row(lang + " (" + list.size() + ")", list)));
        }
        if (worst > 0) {
            System.out.println();
            System.out.println("worst pages: F1 P R id url");
            scores.stream()
                    .sorted(Comparator.comparingDouble(Score::f1))
                    .limit(worst)
                    .forEach(s ->
                            System.out.printf(
                                    Locale.ROOT,
                                    "%.3f %.3f %.3f %s %s%n",
                                    s.f1(),
                                    nan0(s.precision()),
                                    nan0(s.recall()),
                                    s.id(),
                                    s.url()));
        }
    }

    static String row(String name, List<Score> scores) {
        double p = mean(scores, Score::precision);
        double r = mean(scores, Score::recall);
        double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
        double accuracy = scores.stream().filter(Score::exact).count() / (double) scores.size();
        return String.format(
                Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f |", name, f1, p, r, accuracy);
    }

    /**
     * Mean of the defined per-page values (a page with tp+fp = 0 has no precision, and is skipped).
     */
    private static double mean(List<Score> scores, java.util.function.ToDoubleFunction<Score> f) {
        double sum = 0;
        int n = 0;
        for (Score s : scores) {
            double v = f.applyAsDouble(s);
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    private static double nan0(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    static Score score(ScrapinghubPages.Sample sample, String predicted, String lang) {
        List<String> truthTokens = tokens(sample.expected());
        List<String> predTokens = tokens(predicted);
        Map<List<String>, Integer> truth = shingles(truthTokens);
        Map<List<String>, Integer> pred = shingles(predTokens);
        double tp = 0, fp = 0, fn = 0;
        for (Map.Entry<List<String>, Integer> e : pred.entrySet()) {
            int t = truth.getOrDefault(e.getKey(), 0);
            tp += Math.min(t, e.getValue());
            fp += Math.max(0, e.getValue() - t);
        }
        for (Map.Entry<List<String>, Integer> e : truth.entrySet()) {
            fn += Math.max(0, e.getValue() - pred.getOrDefault(e.getKey(), 0));
        }
        double sum = tp + fp + fn;
        if (sum == 0) {
            // Both texts empty: a perfect match, as the benchmark counts it.
            tp = 1;
        } else {
            tp /= sum;
            fp /= sum;
            fn /= sum;
        }
        return new Score(
                sample.id(), sample.url(), lang, tp, fp, fn, truthTokens.equals(predTokens));
    }

    static List<String> tokens(String text) {
        List<String> tokens = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            tokens.add(m.group());
        }
        return tokens;
    }

    /** Token 4-grams as a multiset; a text of fewer than four tokens is one shorter shingle. */
    static Map<List<String>, Integer> shingles(List<String> tokens) {
        Map<List<String>, Integer> counts = new HashMap<>();
        int n = Math.min(SHINGLE, tokens.size());
        if (n == 0) {
            return counts;
        }
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return counts;
    }
}
