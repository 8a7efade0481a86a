package dev.plinth.reader;

import dev.plinth.reader.document.Documents;
import dev.plinth.reader.extract.Extractor;
import dev.plinth.reader.extract.Metadata;
import dev.plinth.reader.extract.PlainText;
import dev.plinth.reader.lm.ReaderLm;
import dev.plinth.reader.markdown.MarkdownOptions;
import dev.plinth.reader.markdown.MarkdownWriter;
import dev.plinth.reader.pdf.PdfReader;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
     */
    public record Settings(Duration deadline, CpuPool pool, ReaderLm lm) {
        /** The defaults. */
        public static final Settings DEFAULTS =
                new Settings(Duration.ofSeconds(30), CpuPool.shared(), null);

        /** Deadline and pool, no language model. */
        public Settings(Duration deadline, CpuPool pool) {
            this(deadline, pool, null);
        }
    }

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

    /** Converts on the pool, within the deadline, stopping the work when the caller gives up. */
    private Result convert(Page page, URI requested, Options options) throws ReaderException {
        return settings.pool()
                .run(
                        () -> convertNow(page, requested, options),
                        settings.deadline(),
                        "converting the page");
    }

    private Result convertNow(Page page, URI requested, Options options) throws ReaderException {
        Draft draft = new Draft(page, options);
        if (page.status() >= 400) {
            draft.warnings.add("Target URL returned error " + page.status());
        }
        if (page.isPdf()) {
            return readPdf(page, requested, draft);
        }
        // X-Base: links resolve against the URL asked for, or the one after redirects.
        URI base =
                options.base() == Options.Base.FINAL || requested == null ? page.url() : requested;
        if (!page.isHtml()) {
            Documents.Converted doc = Documents.convert(page);
            draft.title = doc.title();
            draft.url = page.url();
            draft.content = doc.markdown();
            if (options.has(Options.Format.TEXT) || options.has(Options.Format.HTML)) {
                draft.text = page.text();
            }
            return draft.result();
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
        return convertHtml(doc, draft);
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
                case READERLM_V2, VLM ->
                        throw new ReaderException(
                                ReaderException.Kind.BAD_OPTION,
                                "the " + format.wire() + " format is not wired to its model yet");
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
                            : new Result.Origin(page.engine(), page.loadedAt(), page.cached()));
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

    /** Closes the page source (the browser, a cache). */
    @Override
    public void close() {
        source.close();
    }
}
