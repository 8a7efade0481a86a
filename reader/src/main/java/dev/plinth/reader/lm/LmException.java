package dev.plinth.reader.lm;

import java.util.List;

/**
 * Why an LM-backed read failed. The {@link Kind} names the HTTP status a server answers with, so
 * every failure of the LM engine is mapped in one place; {@link #retryAfterSeconds()} is set for
 * {@link Kind#OVERLOADED} and {@link #errors()} for {@link Kind#SCHEMA_MISMATCH}.
 */
public class LmException extends Exception {

    /** Failure kinds, each with the HTTP status it maps to. */
    public enum Kind {
        /** The request itself is unusable: a JSON Schema that does not parse, a missing field. */
        BAD_REQUEST(400),
        /** The page is over the size the engine accepts. */
        TOO_LARGE(413),
        /** The answer still broke the JSON Schema after one retry that quoted the errors. */
        SCHEMA_MISMATCH(422),
        /** Too many LM calls in flight and waiting here, or the backend kept answering 429. */
        OVERLOADED(429),
        /** The backend answered with an error status (500 after retries, 400, 401, 404…). */
        BACKEND_ERROR(502),
        /** The backend answered 200 with something that is not an OpenAI chat completion. */
        BAD_RESPONSE(502),
        /** The backend cannot be reached: connection refused or reset, unknown host. */
        UNAVAILABLE(502),
        /** The request's deadline passed before the answer was complete. */
        TIMEOUT(504);

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
    private final int retryAfterSeconds;
    private final List<String> errors;

    public LmException(Kind kind, String message) {
        this(kind, message, null, 0, List.of());
    }

    public LmException(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, 0, List.of());
    }

    LmException(
            Kind kind,
            String message,
            Throwable cause,
            int retryAfterSeconds,
            List<String> errors) {
        super(message, cause);
        this.kind = kind;
        this.retryAfterSeconds = retryAfterSeconds;
        this.errors = List.copyOf(errors);
    }

    /** An overload with the seconds after which a retry is likely to be served. */
    static LmException overloaded(String message, int retryAfterSeconds) {
        return new LmException(
                Kind.OVERLOADED, message, null, Math.max(1, retryAfterSeconds), List.of());
    }

    /** What went wrong, as a kind a server can map to a status. */
    public Kind kind() {
        return kind;
    }

    /** Seconds to put in {@code Retry-After} (at least 1 for an overload, else 0). */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The schema violations of the last answer, for {@link Kind#SCHEMA_MISMATCH}; else empty. */
    public List<String> errors() {
        return errors;
    }
}
