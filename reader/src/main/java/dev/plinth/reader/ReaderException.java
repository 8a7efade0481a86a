package dev.plinth.reader;

/**
 * Why a page could not be read. The {@link Kind} decides the HTTP status a server answers with, so
 * every failure the reader knows of is named here once.
 */
public class ReaderException extends Exception {

    /** Failure kinds, each with the HTTP status it maps to. */
    public enum Kind {
        /** An option value is malformed. */
        BAD_OPTION(400),
        /** robots.txt forbids the page, or the token budget would be exceeded. */
        CONFLICT(409),
        /** The page or a decoded body is over a size cap. */
        TOO_LARGE(413),
        /** The page cannot be fetched (DNS, connection, HTTP error, deadline) or has no content. */
        UNREADABLE(422),
        /** The target is refused by the SSRF guard: private address, metadata host, bad scheme. */
        BLOCKED(451);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        /** The HTTP status for this kind. */
        public int status() {
            return status;
        }
    }

    private final Kind kind;

    public ReaderException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ReaderException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** What went wrong, as a kind a server can map to a status. */
    public Kind kind() {
        return kind;
    }
}
