package dev.plinth.reader;

import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * What a URL, a file or a browser returned: the final URL after redirects, the status, the media
 * type and the decoded body bytes with the charset they are written in.
 *
 * @param url final URL (after redirects), or the base URL given for raw HTML
 * @param status HTTP status, 200 for files and raw input
 * @param contentType media type without parameters, lower case (e.g. {@code text/html}); may be
 *     empty
 * @param charset charset of {@code body} when it is text; UTF-8 when unknown
 * @param body content bytes after content-encoding was removed
 * @param headers response headers, names lower case
 */
public record Page(
        URI url,
        int status,
        String contentType,
        Charset charset,
        byte[] body,
        Map<String, List<String>> headers) {

    public Page {
        contentType = contentType == null ? "" : contentType;
        charset = charset == null ? StandardCharsets.UTF_8 : charset;
        headers = headers == null ? Map.of() : headers;
    }

    /** A page made of HTML text the caller already has, read as if served from {@code base}. */
    public static Page ofHtml(String html, URI base) {
        return new Page(
                base,
                200,
                "text/html",
                StandardCharsets.UTF_8,
                html.getBytes(StandardCharsets.UTF_8),
                Map.of());
    }

    /** The body decoded with its charset. */
    public String text() {
        return new String(body, charset);
    }

    /** First value of a response header, or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.getFirst();
    }
}
