package dev.plinth.server;

import dev.plinth.models.ModelException;
import dev.plinth.models.ModelRegistry;
import dev.plinth.models.Reranker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code plinth rerank --query Q [FILE]}: ranks the lines of a file (or stdin), one document a
 * line, against a query and prints them best first as {@code score<TAB>line<TAB>text} — line
 * numbers from 1, so the output sorts, cuts and joins like any other tab-separated text. Blank
 * lines are not documents. Any number of lines: they are ranked {@link Reranker#MAX_DOCUMENTS} at a
 * time, which changes nothing since every document is scored on its own.
 */
@Command(
        name = "rerank",
        mixinStandardHelpOptions = true,
        description = "Rank documents (one per line, from FILE or stdin) by relevance to a query.")
final class RerankCommand implements Callable<Integer> {

    @Option(
            names = {"-q", "--query"},
            required = true,
            description = "The query.")
    String query;

    @Parameters(
            arity = "0..1",
            paramLabel = "FILE",
            description = "Documents, one per line (default: stdin).")
    Path file;

    @Option(
            names = {"-m", "--model"},
            description =
                    "Rerank model (default: the server's default, e.g. bge-small-en-v1.5-int8-maxsim).")
    String model;

    @Option(
            names = {"-n", "--top-n"},
            description = "Print only the best N.")
    Integer topN;

    @Override
    public Integer call() throws IOException {
        List<String> lines =
                file == null
                        ? new BufferedReader(
                                        new InputStreamReader(System.in, StandardCharsets.UTF_8))
                                .lines()
                                .toList()
                        : Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Integer> lineNumbers = new ArrayList<>();
        List<String> documents = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            lineNumbers.add(i + 1);
            documents.add(lines.get(i));
        }
        if (documents.isEmpty()) {
            System.err.println("plinth rerank: no documents (give a file, or lines on stdin)");
            return 2;
        }
        if (topN != null && topN < 1) {
            System.err.println("plinth rerank: --top-n must be at least 1");
            return 2;
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        try (ModelRegistry registry = ModelRegistry.create()) {
            Reranker reranker = new Reranker(registry);
            List<Reranker.Result> all = new ArrayList<>(documents.size());
            String used = null;
            for (int from = 0; from < documents.size(); from += Reranker.MAX_DOCUMENTS) {
                int to = Math.min(documents.size(), from + Reranker.MAX_DOCUMENTS);
                Reranker.Ranking ranking =
                        reranker.rerank(model, query, documents.subList(from, to), null);
                used = ranking.model();
                for (Reranker.Result r : ranking.results())
                    all.add(new Reranker.Result(from + r.index(), r.score()));
            }
            all.sort(
                    Comparator.comparingDouble(Reranker.Result::score)
                            .reversed()
                            .thenComparingInt(Reranker.Result::index));
            int shown = topN == null ? all.size() : Math.min(topN, all.size());
            for (Reranker.Result r : all.subList(0, shown)) {
                out.printf(
                        "%.4f\t%d\t%s%n",
                        r.score(), lineNumbers.get(r.index()), documents.get(r.index()));
            }
            out.flush();
            System.err.println(
                    "plinth rerank: " + documents.size() + " documents ranked with " + used);
            return 0;
        } catch (ModelException e) {
            System.err.println("plinth rerank: " + e.getMessage());
            return e.reason() == ModelException.Reason.INVALID_INPUT
                            || e.reason() == ModelException.Reason.UNKNOWN_MODEL
                    ? 2
                    : 1;
        }
    }
}
