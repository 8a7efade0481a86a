package dev.plinth.reader;

import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a URL, a file or a browser returned: the final URL after redirects, the status, the media
 * type and the decoded body bytes with the charset they are written in, and how it was loaded.
 *
 * @param url final URL (after redirects), or the base URL given for raw input
 * @param status HTTP status, 200 for files and raw input
 * @param contentType media type without parameters, lower case (e.g. {@code text/html}); may be
 *     empty when unknown
 * @param charset charset of {@code body} when it is text; UTF-8 when unknown
 * @param body content bytes after content-encoding was removed
 * @param headers response headers, names lower case
 * @param warnings what went wrong while loading without stopping it (a blocked sub-request, a
 *     deadline that cut rendering short)
 * @param screenshot PNG the browser took when asked to, else null
 * @param engine what loaded it: {@code DIRECT} or {@code BROWSER}; null for raw input
 * @param loadedAt when it was loaded from its origin (earlier than the read for a cached page)
 * @param cached whether this read took it from a cache
 */
public record Page(
        URI url,
        int status,
        String contentType,
        Charset charset,
        byte[] body,
        Map<String, List<String>> headers,
        List<String> warnings,
        byte[] screenshot,
        FetchOptions.Engine engine,
        Instant loadedAt,
        boolean cached) {

    public Page {
        contentType = contentType == null ? "" : contentType;
        charset = charset == null ? StandardCharsets.UTF_8 : charset;
        headers = headers == null ? Map.of() : headers;
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        loadedAt = loadedAt == null ? Instant.now() : loadedAt;
    }

    /** A page just fetched directly. */
    public Page(
            URI url,
            int status,
            String contentType,
            Charset charset,
            byte[] body,
            Map<String, List<String>> headers) {
        this(
                url,
                status,
                contentType,
                charset,
                body,
                headers,
                List.of(),
                null,
                FetchOptions.Engine.DIRECT,
                null,
                false);
    }

    /** A page made of HTML text the caller already has, read as if served from {@code base}. */
    public static Page ofHtml(String html, URI base) {
        return ofInput(base, "text/html", html.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A page made of content the caller already has (an upload, a file), read as if served from
     * {@code base}; an empty {@code contentType} lets the reader decide from the bytes.
     */
    public static Page ofInput(URI base, String contentType, byte[] body) {
        return new Page(
                base,
                200,
                contentType,
                StandardCharsets.UTF_8,
                body,
                Map.of(),
                List.of(),
                null,
                null,
                null,
                false);
    }

    /** The body decoded with its charset. */
    public String text() {
        return new String(body, charset);
    }

    /** First value of a response header, or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** Whether the body is a PDF, by its type or its first bytes. */
    public boolean isPdf() {
        return contentType.equals("application/pdf")
                || contentType.equals("application/x-pdf")
                || startsWith(body, "%PDF-");
    }

    /**
     * Whether the body is HTML: by its type, or by its first bytes when the type is missing or
     * generic.
     */
    public boolean isHtml() {
        if (contentType.equals("text/html") || contentType.equals("application/xhtml+xml")) {
            return true;
        }
        if (!contentType.isEmpty() && !contentType.equals("application/octet-stream")) {
            return false;
        }
        String head =
                new String(body, 0, Math.min(body.length, 512), charset)
                        .stripLeading()
                        .toLowerCase(Locale.ROOT);
        return head.startsWith("<!doctype html")
                || head.startsWith("<html")
                || head.contains("<body");
    }

    /** This page with one more warning. */
    public Page withWarning(String warning) {
        List<String> more = new ArrayList<>(warnings);
        more.add(warning);
        return new Page(
                url,
                status,
                contentType,
                charset,
                body,
                headers,
                more,
                screenshot,
                engine,
                loadedAt,
                cached);
    }

    /** This page as a cache hands it out. */
    public Page asCached() {
        return new Page(
                url,
                status,
                contentType,
                charset,
                body,
                headers,
                warnings,
                screenshot,
                engine,
                loadedAt,
                true);
    }

    /** This page read as if it came from {@code base} (its links resolve against it). */
    public Page at(URI base) {
        return new Page(
                base,
                status,
                contentType,
                charset,
                body,
                headers,
                warnings,
                screenshot,
                engine,
                loadedAt,
                cached);
    }

    private static boolean startsWith(byte[] bytes, String prefix) {
        if (bytes.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (bytes[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
