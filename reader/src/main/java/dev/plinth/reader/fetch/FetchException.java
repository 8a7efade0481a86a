package dev.plinth.reader.fetch;

import dev.plinth.reader.ReaderException;
import java.net.URI;

/**
 * A fetch that failed: the URL it was fetching, the HTTP status if one came back (else 0), and why.
 */
public final class FetchException extends ReaderException {

    private final URI url;
    private final int status;

    public FetchException(Kind kind, URI url, int status, String reason) {
        super(kind, reason);
        this.url = url;
        this.status = status;
    }

    public FetchException(Kind kind, URI url, int status, String reason, Throwable cause) {
        super(kind, reason, cause);
        this.url = url;
        this.status = status;
    }

    /** The URL being fetched when it failed (a redirect hop, not always the one asked for). */
    public URI url() {
        return url;
    }

    /** The HTTP status received, or 0 when none was. */
    public int status() {
        return status;
    }
}
