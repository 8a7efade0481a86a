package dev.plinth.server;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's own errors in plinth's JSON shape. Requests Jetty refuses before any route sees them (a
 * header block over 8 KiB, a control character in a header, a malformed request line) would
 * otherwise get Jetty's HTML page; every error plinth answers is the documented JSON.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        return ByteBuffer.wrap(body("/", status, reason).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    protected void generateAcceptableResponse(
            Request base,
            HttpServletRequest request,
            HttpServletResponse response,
            int code,
            String message)
            throws IOException {
        base.setHandled(true);
        response.setContentType("application/json; charset=utf-8");
        response.getWriter().write(body(request.getRequestURI(), code, message));
    }

    private static String body(String path, int status, String reason) {
        String message =
                switch (status) {
                    case 431 -> "the request headers are larger than the server accepts (8 KiB)";
                    case 414 -> "the request URI is longer than the server accepts (8 KiB)";
                    default ->
                            "the request is malformed"
                                    + (reason == null || reason.isBlank() ? "" : ": " + reason);
                };
        return Errors.body(
                path == null ? "/" : path, new Errors.Failure(status, name(status), message, 0));
    }

    private static String name(int status) {
        return switch (status) {
            case 400 -> "ParamValidationError";
            case 413 -> "PayloadTooLargeError";
            case 414 -> "UriTooLongError";
            case 431 -> "HeadersTooLargeError";
            default -> "HttpError" + status;
        };
    }
}
