package dev.plinth.reader;

import dev.plinth.reader.document.Documents;
import dev.plinth.reader.extract.Extractor;
import dev.plinth.reader.extract.Metadata;
import dev.plinth.reader.extract.PlainText;
import dev.plinth.reader.lm.LmException;
import dev.plinth.reader.lm.ReaderLm;
import dev.plinth.reader.markdown.MarkdownOptions;
import dev.plinth.reader.markdown.MarkdownWriter;
import dev.plinth.reader.pdf.PdfReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.select.Evaluator;

/**
 * The reader: a URL, raw HTML or a PDF in, LLM-ready content out.
 *
 * <p>Two halves with one seam between them. Loading is a {@link PageSource}'s job — the direct
 * fetcher, the browser, the engine choice over both ({@link Engines}), a cache in front ({@link
 * CachingSource}) — and depends only on {@link FetchOptions}. Converting is this class's: parse →
 * narrow (remove/target selectors) → extract the main content → write Markdown, HTML or text; PDFs
 * and other content types go to their converters. It depends only on the page and the conversion
 * options.
 *
 * <p>Conversion is CPU work whose cost grows with the page, so it runs on a {@link CpuPool} (never
 * on the caller's thread, which may be one of a server's virtual threads) under a deadline: when it
 * passes, or the caller is interrupted (its client left), the work stops at its next {@link
 * Cancellation#checkpoint()}. A {@code Reader} is thread-safe and meant to be shared.
 */
public final class Reader implements AutoCloseable {

    /**
     * Conversion settings.
     *
     * @param deadline longest a conversion may take, waiting for a worker included; <b>30 s</b>
     * @param pool where conversions run; <b>{@link CpuPool#shared()}</b>, one thread per core
     * @param lm the language-model backend for {@code readerlm-v2}, {@code vlm}, JSON schemas and
     *     generated alt text; null = none configured, and those options are refused
     * @param lmTimeout longest one read may wait for the language models; <b>120 s</b>
     * @param lmFallback let the {@code auto} engine hand a page to the language model when the
     *     heuristic extractor found almost nothing on a page with plenty of text; <b>off</b>
     * @param images loads images to caption for generated alt text (behind the caller's network
     *     guard); null = alt text only for {@code data:} images
     */
    public record Settings(
            Duration deadline,
            CpuPool pool,
            ReaderLm lm,
            Duration lmTimeout,
            boolean lmFallback,
            ReaderLm.ImageLoader images) {
        /** The defaults. */
        public static final Settings DEFAULTS =
                new Settings(Duration.ofSeconds(30), CpuPool.shared());

        /** Deadline and pool, no language model. */
        public Settings(Duration deadline, CpuPool pool) {
            this(deadline, pool, null, Duration.ofSeconds(120), false, null);
        }

        /** These settings with a language model, its deadline, the fallback and image loader. */
        public Settings withLm(
                ReaderLm lm, Duration lmTimeout, boolean lmFallback, ReaderLm.ImageLoader images) {
            return new Settings(deadline, pool, lm, lmTimeout, lmFallback, images);
        }
    }

    /**
     * Below this many characters of main content, on a page with at least {@link #UNSURE_PAGE_TEXT}
     * of text, the heuristic extraction is "unsure" and {@code lmFallback} hands the page to the
     * language model.
     */
    static final int UNSURE_CONTENT_TEXT = 250;

    /**
     * Below this extractor confidence, on such a page, it is unsure too: the content is a fallback
     * step's guess, mostly links, or nearly the whole page.
     */
    static final double UNSURE_SCORE = 0.15;

    /** Characters of text a page needs before a short extraction counts as a miss. */
    static final int UNSURE_PAGE_TEXT = 1000;

    private final PageSource source;
    private final Settings settings;

    /** A reader loading pages from {@code source}, with the default settings. */
    public Reader(PageSource source) {
        this(source, Settings.DEFAULTS);
    }

    public Reader(PageSource source, Settings settings) {
        this.source = source;
        this.settings = settings;
    }

    /** Where this reader's pages come from. */
    public PageSource source() {
        return source;
    }

    /** Loads (unless it carries its content) and reads what {@code request} names. */
    public Result read(Request request) throws ReaderException {
        Options options = request.options();
        requireModels(options);
        Page page =
                request.page() != null
                        ? request.page()
                        : source.load(request.url(), options.fetch());
        return convert(page, request.url(), options);
    }

    /**
     * Reads a page already loaded (a file, a cached response) as if fetched from {@code
     * page.url()}.
     */
    public Result convert(Page page, Options options) throws ReaderException {
        requireModels(options);
        return convert(page, page.url(), options);
    }

    /**
     * Refuses, before any work, what needs a language model this reader does not have, naming the
     * setting that provides it.
     */
    private void requireModels(Options options) throws ReaderException {
        ReaderLm lm = settings.lm();
        boolean needsLm =
                options.has(Options.Format.READERLM_V2)
                        || options.jsonSchema() != null
                        || options.instruction() != null;
        boolean needsVision = options.has(Options.Format.VLM) || options.withGeneratedAlt();
        if (needsLm && lm == null) {
            throw new ReaderException(
                    ReaderException.Kind.BAD_OPTION,
                    "readerlm-v2, instruction and jsonSchema need a language-model backend:"
                            + " start plinth with --lm-url (and --lm-model), e.g. an Ollama or"
                            + " llama.cpp server running ReaderLM-v2");
        }
        if (needsVision && (lm == null || !lm.hasVision())) {
            throw new ReaderException(
                    ReaderException.Kind.BAD_OPTION,
                    "vlm, X-With-Generated-Alt and the all_p/alt_p image modes need a vision"
                            + " model: start plinth with --vlm-url (and --vlm-model)");
        }
    }

    /**
     * Converts a page: the language-model steps run here, on the caller's thread, since they wait
     * on a backend; the CPU work runs on the pool, within the deadline, stopping when the caller
     * gives up.
     */
    private Result convert(Page page, URI requested, Options options) throws ReaderException {
        if (!page.isHtml() || page.isPdf()) {
            return heuristic(page, requested, options).result();
        }
        ReaderLm lm = settings.lm();
        Result.LmUsage captions = null;
        List<String> captionWarnings = List.of();
        if (options.withGeneratedAlt() && lm != null && lm.hasVision()) {
            // Captions are written into the page's <img alt>, so every format carries them.
            URI base = base(page, requested, options);
            Document doc = Jsoup.parse(page.text(), base == null ? "" : base.toString());
            doc.outputSettings().prettyPrint(false);
            ReaderLm.Captions written;
            try {
                written = lm.describeImages(doc, imageLoader(), settings.lmTimeout());
            } catch (LmException e) {
                throw lmFailure(e);
            }
            captions = usage(lm.settings().vlm().model(), written.usage());
            captionWarnings = written.warnings();
            page = withBody(page, doc.outerHtml());
        }
        boolean vlm = options.has(Options.Format.VLM);
        boolean readerLm =
                options.has(Options.Format.READERLM_V2)
                        || options.jsonSchema() != null
                        || options.instruction() != null;
        Options heuristicOptions = options;
        if (readerLm
                && (options.has(Options.Format.CONTENT) || options.has(Options.Format.MARKDOWN))) {
            // An instruction or schema with the default format: the model writes the content.
            Set<Options.Format> formats = EnumSet.copyOf(options.formats());
            formats.remove(Options.Format.CONTENT);
            formats.remove(Options.Format.MARKDOWN);
            formats.add(Options.Format.READERLM_V2);
            heuristicOptions = options.toBuilder().formats(formats).build();
        }
        Converted converted = heuristic(page, requested, heuristicOptions);
        Result result = converted.result();
        if (vlm) {
            result = withVlm(result, page, options);
        } else if (readerLm) {
            result = withLm(result, page, requested, options, null);
        } else if (settings.lmFallback() && lm != null && unsure(converted, options)) {
            try {
                result =
                        withLm(
                                result,
                                page,
                                requested,
                                options,
                                "The heuristic extractor was unsure of the main content ("
                                        + converted.confidence().textLength()
                                        + " of "
                                        + converted.confidence().pageTextLength()
                                        + " characters of text, confidence "
                                        + converted.confidence().score()
                                        + "); "
                                        + ReaderLm.ENGINE
                                        + " read the page");
            } catch (ReaderException e) {
                // The fallback is a second opinion: without it the heuristic answer stands.
                result =
                        copy(
                                result,
                                result.content(),
                                result.json(),
                                List.of(
                                        "The heuristic extractor was unsure of the main content,"
                                                + " and "
                                                + ReaderLm.ENGINE
                                                + " could not read the page: "
                                                + e.getMessage()),
                                result.engine(),
                                null);
            }
        }
        if (captions != null) {
            result =
                    copy(
                            result,
                            result.content(),
                            result.json(),
                            captionWarnings,
                            result.engine(),
                            plus(result.lm(), captions));
        }
        return result;
    }

    /** The heuristic conversion on the pool, within the deadline. */
    private Converted heuristic(Page page, URI requested, Options options) throws ReaderException {
        return settings.pool()
                .run(
                        () -> convertNow(page, requested, options),
                        settings.deadline(),
                        "converting the page");
    }

    /**
     * Whether {@code lmFallback} should take this page: the default format from the {@code auto}
     * engine, and an extraction that kept almost nothing of a page with plenty of text, or whose
     * confidence is very low.
     */
    private static boolean unsure(Converted converted, Options options) {
        Extractor.Confidence c = converted.confidence();
        return c != null
                && options.fetch().engine() == FetchOptions.Engine.AUTO
                && options.formats().equals(Set.of(Options.Format.CONTENT))
                && options.targetSelector().isEmpty()
                && c.pageTextLength() >= UNSURE_PAGE_TEXT
                && (c.textLength() < UNSURE_CONTENT_TEXT || c.score() < UNSURE_SCORE);
    }

    /** {@code result} with ReaderLM-v2's answer as its content (and JSON). */
    private Result withLm(Result result, Page page, URI requested, Options options, String why)
            throws ReaderException {
        ReaderLm lm = settings.lm();
        URI base = base(page, requested, options);
        ReaderLm.Output out;
        try {
            out =
                    lm.read(
                            new ReaderLm.Input(
                                    page.text(),
                                    base,
                                    options.instruction(),
                                    options.jsonSchema(),
                                    narrowing(options)),
                            settings.lmTimeout());
        } catch (LmException e) {
            throw lmFailure(e);
        }
        List<String> warnings = new ArrayList<>();
        if (why != null) {
            warnings.add(why);
        }
        warnings.addAll(out.warnings());
        int max = options.maxTokens();
        String content =
                max > 0 && out.markdown() != null
                        ? Tokens.truncate(out.markdown(), max)
                        : out.markdown();
        return copy(
                result,
                content,
                out.json() == null ? null : out.json().toString(),
                warnings,
                out.engine(),
                plus(result.lm(), usage(out.model(), out.usage())));
    }

    /** {@code result} with the vision model's reading of the page's picture as its content. */
    private Result withVlm(Result result, Page page, Options options) throws ReaderException {
        if (page.screenshot() == null) {
            throw new ReaderException(
                    ReaderException.Kind.BAD_OPTION,
                    "the vlm format reads the page's picture, and this page has none: it needs the"
                            + " browser engine (X-Engine: browser) and a URL, not raw HTML");
        }
        ReaderLm.Output out;
        try {
            out = settings.lm().readScreenshot(page.screenshot(), settings.lmTimeout());
        } catch (LmException e) {
            throw lmFailure(e);
        }
        int max = options.maxTokens();
        String content = max > 0 ? Tokens.truncate(out.markdown(), max) : out.markdown();
        return copy(
                result,
                content,
                null,
                out.warnings(),
                out.engine(),
                plus(result.lm(), usage(out.model(), out.usage())));
    }

    /** The remove and target selectors as ReaderLm's pre-selection of what to send. */
    private static java.util.function.Function<Document, Element> narrowing(Options options) {
        if (options.removeSelector().isEmpty() && options.targetSelector().isEmpty()) {
            return null;
        }
        return doc -> {
            try {
                for (String selector : options.removeSelector()) {
                    Selectors.select(compile(selector), doc).remove();
                }
                if (options.targetSelector().isEmpty()) {
                    return null;
                }
                Element chosen = new Element("div");
                for (String selector : options.targetSelector()) {
                    Selectors.select(compile(selector), doc)
                            .forEach(e -> chosen.appendChild(e.clone()));
                }
                chosen.setBaseUri(doc.baseUri());
                return chosen;
            } catch (ReaderException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        };
    }

    /** Images for captions come through the caller's loader (its network guard and caps). */
    private ReaderLm.ImageLoader imageLoader() {
        ReaderLm.ImageLoader images = settings.images();
        return images != null
                ? images
                : (url, timeout) -> {
                    throw new java.io.IOException("no image loader is configured");
                };
    }

    /** An LM failure as a reader failure; the server maps it by its cause's kind. */
    private static ReaderException lmFailure(LmException e) {
        ReaderException.Kind kind =
                switch (e.kind()) {
                    case BAD_REQUEST -> ReaderException.Kind.BAD_OPTION;
                    case TOO_LARGE -> ReaderException.Kind.TOO_LARGE;
                    default -> ReaderException.Kind.UNREADABLE;
                };
        return new ReaderException(kind, e.getMessage(), e);
    }

    private static Result.LmUsage usage(String model, ReaderLm.Usage usage) {
        return new Result.LmUsage(
                model, usage.promptTokens(), usage.completionTokens(), usage.estimated());
    }

    private static Result.LmUsage plus(Result.LmUsage a, Result.LmUsage b) {
        if (a == null) {
            return b;
        }
        return new Result.LmUsage(
                a.model(),
                a.promptTokens() + b.promptTokens(),
                a.completionTokens() + b.completionTokens(),
                a.estimated() || b.estimated());
    }

    /** {@code r} with another content, JSON, engine and usage, and more warnings. */
    private static Result copy(
            Result r,
            String content,
            String json,
            List<String> moreWarnings,
            String engine,
            Result.LmUsage lm) {
        List<String> warnings = new ArrayList<>(r.warnings());
        warnings.addAll(moreWarnings);
        return new Result(
                r.title(),
                r.description(),
                r.url(),
                content,
                r.html(),
                r.text(),
                json,
                r.publishedTime(),
                r.metadata(),
                r.links(),
                r.images(),
                warnings,
                r.numPages(),
                r.screenshot(),
                r.origin(),
                engine,
                lm);
    }

    /** {@code page} with its HTML replaced (captions written in), as UTF-8. */
    private static Page withBody(Page page, String html) {
        return new Page(
                page.url(),
                page.status(),
                "text/html",
                StandardCharsets.UTF_8,
                html.getBytes(StandardCharsets.UTF_8),
                page.headers(),
                page.warnings(),
                page.screenshot(),
                page.engine(),
                page.loadedAt(),
                page.cached());
    }

    /** X-Base: links resolve against the URL asked for, or the one after redirects. */
    private static URI base(Page page, URI requested, Options options) {
        return options.base() == Options.Base.FINAL || requested == null ? page.url() : requested;
    }

    /** A heuristic result and, for HTML that went through extraction, its confidence. */
    private record Converted(Result result, Extractor.Confidence confidence) {}

    private Converted convertNow(Page page, URI requested, Options options) throws ReaderException {
        Draft draft = new Draft(page, options);
        if (page.status() >= 400) {
            draft.warnings.add("Target URL returned error " + page.status());
        }
        if (page.isPdf()) {
            return new Converted(readPdf(page, requested, draft), null);
        }
        URI base = base(page, requested, options);
        if (!page.isHtml()) {
            Documents.Converted doc = Documents.convert(page);
            draft.title = doc.title();
            draft.url = page.url();
            draft.content = doc.markdown();
            if (options.has(Options.Format.TEXT) || options.has(Options.Format.HTML)) {
                draft.text = page.text();
            }
            return new Converted(draft.result(), null);
        }
        Document doc =
                Cancellation.parse(page.text(), base == null ? "about:blank" : base.toString());
        if (page.engine() == FetchOptions.Engine.DIRECT
                && options.fetch().engine() == FetchOptions.Engine.DIRECT
                && ScriptRendered.looksSo(doc)) {
            draft.warnings.add(
                    "The page looks script-rendered and was read without a browser; "
                            + "ask for X-Engine: browser (or auto) to render it");
        }
        Result result = convertHtml(doc, draft);
        return new Converted(result, draft.confidence);
    }

    /**
     * Narrows the page (remove, then target selectors), then writes each format asked for: the main
     * content (extracted, unless target selectors chose it) as Markdown, HTML or text; the whole
     * page as Markdown, HTML or text.
     */
    private Result convertHtml(Document doc, Draft draft) throws ReaderException {
        Options options = draft.options;
        draft.url = URI.create(doc.location().isEmpty() ? "about:blank" : doc.location());
        for (String selector : options.removeSelector()) {
            Selectors.select(compile(selector), doc).remove();
        }
        Element page = doc.body();
        if (!options.targetSelector().isEmpty()) {
            Element chosen = new Element("div");
            for (String selector : options.targetSelector()) {
                // Copies: metadata is still read from the whole document.
                Selectors.select(compile(selector), doc)
                        .forEach(e -> chosen.appendChild(e.clone()));
            }
            page = chosen;
            if (page.childNodeSize() == 0) {
                throw new ReaderException(
                        ReaderException.Kind.UNREADABLE,
                        "no element matches the target selector "
                                + String.join(", ", options.targetSelector()));
            }
        }
        // The parser moved the document's base to <base href> when the page has one; links follow
        // it wherever the content ends up.
        page.setBaseUri(doc.baseUri());
        // The whole page's outputs first: extraction takes the document apart.
        List<Result.Image> pageImages = options.withImagesSummary() ? images(page) : List.of();
        if (options.has(Options.Format.HTML)) {
            draft.html = page == doc.body() ? doc.outerHtml() : page.outerHtml();
        }
        if (options.has(Options.Format.TEXT)) {
            draft.text = PlainText.of(page);
        }
        if (options.linksSummary() != Options.Links.NONE) {
            draft.links = links(page, options.linksSummary());
        }
        Options.Format format = options.contentFormat();
        boolean extract =
                options.targetSelector().isEmpty()
                        && (format == Options.Format.CONTENT
                                || format == Options.Format.CONTENT_HTML
                                || format == Options.Format.CONTENT_TEXT);
        Metadata metadata;
        Element content = page;
        if (extract) {
            Extractor.Extraction extraction = Extractor.extract(doc);
            metadata = extraction.metadata();
            content = extraction.content();
            content.setBaseUri(doc.baseUri());
            draft.confidence = extraction.confidence();
        } else {
            metadata = Extractor.metadata(doc);
        }
        Cancellation.checkpoint();

        MarkdownOptions.Images images = options.markdown().images();
        if ((images == MarkdownOptions.Images.ALL_P || images == MarkdownOptions.Images.ALT_P)
                && (settings.lm() == null || !settings.lm().hasVision())) {
            draft.warnings.add(
                    "No vision model is configured (--vlm-url), so images keep their own alt"
                            + " text");
        }
        List<MarkdownWriter.WrittenImage> written = null;
        if (format != null) {
            switch (format) {
                case CONTENT, MARKDOWN -> {
                    MarkdownWriter.Markdown markdown =
                            MarkdownWriter.render(content, options.markdown());
                    draft.content = markdown.text();
                    written = markdown.images();
                }
                case CONTENT_HTML -> draft.content = content.outerHtml();
                case CONTENT_TEXT -> draft.content = PlainText.of(content);
                case READERLM_V2, VLM -> {
                    // Written by the language model once the CPU work is done.
                }
                default -> throw new IllegalStateException(format + " is not a content format");
            }
        }
        if (options.withImagesSummary()) {
            draft.images = written != null ? images(written) : pageImages;
        }
        draft.title = metadata.title() != null ? metadata.title() : doc.title();
        draft.description = metadata.description();
        draft.publishedTime = metadata.publishedTime();
        draft.metadata = metadataMap(metadata);
        return draft.result();
    }

    private static Evaluator compile(String selector) throws ReaderException {
        try {
            return Selectors.compile(selector);
        } catch (IllegalArgumentException e) {
            throw new ReaderException(
                    ReaderException.Kind.BAD_OPTION,
                    "invalid CSS selector \"" + selector + "\": " + e.getMessage());
        }
    }

    private Result readPdf(Page page, URI requested, Draft draft) throws ReaderException {
        Options options = draft.options;
        String pages =
                options.pages() != null
                        ? options.pages()
                        : pageFragment(requested != null ? requested : page.url());
        PdfReader.PdfDocument doc = PdfReader.read(page.body(), pages);
        draft.title = doc.title();
        draft.url = page.url();
        draft.content = doc.markdown();
        draft.publishedTime = doc.created();
        draft.numPages = doc.numPages();
        putIfPresent(draft.metadata, "author", doc.author());
        putIfPresent(draft.metadata, "created", doc.created());
        putIfPresent(draft.metadata, "modified", doc.modified());
        return draft.result();
    }

    /** A result being put together: every output starts absent, then the conversion fills in. */
    private static final class Draft {
        final Page page;
        final Options options;
        final List<String> warnings;
        String title;
        String description;
        URI url;
        String content;
        String html;
        String text;
        String publishedTime;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Result.Link> links = List.of();
        List<Result.Image> images = List.of();
        Integer numPages;
        Extractor.Confidence confidence;

        Draft(Page page, Options options) {
            this.page = page;
            this.options = options;
            this.warnings = new ArrayList<>(page.warnings());
        }

        /** The result, each output cut to the token limit. */
        Result result() {
            int max = options.maxTokens();
            return new Result(
                    title == null ? "" : title.strip(),
                    description,
                    url == null ? null : url.toString(),
                    max > 0 && content != null ? Tokens.truncate(content, max) : content,
                    max > 0 && html != null ? Tokens.truncate(html, max) : html,
                    max > 0 && text != null ? Tokens.truncate(text, max) : text,
                    null,
                    publishedTime,
                    metadata,
                    links,
                    images,
                    warnings,
                    numPages,
                    page.screenshot(),
                    page.engine() == null
                            ? null
                            : new Result.Origin(page.engine(), page.loadedAt(), page.cached()),
                    Result.HEURISTIC,
                    null);
        }
    }

    /** {@code #page=3} or {@code #3} on a PDF URL selects that page. */
    private static String pageFragment(URI url) {
        String fragment = url == null ? null : url.getFragment();
        if (fragment == null) {
            return null;
        }
        String value = fragment.startsWith("page=") ? fragment.substring(5) : fragment;
        return value.matches("\\d+(-\\d+)?") ? value : null;
    }

    /**
     * The page's links in document order: each address once under its first text ({@code UNIQUE}),
     * or every link ({@code ALL}); script links are left out.
     */
    private static List<Result.Link> links(Element page, Options.Links which) {
        Set<String> seen = new LinkedHashSet<>();
        List<Result.Link> links = new ArrayList<>();
        for (Element a : page.select("a[href]")) {
            String href = a.absUrl("href");
            if (href.isEmpty() || href.startsWith("javascript:") || href.startsWith("file:")) {
                continue;
            }
            if (which == Options.Links.ALL || seen.add(href)) {
                links.add(new Result.Link(a.text(), href));
            }
        }
        return links;
    }

    /** The images the Markdown holds, each source once with every number it was written as. */
    private static List<Result.Image> images(List<MarkdownWriter.WrittenImage> written) {
        Map<String, List<Integer>> numbers = new LinkedHashMap<>();
        Map<String, String> alts = new LinkedHashMap<>();
        for (MarkdownWriter.WrittenImage image : written) {
            numbers.computeIfAbsent(image.src(), k -> new ArrayList<>()).add(image.number());
            alts.putIfAbsent(image.src(), image.alt());
        }
        List<Result.Image> images = new ArrayList<>();
        numbers.forEach((src, n) -> images.add(new Result.Image(alts.get(src), src, n)));
        return images;
    }

    /** The page's images when no Markdown was written: each source once, in document order. */
    private static List<Result.Image> images(Element page) {
        Set<String> seen = new LinkedHashSet<>();
        List<Result.Image> images = new ArrayList<>();
        for (Element img : page.select("img")) {
            String src = img.hasAttr("data-src") ? img.absUrl("data-src") : img.absUrl("src");
            if (!src.isEmpty() && !src.startsWith("data:") && seen.add(src)) {
                images.add(new Result.Image(img.attr("alt"), src, List.of()));
            }
        }
        return images;
    }

    private static Map<String, String> metadataMap(Metadata metadata) {
        Map<String, String> map = new LinkedHashMap<>(metadata.meta());
        putIfPresent(map, "lang", metadata.lang());
        putIfPresent(map, "siteName", metadata.siteName());
        putIfPresent(map, "byline", metadata.byline());
        putIfPresent(map, "image", metadata.image());
        return map;
    }

    private static void putIfPresent(Map<String, String> map, String key, String value) {
        if (value != null && !value.isBlank()) {
            map.put(key, value);
        }
    }

    /** Closes the page source (the browser, a cache) and the language-model clients. */
    @Override
    public void close() {
        try {
            source.close();
        } finally {
            if (settings.lm() != null) {
                settings.lm().close();
            }
        }
    }
}
