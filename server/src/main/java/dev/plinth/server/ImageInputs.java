package dev.plinth.server;

import dev.plinth.reader.Page;
import dev.plinth.reader.fetch.FetchException;
import dev.plinth.reader.fetch.Fetcher;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.Locale;

/**
 * The bytes behind a model API's {@code {"image": …}} input, as Jina's API takes it: an {@code
 * http(s)} URL, a {@code data:} URL, or bare base64. URLs are fetched by the reader's {@link
 * Fetcher}, so an image passes the same SSRF guard and size and time caps as a page: a private
 * address is refused with the reader's 451 (unless the server allows private networks). A request
 * reads at most {@value #MAX_IMAGES} images and {@value #MAX_TOTAL_BYTES} bytes of them, checked as
 * they arrive, so one request never holds more than that.
 */
final class ImageInputs {

    /** The most images one request may carry. */
    static final int MAX_IMAGES = 32;

    /** The most image bytes (after base64 decoding or fetching) one request may hold. */
    static final long MAX_TOTAL_BYTES = 64L << 20;

    private final Fetcher fetcher;
    private int images;
    private long bytes;

    ImageInputs(Fetcher fetcher) {
        this.fetcher = fetcher;
    }

    /** The image's bytes; a 4xx in the API's shape naming {@code where} when it cannot be had. */
    byte[] read(String value, String where) {
        if (++images > MAX_IMAGES)
            throw ModelRequests.invalid(
                    "at most " + MAX_IMAGES + " images per request; " + where + " is one more");
        String v = value.strip();
        byte[] out;
        String lower = v.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            out = fetch(v, where);
        } else if (lower.startsWith("data:")) {
            int comma = v.indexOf(',');
            if (comma < 0 || !v.substring(0, comma).toLowerCase(Locale.ROOT).endsWith(";base64"))
                throw ModelRequests.invalid(
                        "'" + where + "' is a data URL without ';base64,' data");
            out = base64(v.substring(comma + 1), where);
        } else {
            out = base64(v, where);
        }
        bytes += out.length;
        if (bytes > MAX_TOTAL_BYTES)
            throw ApiException.tooLarge(
                    "the request's images add up to more than "
                            + MAX_TOTAL_BYTES
                            + " bytes (at "
                            + where
                            + ")");
        return out;
    }

    private byte[] fetch(String url, String where) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw ModelRequests.invalid("'" + where + "' is not a valid URL: " + e.getReason());
        }
        Page page;
        try {
            page = fetcher.fetch(uri, null);
        } catch (FetchException e) {
            // The reader's own status (451 for a refused address, 413, 422), the input named.
            String name =
                    switch (e.kind()) {
                        case BLOCKED -> "SecurityCompromiseError";
                        case TOO_LARGE -> "PayloadTooLargeError";
                        default -> "ImageFetchError";
                    };
            throw new ApiException(e.kind().status(), name, "'" + where + "': " + e.getMessage());
        }
        if (page.status() < 200 || page.status() > 299)
            throw ModelRequests.invalid(
                    "'" + where + "': " + page.url() + " answered HTTP " + page.status());
        return page.body();
    }

    private static byte[] base64(String data, String where) {
        try {
            return Base64.getMimeDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw ModelRequests.invalid(
                    "'"
                            + where
                            + "' must be an http(s) URL, a data URL or base64 image bytes ("
                            + e.getMessage()
                            + ")");
        }
    }
}
