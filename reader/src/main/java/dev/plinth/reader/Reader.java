package dev.plinth.reader;

import dev.plinth.reader.document.Documents;
import dev.plinth.reader.extract.Extractor;
import dev.plinth.reader.extract.Metadata;
import dev.plinth.reader.extract.PlainText;
import dev.plinth.reader.fetch.Fetcher;
import dev.plinth.reader.markdown.MarkdownWriter;
import dev.plinth.reader.pdf.PdfReader;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * The reader: a URL, raw HTML or a PDF in, LLM-ready content out.
 *
 * <p>The flow is load (direct fetch or browser) → parse → narrow (remove/target selectors) →
 * extract the main content → write Markdown, HTML or text. Non-HTML content types go to the PDF and
 * document converters. A {@code Reader} is thread-safe and meant to be shared.
 */
public final class Reader implements AutoCloseable {

    private final Fetcher fetcher;
    private final Renderer renderer;

    /** A reader fetching directly, with no browser. */
    public Reader(Fetcher fetcher) {
        this(fetcher, null);
    }

    /** A reader with a browser engine for pages that need one ({@code renderer} may be null). */
    public Reader(Fetcher fetcher, Renderer renderer) {
        this.fetcher = fetcher;
        this.renderer = renderer;
    }

    /** Whether a browser engine is available. */
    public boolean hasBrowser() {
        return renderer != null;
    }

    /** Loads and reads what {@code request} names. */
    public Result read(Request request) throws ReaderException {
        Options options = request.options();
        if (request.pdf() != null) {
            return readPdf(request.pdf(), request.url(), options);
        }
        if (request.html() != null) {
            URI base = request.url() == null ? URI.create("about:blank") : request.url();
            return convert(
                    Page.ofHtml(request.html(), base), request.url(), options, List.of(), null);
        }
        return load(request.url(), options);
    }

    /**
     * Reads a page already loaded (a file, a cached response) as if fetched from {@code
     * page.url()}.
     */
    public Result convert(Page page, Options options) throws ReaderException {
        return convert(page, page.url(), options, List.of(), null);
    }

    /**
     * Loads {@code url} with the engine {@code options} ask for. {@code AUTO} fetches directly and
     * renders in the browser only when the HTML looks script-rendered ({@link ScriptRendered}),
     * within what is left of the same deadline; if the browser then fails, the page as served is
     * read, with a warning.
     */
    private Result load(URI url, Options options) throws ReaderException {
        if (options.needsBrowser()) {
            if (renderer == null) {
                throw new ReaderException(
                        ReaderException.Kind.BAD_OPTION,
                        "this option needs the browser engine, which is not available");
            }
            Renderer.Rendering rendering = renderer.render(url, options);
            return convert(
                    rendering.page(), url, options, rendering.warnings(), rendering.screenshot());
        }
        long start = System.nanoTime();
        Page page = fetcher.fetch(url, options);
        if (options.engine() != Options.Engine.AUTO
                || renderer == null
                || page.status() >= 400
                || isPdf(page.body())
                || !isHtml(page)) {
            return convert(page, url, options, List.of(), null);
        }
        // Parsed once: the same tree tells whether to render and, if not, is the one read.
        Document served = parse(page, url, options);
        if (!ScriptRendered.looksSo(served)) {
            return convertHtml(served, options, List.of(), null);
        }
        Duration budget =
                options.timeout() != null ? options.timeout() : fetcher.settings().timeout();
        Duration left = budget.minusNanos(System.nanoTime() - start);
        if (left.toMillis() < 1000) {
            return convertHtml(
                    served,
                    options,
                    List.of(
                            "The page looks script-rendered, but too little time was left to render it"),
                    null);
        }
        try {
            Renderer.Rendering rendering =
                    renderer.render(url, options.toBuilder().timeout(left).build());
            return convert(
                    rendering.page(), url, options, rendering.warnings(), rendering.screenshot());
        } catch (ReaderException e) {
            if (e.kind() == ReaderException.Kind.BLOCKED
                    || e.kind() == ReaderException.Kind.BAD_OPTION) {
                throw e;
            }
            return convertHtml(
                    served,
                    options,
                    List.of(
                            "The page looks script-rendered, but the browser failed ("
                                    + e.getMessage()
                                    + "); this is the page as served"),
                    null);
        }
    }

    private Result convert(
            Page page, URI requested, Options options, List<String> warnings, byte[] screenshot)
            throws ReaderException {
        List<String> warn = new ArrayList<>(warnings);
        if (page.status() >= 400) {
            warn.add("Target URL returned error " + page.status());
        }
        String type = page.contentType();
        if (type.equals("application/pdf")
                || type.equals("application/x-pdf")
                || isPdf(page.body())) {
            return readPdf(page.body(), page.url(), options);
        }
        if (!isHtml(page)) {
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
                    warn,
                    options,
                    null,
                    screenshot);
        }

        return convertHtml(parse(page, requested, options), options, warn, screenshot);
    }

    /** The page's HTML as a tree whose base is the URL {@link Options#base()} names. */
    private static Document parse(Page page, URI requested, Options options) {
        URI base =
                options.base() == Options.Base.FINAL || requested == null ? page.url() : requested;
        return Jsoup.parse(page.text(), base.toString());
    }

    private Result convertHtml(Document doc, Options options, List<String> warn, byte[] screenshot)
            throws ReaderException {
        URI base = URI.create(doc.location());
        for (String selector : options.removeSelector()) {
            doc.select(selector).remove();
        }
        Metadata metadata;
        Element content;
        if (!options.targetSelector().isEmpty()) {
            metadata = Extractor.metadata(doc);
            content = new Element("div");
            for (String selector : options.targetSelector()) {
                doc.select(selector).forEach(e -> content.appendChild(e.clone()));
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
                warn,
                options,
                null,
                screenshot);
    }

    private Result readPdf(byte[] pdf, URI url, Options options) throws ReaderException {
        String pages = options.pages() != null ? options.pages() : pageFragment(url);
        PdfReader.PdfDocument doc = PdfReader.read(pdf, pages);
        Map<String, String> metadata = new LinkedHashMap<>();
        putIfPresent(metadata, "author", doc.author());
        putIfPresent(metadata, "created", doc.created());
        putIfPresent(metadata, "modified", doc.modified());
        return finish(
                doc.title(),
                null,
                url,
                doc.markdown(),
                doc.created(),
                metadata,
                List.of(),
                List.of(),
                List.of(),
                options,
                doc.numPages(),
                null);
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
            byte[] screenshot) {
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
                Tokens.count(content),
                numPages,
                screenshot);
    }

    private static boolean isHtml(Page page) {
        String type = page.contentType();
        if (type.equals("text/html") || type.equals("application/xhtml+xml")) {
            return true;
        }
        if (!type.isEmpty() && !type.equals("application/octet-stream")) {
            return false;
        }
        String head =
                new String(page.body(), 0, Math.min(page.body().length, 512), page.charset())
                        .stripLeading()
                        .toLowerCase(Locale.ROOT);
        return head.startsWith("<!doctype html")
                || head.startsWith("<html")
                || head.contains("<body");
    }

    private static boolean isPdf(byte[] body) {
        return body.length >= 5
                && body[0] == '%'
                && body[1] == 'P'
                && body[2] == 'D'
                && body[3] == 'F'
                && body[4] == '-';
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

    @Override
    public void close() {
        if (renderer != null) {
            renderer.close();
        }
    }
}
