package dev.plinth.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.lm.LmException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP answers. Reader routes answer in the hosted reader's
 * shape, {@code {"code":422,"status":42206,"name":"…","message":"…","readableMessage":"…"}}; model
 * routes ({@code /v1/…}) in Jina's and OpenAI's at once, {@code {"detail":"…","error":{"message":
 * "…","type":"invalid_request_error","param":null,"code":"validation"}}}. Anything unexpected is
 * logged here with its stack trace and answered with a generic 500: no trace ever reaches a client.
 */
final class Errors {

    private static final Logger LOG = LoggerFactory.getLogger(Errors.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A failure reduced to what the client sees; {@code errors} lists a JSON answer's schema
     * violations (empty otherwise).
     */
    record Failure(
            int status, String name, String message, long retryAfterSeconds, List<String> errors) {
        Failure(int status, String name, String message, long retryAfterSeconds) {
            this(status, name, message, retryAfterSeconds, List.of());
        }
    }

    private Errors() {}

    /** Installs the mapping on {@code app}. */
    static void install(Javalin app) {
        app.exception(Exception.class, (e, ctx) -> answer(ctx, classify(e, ctx)));
        app.error(
                404,
                ctx -> {
                    if (!isJson(ctx)) {
                        answer(
                                ctx,
                                new Failure(
                                        404,
                                        "NotFoundError",
                                        "no route for " + ctx.method() + " " + ctx.path(),
                                        0));
                    }
                });
        app.error(
                405,
                ctx ->
                        answer(
                                ctx,
                                new Failure(
                                        405,
                                        "MethodNotAllowedError",
                                        ctx.method() + " is not allowed on " + ctx.path(),
                                        0)));
    }

    /**
     * What {@code e} means for the client: known failures keep their status, the rest are a logged
     * 500.
     */
    static Failure classify(Throwable e, Context ctx) {
        if (e instanceof ApiException api) {
            return new Failure(api.status(), api.name(), api.getMessage(), api.retryAfterSeconds());
        }
        if (e instanceof ReaderException re && re.getCause() instanceof LmException lm) {
            return lmFailure(lm);
        }
        if (e instanceof ReaderException re) {
            return new Failure(re.kind().status(), readerName(re.kind()), re.getMessage(), 0);
        }
        if (e instanceof HttpResponseException http && http.getStatus() < 500) {
            return new Failure(http.getStatus(), httpName(http.getStatus()), http.getMessage(), 0);
        }
        LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), e);
        return new Failure(
                500,
                "InternalServerError",
                "the server failed to handle this request; it has been logged",
                0);
    }

    /**
     * A language-model failure: its kind carries the status (400, 413, 422 for a schema still
     * broken after the retry, 429 for a full queue or a backend that kept refusing, 502 for a
     * backend down, failing or answering nonsense, 504 past the deadline).
     */
    private static Failure lmFailure(LmException lm) {
        String name =
                switch (lm.kind()) {
                    case BAD_REQUEST -> "ParamValidationError";
                    case TOO_LARGE -> "PayloadTooLargeError";
                    case SCHEMA_MISMATCH -> "SchemaValidationError";
                    case OVERLOADED -> "TooManyRequestsError";
                    case BACKEND_ERROR, BAD_RESPONSE, UNAVAILABLE -> "LanguageModelBackendError";
                    case TIMEOUT -> "LanguageModelTimeoutError";
                };
        String prefix =
                switch (lm.kind()) {
                    case BACKEND_ERROR, BAD_RESPONSE, UNAVAILABLE, TIMEOUT ->
                            "the language-model backend failed: ";
                    default -> "";
                };
        return new Failure(
                lm.kind().status(),
                name,
                prefix + lm.getMessage(),
                lm.retryAfterSeconds(),
                lm.errors());
    }

    /** Writes {@code failure} as the response, in the shape of the route. */
    static void answer(Context ctx, Failure failure) {
        ctx.status(failure.status());
        if (failure.retryAfterSeconds() > 0) {
            ctx.header("Retry-After", Long.toString(failure.retryAfterSeconds()));
        }
        ctx.contentType("application/json; charset=utf-8");
        ctx.result(body(ctx.path(), failure));
    }

    /** The JSON body for {@code failure} on a route at {@code path}. */
    static String body(String path, Failure failure) {
        ObjectNode body = JSON.createObjectNode();
        if (path.startsWith("/v1/")) {
            // Jina's clients read detail, OpenAI's SDKs error.message: both, with the same text.
            body.put("detail", failure.message());
            ObjectNode error = body.putObject("error");
            error.put("message", failure.message());
            error.put("type", openAiType(failure.status()));
            error.putNull("param");
            error.put("code", snakeCase(failure.name()));
        } else {
            body.putNull("data");
            body.put("code", failure.status());
            body.put("name", failure.name());
            body.put("status", failure.status() * 100 + subCode(failure.name()));
            body.put("message", failure.message());
            body.put("readableMessage", failure.name() + ": " + failure.message());
            // The API's own convention for a 4xx/5xx: the message again as detail.
            body.put("detail", failure.message());
        }
        if (!failure.errors().isEmpty()) {
            body.set("errors", JSON.valueToTree(failure.errors()));
        }
        return body.toString();
    }

    /** OpenAI's error {@code type} for a status: what its SDKs and users switch on. */
    static String openAiType(int status) {
        return switch (status) {
            case 401, 403 -> "authentication_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    /**
     * {@code ModelNotFoundError} → {@code model_not_found}: the error name as OpenAI's codes read.
     */
    static String snakeCase(String name) {
        String base = name.endsWith("Error") ? name.substring(0, name.length() - 5) : name;
        return base.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    private static boolean isJson(Context ctx) {
        String type = ctx.res().getContentType();
        return type != null && type.startsWith("application/json");
    }

    private static String readerName(ReaderException.Kind kind) {
        return switch (kind) {
            case BAD_OPTION -> "ParamValidationError";
            case CONFLICT -> "RobotsTxtDisallowedError";
            case TOO_LARGE -> "PayloadTooLargeError";
            case UNREADABLE -> "AssertionFailureError";
            case BLOCKED -> "SecurityCompromiseError";
        };
    }

    private static String httpName(int status) {
        return switch (status) {
            case 400 -> "ParamValidationError";
            case 404 -> "NotFoundError";
            case 405 -> "MethodNotAllowedError";
            case 413 -> "PayloadTooLargeError";
            case 415 -> "UnsupportedMediaTypeError";
            default -> "HttpError" + status;
        };
    }

    /** The last two digits of the five-digit status: which error of its HTTP class this is. */
    private static int subCode(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "authenticationrequirederror", "budgetexceedederror", "assertionfailureerror" -> 1;
            case "authenticationfailederror", "robotstxtdisallowederror" -> 3;
            case "securitycompromiseerror" -> 2;
            default -> 0;
        };
    }
}
