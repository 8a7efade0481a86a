package dev.plinth.models;

/**
 * Why a model call failed. The {@link Reason} tells a server which status to answer: bad input is
 * the caller's (422), overload is temporary (429 with {@link #retryAfterSeconds()}), a closed model
 * is a stopping server (503), the rest is ours or the model folder's.
 */
public final class ModelException extends RuntimeException {

    /** What went wrong, coarse enough to map to an HTTP status. */
    public enum Reason {
        /** The request is invalid: an unknown task, too many tokens, a bad dimension. */
        INVALID_INPUT,
        /** No such model is loaded. */
        UNKNOWN_MODEL,
        /** The model's queue is full; try again after {@link #retryAfterSeconds()}. */
        OVERLOADED,
        /** A model folder or the native runtime could not be loaded. */
        LOAD_FAILED,
        /** The runtime failed while running a loaded model. */
        RUNTIME,
        /** The registry or the model is closed (the server is stopping); nothing was run. */
        UNAVAILABLE,
        /** The caller was interrupted (its client left); what it had queued was dropped. */
        CANCELLED
    }

    private final Reason reason;
    private final int retryAfterSeconds;

    public ModelException(Reason reason, String message, Throwable cause) {
        this(reason, message, cause, 0);
    }

    private ModelException(Reason reason, String message, Throwable cause, int retryAfterSeconds) {
        super(message, cause);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    static ModelException invalid(String message) {
        return new ModelException(Reason.INVALID_INPUT, message, null);
    }

    static ModelException unavailable(String message) {
        return new ModelException(Reason.UNAVAILABLE, message, null);
    }

    static ModelException overloaded(String message, int retryAfterSeconds) {
        return new ModelException(Reason.OVERLOADED, message, null, retryAfterSeconds);
    }

    /** Why it failed. */
    public Reason reason() {
        return reason;
    }

    /** For {@link Reason#OVERLOADED}: how long to wait before retrying; 0 otherwise. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
