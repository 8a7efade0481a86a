package dev.plinth.reader;

import dev.plinth.reader.document.Documents;
import dev.plinth.reader.extract.Extractor;
import dev.plinth.reader.extract.Metadata;
import dev.plinth.reader.extract.PlainText;
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
     */
    public record Settings(Duration deadline, CpuPool pool) {
        /** The defaults. */
        public static final Settings DEFAULTS =
                new Settings(Duration.ofSeconds(30), CpuPool.shared());
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
        return convert(page, page.url(), options);
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
        List<String> warnings = new ArrayList<>(page.warnings());
        if (page.status() >= 400) {
            warnings.add("Target URL returned error " + page.status());
        }
        if (page.isPdf()) {
            return readPdf(page, requested, options, warnings);
        }
        // X-Base: links resolve against the URL asked for, or the one after redirects.
        URI base =
                options.base() == Options.Base.FINAL || requested == null ? page.url() : requested;
        if (!page.isHtml()) {
            Documents.Converted doc = Documents.convert(page);
            return finish(
                    doc.title(),
                    null,
                    page.url(),
                    doc.markdown(),
                    null,
                    Map.of(),
                    List.of(),
                    List.of(),
                    warnings,
                    options,
                    null,
                    page);
        }
        Document doc =
                Cancellation.parse(page.text(), base == null ? "about:blank" : base.toString());
        if (page.engine() == FetchOptions.Engine.DIRECT
                && options.fetch().engine() == FetchOptions.Engine.DIRECT
                && ScriptRendered.looksSo(doc)) {
            warnings.add(
                    "The page looks script-rendered and was read without a browser; "
                            + "ask for X-Engine: browser (or auto) to render it");
        }
        return convertHtml(doc, options, warnings, page);
    }

    private Result convertHtml(Document doc, Options options, List<String> warnings, Page page)
            throws ReaderException {
        URI base = URI.create(doc.location().isEmpty() ? "about:blank" : doc.location());
        for (String selector : options.removeSelector()) {
            Selectors.select(compile(selector), doc).remove();
        }
        Metadata metadata;
        Element content;
        if (!options.targetSelector().isEmpty()) {
            metadata = Extractor.metadata(doc);
            content = new Element("div");
            for (String selector : options.targetSelector()) {
                Selectors.select(compile(selector), doc)
                        .forEach(e -> content.appendChild(e.clone()));
            }
            if (content.childNodeSize() == 0) {
                throw new ReaderException(
                        ReaderException.Kind.UNREADABLE,
                        "no element matches the target selector "
                                + String.join(", ", options.targetSelector()));
            }
        } else if (options.respondWith() == Options.Format.MARKDOWN) {
            metadata = Extractor.metadata(doc);
            content = doc.body();
        } else {
            Extractor.Extraction extraction = Extractor.extract(doc);
            metadata = extraction.metadata();
            content = extraction.content();
        }
        Cancellation.checkpoint();
        // The parser moved the document's base to <base href> when the page has one; links follow
        // it.
        content.setBaseUri(doc.baseUri());

        String text =
                switch (options.respondWith()) {
                    case HTML -> content.outerHtml();
                    case TEXT -> PlainText.of(content);
                    default -> MarkdownWriter.write(content, options.markdown());
                };
        List<Result.Link> links = options.withLinksSummary() ? links(content) : List.of();
        List<Result.Image> images = options.withImagesSummary() ? images(content) : List.of();
        String title = metadata.title() != null ? metadata.title() : doc.title();
        return finish(
                title,
                metadata.description(),
                base,
                text,
                metadata.publishedTime(),
                metadataMap(metadata),
                links,
                images,
                warnings,
                options,
                null,
                page);
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

    private Result readPdf(Page page, URI requested, Options options, List<String> warnings)
            throws ReaderException {
        String pages =
                options.pages() != null
                        ? options.pages()
                        : pageFragment(requested != null ? requested : page.url());
        PdfReader.PdfDocument doc = PdfReader.read(page.body(), pages);
        Map<String, String> metadata = new LinkedHashMap<>();
        putIfPresent(metadata, "author", doc.author());
        putIfPresent(metadata, "created", doc.created());
        putIfPresent(metadata, "modified", doc.modified());
        return finish(
                doc.title(),
                null,
                page.url(),
                doc.markdown(),
                doc.created(),
                metadata,
                List.of(),
                List.of(),
                warnings,
                options,
                doc.numPages(),
                page);
    }

    private static Result finish(
            String title,
            String description,
            URI url,
            String content,
            String publishedTime,
            Map<String, String> metadata,
            List<Result.Link> links,
            List<Result.Image> images,
            List<String> warnings,
            Options options,
            Integer numPages,
            Page page) {
        if (options.maxTokens() > 0) {
            content = Tokens.truncate(content, options.maxTokens());
        }
        return new Result(
                title == null ? "" : title.strip(),
                description,
                url == null ? null : url.toString(),
                content,
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

    /** {@code #page=3} or {@code #3} on a PDF URL selects that page. */
    private static String pageFragment(URI url) {
        String fragment = url == null ? null : url.getFragment();
        if (fragment == null) {
            return null;
        }
        String value = fragment.startsWith("page=") ? fragment.substring(5) : fragment;
        return value.matches("\\d+(-\\d+)?") ? value : null;
    }

    private static List<Result.Link> links(Element content) {
        Set<String> seen = new LinkedHashSet<>();
        List<Result.Link> links = new ArrayList<>();
        for (Element a : content.select("a[href]")) {
            String href = a.absUrl("href");
            if (!href.isEmpty() && !href.startsWith("javascript:") && seen.add(href)) {
                links.add(new Result.Link(a.text(), href));
            }
        }
        return links;
    }

    private static List<Result.Image> images(Element content) {
        Set<String> seen = new LinkedHashSet<>();
        List<Result.Image> images = new ArrayList<>();
        for (Element img : content.select("img")) {
            String src = img.hasAttr("data-src") ? img.absUrl("data-src") : img.absUrl("src");
            if (!src.isEmpty() && !src.startsWith("data:") && seen.add(src)) {
                images.add(new Result.Image(img.attr("alt"), src));
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
