package dev.plinth.reader;

import java.net.URI;

/**
 * What to read: a URL to load, or content the caller already has (HTML or a PDF) with the URL it
 * should be read as coming from.
 *
 * @param url the page to load, or the base URL of {@code html}/{@code pdf}; may be null for raw
 *     input
 * @param html raw HTML to read instead of loading {@code url}; null otherwise
 * @param pdf raw PDF bytes to read instead of loading {@code url}; null otherwise
 * @param options how to read it
 */
public record Request(URI url, String html, byte[] pdf, Options options) {

    public Request {
        if (url == null && html == null && pdf == null) {
            throw new IllegalArgumentException("a request needs a url, html or pdf");
        }
        options = options == null ? Options.DEFAULTS : options;
    }

    /** Load and read {@code url}. */
    public static Request of(URI url, Options options) {
        return new Request(url, null, null, options);
    }

    /** Read raw {@code html} as if served from {@code base} (may be null). */
    public static Request ofHtml(String html, URI base, Options options) {
        return new Request(base, html, null, options);
    }

    /** Read raw PDF bytes, named by {@code base} (may be null). */
    public static Request ofPdf(byte[] pdf, URI base, Options options) {
        return new Request(base, null, pdf, options);
    }
}
