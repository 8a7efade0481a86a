package dev.plinth.reader;

import java.net.URI;

/**
 * What to read: a URL to load, or content the caller already has (HTML, a PDF, an uploaded file) as
 * a {@link Page} whose URL is the one it should be read as coming from.
 *
 * @param url the page to load, or the base URL of {@code page}; may be null for raw input
 * @param page content to read instead of loading {@code url}; null to load
 * @param options how to read it
 */
public record Request(URI url, Page page, Options options) {

    public Request {
        if (url == null && page == null) {
            throw new IllegalArgumentException("a request needs a url or content");
        }
        options = options == null ? Options.DEFAULTS : options;
    }

    /** Load and read {@code url}. */
    public static Request of(URI url, Options options) {
        return new Request(url, null, options);
    }

    /** Read raw {@code html} as if served from {@code base} (may be null). */
    public static Request ofHtml(String html, URI base, Options options) {
        return new Request(base, Page.ofHtml(html, base), options);
    }

    /** Read raw PDF bytes, named by {@code base} (may be null). */
    public static Request ofPdf(byte[] pdf, URI base, Options options) {
        return new Request(base, Page.ofInput(base, "application/pdf", pdf), options);
    }

    /**
     * Read content of type {@code contentType} (empty when unknown: the reader decides from the
     * bytes) as if served from {@code base}.
     */
    public static Request ofContent(byte[] content, String contentType, URI base, Options options) {
        return new Request(base, Page.ofInput(base, contentType, content), options);
    }
}
