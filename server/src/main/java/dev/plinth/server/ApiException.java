package dev.plinth.server;

/**
 * A request the server refuses: the HTTP status, a stable error name clients can switch on, and a
 * message for people. Thrown from any handler (the reader's or the model APIs'); {@link Errors}
 * turns it into the body shape of the route that threw it.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String name;
    private final long retryAfterSeconds;

    public ApiException(int status, String name, String message) {
        this(status, name, message, 0);
    }

    /** An error that also tells the client when to try again ({@code Retry-After}, in seconds). */
    public ApiException(int status, String name, String message, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.name = name;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** A 400 for a malformed parameter. */
    public static ApiException badParameter(String message) {
        return new ApiException(400, "ParamValidationError", message);
    }

    /** A 429 with the seconds after which a retry may succeed. */
    public static ApiException tooManyRequests(String message, long retryAfterSeconds) {
        return new ApiException(
                429, "RateLimitTriggeredError", message, Math.max(1, retryAfterSeconds));
    }

    /** A 413 for a body over the cap. */
    public static ApiException tooLarge(String message) {
        return new ApiException(413, "PayloadTooLargeError", message);
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** The error's name, e.g. {@code ParamValidationError}. */
    public String name() {
        return name;
    }

    /** Seconds to wait before retrying, or 0 when the error says nothing about it. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
