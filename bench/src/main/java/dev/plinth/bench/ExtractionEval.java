package dev.plinth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Result;
import dev.plinth.reader.extract.Extractor;
import dev.plinth.reader.extract.Metadata;
import dev.plinth.reader.fetch.Fetcher;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;

/**
 * Main-content extraction quality on the two development sets: the Scrapinghub article-extraction
 * benchmark (181 pages, gold {@code articleBody}) and Mozilla Readability's test pages (130 cases,
 * gold {@code expected.txt}), plus metadata on the latter (title, byline, published time, language,
 * site name against {@code expected-metadata.json}).
 *
 * <p>Text is scored exactly as the Scrapinghub benchmark's own scorer does: Unicode {@code \w+}
 * tokens, 4-gram shingles counted as multisets, per-page tp/fp/fn normalised so every page weighs
 * the same, precision and recall as means over pages, F1 of the two means, and accuracy as the
 * share of pages whose token lists are identical. "Empty" counts pages whose output has no token
 * while the gold has some. Each page goes through the real product path: {@link Reader#convert}
 * with {@code respondWith=CONTENT_TEXT}.
 *
 * <p>Run from the project root:
 *
 * <pre>{@code
 * mvn -q -B -Dplinth.build=target-extract -pl bench -am test-compile exec:java \
 *     -Dexec.mainClass=dev.plinth.bench.ExtractionEval \
 *     [-Dexec.args="[--set scrapinghub|readability] [--worst N] [--by-lang] [--metadata-diff] \
 *                   [--dump DIR] [--scrapinghub DIR] [--readability DIR]"]
 * }</pre>
 *
 * {@code --set} evaluates one set only; {@code --worst N} lists each set's N pages with the lowest
 * F1; {@code --by-lang} breaks each set down by the page's language; {@code --metadata-diff} lists
 * every metadata field that differs from the gold; {@code --dump DIR} writes {@code
 * <set>/<id>.pred.txt} and {@code <set>/<id>.true.txt} for diffing. The data folders default to
 * {@code ../shared/data/extraction/scrapinghub} and {@code ../shared/data/extraction/readability}.
 */
public final class ExtractionEval {

    private static final Pattern TOKEN = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final int SHINGLE = 4;

    /** One page of a set: its id, the URL it is read as if served from, HTML and gold text. */
    record Case(String id, String url, byte[] html, String expected) {
        /** A scrapinghub page as a case. */
        static Case of(ScrapinghubPages.Sample sample) {
            return new Case(sample.id(), sample.url(), sample.html(), sample.expected());
        }
    }

    /** One page's normalised counts, kept for the breakdowns. */
    record Score(
            String id,
            String url,
            String lang,
            double tp,
            double fp,
            double fn,
            boolean exact,
            boolean empty,
            Extractor.Confidence confidence) {
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
        String only = null;
        int worst = 0;
        boolean byLang = false, metadataDiff = false;
        Path dump = null, scrapinghub = null, readability = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--set" -> only = args[++i];
                case "--worst" -> worst = Integer.parseInt(args[++i]);
                case "--by-lang" -> byLang = true;
                case "--metadata-diff" -> metadataDiff = true;
                case "--dump" -> dump = Path.of(args[++i]);
                case "--scrapinghub" -> scrapinghub = Path.of(args[++i]);
                case "--readability" -> readability = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }

        Map<String, List<Score>> results = new LinkedHashMap<>();
        Map<String, Double> seconds = new LinkedHashMap<>();
        List<ReadabilityPages.Sample> readabilitySamples = List.of();
        try (Reader reader = new Reader(new Fetcher(Fetcher.Settings.DEFAULTS))) {
            if (only == null || only.equals("scrapinghub")) {
                Path dir =
                        ScrapinghubPages.dir(
                                scrapinghub == null
                                        ? new String[0]
                                        : new String[] {scrapinghub.toString()},
                                0);
                List<Case> cases = new ArrayList<>();
                for (ScrapinghubPages.Sample s : ScrapinghubPages.load(dir)) {
                    cases.add(new Case(s.id(), s.url(), s.html(), s.expected()));
                }
                long started = System.nanoTime();
                results.put("scrapinghub", run(reader, "scrapinghub", cases, dump));
                seconds.put("scrapinghub", (System.nanoTime() - started) / 1e9);
            }
            if (only == null || only.equals("readability")) {
                readabilitySamples = ReadabilityPages.load(ReadabilityPages.dir(readability));
                List<Case> cases = new ArrayList<>();
                for (ReadabilityPages.Sample s : readabilitySamples) {
                    cases.add(
                            new Case(
                                    s.id(),
                                    ReadabilityPages.URL,
                                    s.html().getBytes(StandardCharsets.UTF_8),
                                    s.expected()));
                }
                long started = System.nanoTime();
                results.put("readability", run(reader, "readability", cases, dump));
                seconds.put("readability", (System.nanoTime() - started) / 1e9);
            }
        }

        System.out.println("Main-content extraction, plinth (respondWith=content-text)");
        System.out.println("| set | pages | F1 | precision | recall | accuracy | empty | s |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        results.forEach((set, scores) ->
                System.out.println(
                        row(set, scores)
                                + String.format(Locale.ROOT, " %.1f |", seconds.get(set))));

        if (byLang) {
            results.forEach((set, scores) -> {
                Map<String, List<Score>> groups = new TreeMap<>();
                for (Score s : scores) {
                    groups.computeIfAbsent(s.lang(), k -> new ArrayList<>()).add(s);
                }
                System.out.println();
                System.out.println(
                        "| "
                                + set
                                + ": lang (from the page) | pages | F1 | precision"
                                + " | recall | accuracy | empty |");
                System.out.println("|---|---|---|---|---|---|---|");
                groups.forEach((lang, list) -> System.out.println(row(lang, list)));
            });
        }
        if (worst > 0) {
            int n = worst;
            results.forEach((set, scores) -> {
                System.out.println();
                System.out.println(set + ", worst pages: F1 P R id url");
                scores.stream()
                        .sorted(Comparator.comparingDouble(Score::f1))
                        .limit(n)
                        .forEach(s ->
                                System.out.printf(
                                        Locale.ROOT,
                                        "%.3f %.3f %.3f %s %s%n",
                                        s.f1(),
                                        nan0(s.precision()),
                                        nan0(s.recall()),
                                        s.id(),
                                        s.url()));
            });
        }
        confidence(results);
        if (!readabilitySamples.isEmpty()) {
            metadata(readabilitySamples, metadataDiff);
        }
    }

    private static List<Score> run(Reader reader, String set, List<Case> cases, Path dump)
            throws Exception {
        Options options = Options.builder().respondWith(Options.Format.CONTENT_TEXT).build();
        Path out = dump == null ? null : Files.createDirectories(dump.resolve(set));
        List<Score> scores = new ArrayList<>();
        for (Case c : cases) {
            Page page =
                    new Page(
                            URI.create(c.url()),
                            200,
                            "text/html",
                            StandardCharsets.UTF_8,
                            c.html(),
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
                System.err.println(set + "/" + c.id() + ": " + e.getMessage());
            }
            // The confidence is not in the reader's result: a second, direct extraction reads it.
            Extractor.Confidence confidence =
                    Extractor.extract(
                                    Jsoup.parse(
                                            new String(c.html(), StandardCharsets.UTF_8), c.url()))
                            .confidence();
            scores.add(score(c, predicted, lang, confidence));
            if (out != null) {
                Files.writeString(out.resolve(c.id() + ".pred.txt"), predicted);
                Files.writeString(out.resolve(c.id() + ".true.txt"), c.expected());
            }
        }
        return scores;
    }

    static String row(String name, List<Score> scores) {
        double p = mean(scores, Score::precision);
        double r = mean(scores, Score::recall);
        double f1 = p + r == 0 ? 0 : 2 * p * r / (p + r);
        double accuracy = scores.stream().filter(Score::exact).count() / (double) scores.size();
        long empty = scores.stream().filter(Score::empty).count();
        return String.format(
                Locale.ROOT,
                "| %s | %d | %.3f | %.3f | %.3f | %.3f | %d |",
                name,
                scores.size(),
                f1,
                p,
                r,
                accuracy,
                empty);
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

    static Score score(Case c, String predicted, String lang, Extractor.Confidence confidence) {
        List<String> truthTokens = tokens(c.expected());
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
                c.id(),
                c.url(),
                lang,
                tp,
                fp,
                fn,
                truthTokens.equals(predTokens),
                predTokens.isEmpty() && !truthTokens.isEmpty(),
                confidence);
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

    /**
     * Whether the extraction's confidence tells good pages from bad: each set's pages by score band
     * and by the cascade's stage, with their count and mean per-page F1.
     */
    private static void confidence(Map<String, List<Score>> results) {
        double[] bands = {0, 0.3, 0.6, 0.8, 0.9, 1.01};
        results.forEach((set, scores) -> {
            System.out.println();
            System.out.println("| " + set + ": confidence | pages | mean F1 | F1 < 0.8 |");
            System.out.println("|---|---|---|---|");
            for (int i = 0; i + 1 < bands.length; i++) {
                double lo = bands[i], hi = bands[i + 1];
                List<Score> band =
                        scores.stream()
                                .filter(x ->
                                        x.confidence().score() >= lo && x.confidence().score() < hi)
                                .toList();
                System.out.println(
                        confidenceRow(
                                String.format(Locale.ROOT, "%.1f–%.1f", lo, Math.min(hi, 1)),
                                band));
            }
            Map<Extractor.Stage, List<Score>> byStage = new TreeMap<>();
            for (Score x : scores) {
                byStage.computeIfAbsent(x.confidence().stage(), k -> new ArrayList<>()).add(x);
            }
            byStage.forEach(
                    (stage, list) -> System.out.println(confidenceRow("stage " + stage, list)));
        });
    }

    private static String confidenceRow(String name, List<Score> scores) {
        double f1 = scores.stream().mapToDouble(Score::f1).average().orElse(Double.NaN);
        long bad = scores.stream().filter(x -> x.f1() < 0.8).count();
        return String.format(Locale.ROOT, "| %s | %d | %.3f | %d |", name, scores.size(), f1, bad);
    }

    // ------------------------------------------------------------------------------------------------
    // Metadata
    // ------------------------------------------------------------------------------------------------

    /** A metadata field: its name in the gold file and how plinth's value is read. */
    private record Field(String gold, Function<Metadata, String> ours) {}

    private static final List<Field> FIELDS =
            List.of(
                    new Field("title", Metadata::title),
                    new Field("byline", Metadata::byline),
                    new Field("publishedTime", Metadata::publishedTime),
                    new Field("lang", Metadata::lang),
                    new Field("siteName", Metadata::siteName));

    /**
     * Compares each field with the gold after collapsing white space (and, for the language, case;
     * see {@link #same} for times and bylines). A field the gold leaves null counts as right when
     * plinth leaves it empty too. "Right of given" is the share right among the pages whose gold
     * has a value; "extra" counts values plinth finds where the gold has none (Readability reads
     * fewer sources, so these are often right).
     */
    private static void metadata(List<ReadabilityPages.Sample> samples, boolean diff) {
        int[] right = new int[FIELDS.size()];
        int[] given = new int[FIELDS.size()];
        int[] rightOfGiven = new int[FIELDS.size()];
        int[] missing = new int[FIELDS.size()];
        int[] wrong = new int[FIELDS.size()];
        int[] spurious = new int[FIELDS.size()];
        List<String> diffs = new ArrayList<>();
        for (ReadabilityPages.Sample s : samples) {
            Metadata m = Extractor.metadata(Jsoup.parse(s.html(), ReadabilityPages.URL));
            for (int i = 0; i < FIELDS.size(); i++) {
                Field f = FIELDS.get(i);
                JsonNode g = s.metadata().get(f.gold());
                String gold = g == null || g.isNull() ? "" : normalise(g.asText(), f.gold());
                String ours = normalise(f.ours().apply(m), f.gold());
                boolean ok = same(gold, ours, f.gold());
                right[i] += ok ? 1 : 0;
                if (!gold.isEmpty()) {
                    given[i]++;
                    rightOfGiven[i] += ok ? 1 : 0;
                    missing[i] += ours.isEmpty() ? 1 : 0;
                    wrong[i] += !ok && !ours.isEmpty() ? 1 : 0;
                } else if (!ours.isEmpty()) {
                    spurious[i]++;
                }
                if (!ok) {
                    diffs.add(
                            String.format(
                                    "%s %s: gold \"%s\", plinth \"%s\"",
                                    s.id(), f.gold(), gold, ours));
                }
            }
        }
        System.out.println();
        System.out.printf(
                Locale.ROOT,
                "Metadata on the readability set (%d pages; expected-metadata.json)%n",
                samples.size());
        System.out.println(
                "| field | right | right of given | given | missing | wrong | extra (gold has none) |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int i = 0; i < FIELDS.size(); i++) {
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %.3f | %.3f | %d | %d | %d | %d |%n",
                    FIELDS.get(i).gold(),
                    right[i] / (double) samples.size(),
                    given[i] == 0 ? 0 : rightOfGiven[i] / (double) given[i],
                    given[i],
                    missing[i],
                    wrong[i],
                    spurious[i]);
        }
        if (diff) {
            System.out.println();
            diffs.forEach(System.out::println);
        }
    }

    /**
     * Equal after normalising; times are equal when they name the same instant (or the same local
     * time, or day, when one has no more), and a byline is right when the gold (Readability's
     * byline, which is the page's text: "By Jane Doe March 3, 2015") holds the name plinth gives,
     * as whole words.
     */
    private static boolean same(String gold, String ours, String field) {
        if (gold.equals(ours)) {
            return true;
        }
        if (gold.isEmpty() || ours.isEmpty()) {
            return false;
        }
        return switch (field) {
            case "publishedTime" -> sameTime(gold, ours);
            case "byline" ->
                    (" " + gold.toLowerCase(Locale.ROOT) + " ")
                            .contains(" " + ours.toLowerCase(Locale.ROOT) + " ");
            default -> false;
        };
    }

    private static boolean sameTime(String a, String b) {
        java.time.temporal.TemporalAccessor x = time(a), y = time(b);
        if (x == null || y == null) {
            return false;
        }
        if (x instanceof java.time.OffsetDateTime ox && y instanceof java.time.OffsetDateTime oy) {
            return ox.toInstant().equals(oy.toInstant());
        }
        String lx = localOf(x), ly = localOf(y);
        return lx.startsWith(ly) || ly.startsWith(lx);
    }

    private static String localOf(java.time.temporal.TemporalAccessor t) {
        return t instanceof java.time.OffsetDateTime o
                ? o.toLocalDateTime().toString()
                : t.toString();
    }

    /** An ISO-like time: with an offset, a local date and time, or a date. */
    private static java.time.temporal.TemporalAccessor time(String s) {
        String t = s.strip().replace(' ', 'T').replaceAll("([+-]\\d\\d)(\\d\\d)$", "$1:$2");
        t = t.replaceAll("T([+-])", "$1");
        try {
            return java.time.OffsetDateTime.parse(t);
        } catch (java.time.format.DateTimeParseException e) {
            // no offset
        }
        try {
            return java.time.LocalDateTime.parse(t.replaceAll("Z$", ""));
        } catch (java.time.format.DateTimeParseException e) {
            // no time
        }
        try {
            return java.time.LocalDate.parse(t.length() >= 10 ? t.substring(0, 10) : t);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static String normalise(String s, String field) {
        if (s == null) {
            return "";
        }
        s = s.strip().replaceAll("\\s+", " ");
        return field.equals("lang") ? s.toLowerCase(Locale.ROOT) : s;
    }
}
