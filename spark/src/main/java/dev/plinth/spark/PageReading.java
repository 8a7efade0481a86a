package dev.plinth.spark;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Charsets;
import dev.plinth.reader.fetch.FetchException;
import dev.plinth.reader.fetch.Fetcher;
import java.net.URI;
import java.time.Duration;

/**
 * The one place the batch job builds and calls the reader: a fetch that shows its HTTP status (so
 * the scheduler can retry a 429 or a 5xx), and the conversion of a fetched or captured page.
 *
 * <p>A fetched page is converted exactly as {@link Reader#read} converts one it loads itself: a
 * request naming the URL asked for and carrying the page, so the options' base rule applies. A
 * captured page (WARC record, a table's {@code html}) is decoded the way {@code plinth read}
 * decodes a file ({@link Charsets#page}) and read as if served from its URL.
 */
final class PageReading implements AutoCloseable {

    /** What one fetch attempt gave: a page (any status), or the failure. */
    record Fetched(Page page, ReaderException failure) {
        /** The HTTP status, or 0 when no response came back. */
        int status() {
            if (page != null) {
                return page.status();
            }
            return failure instanceof FetchException f ? f.status() : 0;
        }
    }

    private final Reader reader;
    private final Fetcher fetcher;

    PageReading(boolean allowPrivateNetwork, Duration timeout) {
        Fetcher.Settings settings =
                Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(allowPrivateNetwork);
        if (timeout != null) {
            settings =
                    new Fetcher.Settings(
                            settings.allowPrivateNetwork(),
                            timeout,
                            settings.maxWireBytes(),
                            settings.maxDecodedBytes());
        }
        this.fetcher = new Fetcher(settings);
        // The scheduler fetches (it must see each status to retry); the reader only converts.
        this.reader = new Reader(fetcher);
    }

    /** Fetches {@code url} once; HTTP error statuses come back as pages, not failures. */
    Fetched fetch(URI url, Options options) {
        try {
            return new Fetched(fetcher.fetch(url, options.fetch()), null);
        } catch (ReaderException e) {
            return new Fetched(null, e);
        }
    }

    /** Reads a page fetched from {@code requested}. */
    Result convertFetched(Page page, URI requested, Options options) throws ReaderException {
        return reader.read(new Request(requested, page, options));
    }

    /** Reads captured bytes served from {@code url} with the given Content-Type (may be null). */
    Result convertCaptured(URI url, byte[] body, String contentType, Options options)
            throws ReaderException {
        return reader.convert(Charsets.page(url, body, contentType), options);
    }

    @Override
    public void close() {
        reader.close();
    }
}
