package dev.plinth.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.browser.Browser;
import dev.plinth.reader.Engines;
import dev.plinth.reader.Options;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Charsets;
import dev.plinth.reader.fetch.Fetcher;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code plinth read <url|file>…}: pages to Markdown (or text, HTML, JSON) on the command line.
 *
 * <p>Inputs are URLs (fetched behind the SSRF guard), HTML files ({@code .html}, {@code .htm},
 * optionally gzipped; charset detected as the fetcher detects it) and PDF files. They are read a
 * few at a time in one JVM; results go to stdout in input order (several inputs separated by a
 * {@code ==> input <==} line, or one JSON object per line) or, with {@code --out}, one file each.
 * An input that fails prints {@code plinth: <input>: <reason>} on stderr and the rest carry on; the
 * exit status is 1 when any failed.
 */
@Command(
        name = "read",
        mixinStandardHelpOptions = true,
        modelTransformer = ReadCommand.ReaderFlags.class,
        description = "Read URLs, HTML or PDF files and print their content as Markdown.")
final class ReadCommand implements Callable<Integer> {

    /** What {@code --format} accepts: the reader's formats by their wire names, and json. */
    enum Format {
        content("md", Options.Format.CONTENT),
        markdown("md", Options.Format.MARKDOWN),
        html("html", Options.Format.HTML),
        text("txt", Options.Format.TEXT),
        content_html("html", Options.Format.CONTENT_HTML),
        content_text("txt", Options.Format.CONTENT_TEXT),
        json("json", Options.Format.CONTENT);

        final String extension;
        final Options.Format value;

        Format(String extension, Options.Format value) {
            this.extension = extension;
            this.value = value;
        }
    }

    /**
     * The reader's options as flags, one per row of {@link ReaderOptions#ALL} that has one: the
     * same names, values and help as the HTTP headers, and the same parsing.
     */
    static final class ReaderFlags implements CommandLine.IModelTransformer {
        @Override
        public CommandSpec transform(CommandSpec spec) {
            for (ReaderOptions.Option option : ReaderOptions.ALL) {
                if (option.flag() == null) {
                    continue;
                }
                boolean bool = option.values().startsWith("boolean");
                spec.addOption(
                        OptionSpec.builder(option.flag())
                                .paramLabel(bool ? "BOOL" : "VALUE")
                                .arity(bool ? "0..1" : "1")
                                .fallbackValue(bool ? "true" : "")
                                .type(List.class)
                                .auxiliaryTypes(String.class)
                                .description(
                                        option.help()
                                                + " ("
                                                + option.values()
                                                + "; header "
                                                + option.header()
                                                + ")")
                                .build());
            }
            return spec;
        }
    }

    /** Local files are the user's own, but still not read without bound. */
    private static final long MAX_FILE_BYTES = 256L << 20;

    private static final int PARALLEL = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Parameters(
            arity = "1..*",
            paramLabel = "INPUT",
            description = "URLs, .html/.htm/.html.gz files or .pdf files.")
    List<String> inputs;

    @Spec CommandSpec spec;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            defaultValue = "content",
            converter = FormatConverter.class,
            description =
                    "content (main content as Markdown, default), markdown (whole page), html"
                            + " and text (whole page), content-html and content-text (main"
                            + " content), json (the API's data object).")
    Format format;

    /** {@code content-html} on the command line, {@code content_html} in Java. */
    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            return Format.valueOf(value.strip().toLowerCase(Locale.ROOT).replace('-', '_'));
        }
    }

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Write <name>.<md|txt|html|json> files here instead of stdout.")
    Path out;

    @Option(
            names = "--base",
            paramLabel = "URL",
            description =
                    "Resolve relative links and images in local files against this URL "
                            + "(default: keep them as the file has them).")
    URI base;

    @Option(
            names = "--allow-private-network",
            description =
                    "Let URLs reach private and loopback addresses (default: $PLINTH_ALLOW_PRIVATE_NETWORK).")
    boolean allowPrivateNetwork;

    @picocli.CommandLine.Mixin LmFlags lm = new LmFlags();

    @Option(
            names = "--schema",
            paramLabel = "FILE|JSON",
            description =
                    "A JSON Schema (a file, or the JSON itself): ReaderLM-v2 answers JSON that"
                            + " follows it, checked and retried once (needs --lm-url).")
    String schema;

    /** One input's outcome: the text to emit, or why it failed. */
    private record Outcome(String input, String output, String error) {}

    @Override
    public Integer call() throws IOException {
        PrintStream stdout = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        PrintStream stderr = new PrintStream(System.err, true, StandardCharsets.UTF_8);
        if (base != null
                && !(base.getHost() != null
                        && ("http".equalsIgnoreCase(base.getScheme())
                                || "https".equalsIgnoreCase(base.getScheme())))) {
            stderr.println("plinth: --base must be an absolute http(s) URL, not \"" + base + "\"");
            return 2;
        }
        if (out != null) {
            Files.createDirectories(out);
        }
        Options options;
        Server.Config models = new Server.Config();
        try {
            options = options();
            lm.apply(models);
        } catch (ApiException | IllegalArgumentException e) {
            stderr.println("plinth: " + e.getMessage());
            return 2;
        } catch (NoSuchFileException e) {
            stderr.println("plinth: --schema: no such file " + e.getMessage());
            return 2;
        }
        boolean allowPrivate =
                allowPrivateNetwork || isTrue(System.getenv("PLINTH_ALLOW_PRIVATE_NETWORK"));
        Set<String> usedNames = new HashSet<>();
        int failed = 0;
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL, inputs.size()));
        Fetcher fetcher =
                new Fetcher(Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(allowPrivate));
        try (Reader reader =
                        new Reader(
                                new Engines(
                                        fetcher,
                                        Browser.ifInstalled(new Browser.Settings(allowPrivate)),
                                        fetcher.settings().timeout()),
                                Server.lmSettings(models, fetcher));
                Progress progress =
                        Progress.to(
                                stderr,
                                "read",
                                inputs.size(),
                                inputs.size() > 1 && Progress.stderrIsTerminal())) {
            List<Future<Outcome>> futures = new ArrayList<>();
            for (String input : inputs) {
                futures.add(pool.submit(() -> readOne(reader, input, options, base)));
            }
            for (int i = 0; i < futures.size(); i++) {
                Outcome outcome = await(futures.get(i), inputs.get(i));
                if (outcome.error != null) {
                    failed++;
                    progress.println("plinth: " + outcome.input + ": " + outcome.error);
                } else if (out != null) {
                    Path file =
                            out.resolve(
                                    uniqueName(outcome.input, usedNames) + "." + format.extension);
                    Files.writeString(file, outcome.output, StandardCharsets.UTF_8);
                } else {
                    emit(stdout, outcome, i);
                }
                progress.advance(1);
            }
        } finally {
            pool.shutdownNow();
            stdout.flush();
        }
        return failed == 0 ? 0 : 1;
    }

    /** The reader's options from the flags, parsed as the HTTP API parses its headers. */
    private Options options() throws IOException {
        ParseResult parsed = spec.commandLine().getParseResult();
        Map<ReaderOptions.Option, List<String>> given = new HashMap<>();
        for (ReaderOptions.Option option : ReaderOptions.ALL) {
            if (option.flag() != null && parsed.hasMatchedOption(option.flag())) {
                given.put(option, parsed.matchedOption(option.flag()).stringValues());
            }
        }
        Options options = ReaderOptions.parse(given, ReaderOptions.ServerSide.NONE).options();
        Options.Builder b = options.toBuilder();
        boolean modelFormat =
                options.has(Options.Format.READERLM_V2) || options.has(Options.Format.VLM);
        if (!(modelFormat && (format == Format.content || format == Format.json))) {
            // --engine readerlm-v2 (or vlm) names the content's writer; --format the rest.
            b.respondWith(format.value);
        }
        if (schema != null) {
            String text = schema.strip();
            b.jsonSchema(text.startsWith("{") ? text : Files.readString(Path.of(text)));
        }
        if (format == Format.json) {
            b.linksSummary(
                            options.linksSummary() == Options.Links.NONE
                                    ? Options.Links.UNIQUE
                                    : options.linksSummary())
                    .withImagesSummary(true);
        }
        return b.build();
    }

    /** Reads one input; every failure becomes a one-line reason, never a stack trace. */
    private Outcome readOne(Reader reader, String input, Options options, URI base) {
        try {
            Result result = read(reader, input, options, base);
            String output =
                    switch (format) {
                        case json ->
                                JSON.writeValueAsString(
                                        ReaderOutput.data(
                                                result, result.tokens(), options, null, null));
                        case html -> result.html();
                        case text -> result.text();
                        default -> result.content();
                    };
            return new Outcome(input, output, null);
        } catch (ReaderException e) {
            return new Outcome(input, null, e.getMessage());
        } catch (NoSuchFileException e) {
            return new Outcome(input, null, "no such file");
        } catch (IOException e) {
            return new Outcome(
                    input,
                    null,
                    "cannot read: "
                            + (e.getMessage() == null
                                    ? e.getClass().getSimpleName()
                                    : e.getMessage()));
        } catch (RuntimeException e) {
            return new Outcome(input, null, "internal error: " + e);
        }
    }

    /**
     * Reads a URL or a file; a file's links resolve against {@code base} when given, else they stay
     * as written (its {@code file:} URL is the page's base, which the writer leaves alone).
     */
    private static Result read(Reader reader, String input, Options options, URI base)
            throws ReaderException, IOException {
        if (isUrl(input)) {
            URI url;
            try {
                url = new URI(input.strip());
            } catch (java.net.URISyntaxException e) {
                throw new ReaderException(
                        ReaderException.Kind.BAD_OPTION, "not a valid URL: " + e.getReason());
            }
            return reader.read(Request.of(url, options));
        }
        Path file = Path.of(input);
        if (!Files.exists(file)) {
            throw new NoSuchFileException(input);
        }
        if (Files.isDirectory(file)) {
            throw new IOException("is a directory");
        }
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException("larger than " + (MAX_FILE_BYTES >> 20) + " MiB");
        }
        if (base == null) {
            base = file.toAbsolutePath().toUri();
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        byte[] bytes = name.endsWith(".gz") ? gunzip(file) : Files.readAllBytes(file);
        // A PDF announces itself in its first bytes; anything else is read as HTML.
        return reader.convert(
                Charsets.page(base, bytes, name.endsWith(".pdf") ? "application/pdf" : null),
                options);
    }

    private static byte[] gunzip(Path file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            byte[] bytes = in.readNBytes((int) MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) {
                throw new IOException(
                        "decompresses to more than " + (MAX_FILE_BYTES >> 20) + " MiB");
            }
            return bytes;
        }
    }

    private void emit(PrintStream stdout, Outcome outcome, int index) {
        if (format == Format.json) {
            stdout.println(
                    outcome.output); // one JSON object per line: JSON Lines for several inputs
        } else {
            if (inputs.size() > 1) {
                stdout.print((index > 0 ? "\n" : "") + "==> " + outcome.input + " <==\n\n");
            }
            stdout.print(outcome.output);
            if (!outcome.output.endsWith("\n")) {
                stdout.print('\n');
            }
        }
        stdout.flush();
    }

    private static Outcome await(Future<Outcome> future, String input) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            return new Outcome(input, null, "internal error: " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(input, null, "interrupted");
        }
    }

    /**
     * The output file name: a file's name without its HTML/PDF extension, or a slug of a URL's host
     * and path.
     */
    static String baseName(String input) {
        if (isUrl(input)) {
            URI url = URI.create(input.strip());
            String slug =
                    (url.getHost() == null ? "" : url.getHost())
                            + (url.getPath() == null ? "" : url.getPath());
            slug =
                    slug.replaceAll("[^A-Za-z0-9._-]+", "-")
                            .replaceAll("-{2,}", "-")
                            .replaceAll("^[-.]+|[-.]+$", "");
            slug = slug.replaceAll("\\.(html?|php|aspx?)$", "");
            return slug.isEmpty() ? "page" : slug.length() > 120 ? slug.substring(0, 120) : slug;
        }
        String name = Path.of(input).getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        for (String extension : List.of(".html.gz", ".htm.gz", ".html", ".htm", ".pdf")) {
            if (lower.endsWith(extension) && lower.length() > extension.length()) {
                return name.substring(0, name.length() - extension.length());
            }
        }
        return name;
    }

    /**
     * {@link #baseName}, with {@code -2}, {@code -3}… when two inputs would write the same file.
     */
    private static String uniqueName(String input, Set<String> used) {
        String base = baseName(input);
        String name = base;
        for (int n = 2; !used.add(name.toLowerCase(Locale.ROOT)); n++) {
            name = base + "-" + n;
        }
        return name;
    }

    /** Anything with a scheme is a URL (the guard refuses the ones that are not http/https). */
    private static boolean isUrl(String input) {
        return input.strip().matches("(?i)[a-z][a-z0-9+.-]*://.*");
    }

    private static boolean isTrue(String value) {
        return value != null
                && Set.of("true", "1", "yes").contains(value.strip().toLowerCase(Locale.ROOT));
    }
}
