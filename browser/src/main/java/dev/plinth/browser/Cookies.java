package dev.plinth.browser;

import dev.plinth.reader.ReaderException;
import java.net.URI;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the request's {@code Set-Cookie}-style cookies into the DevTools {@code
 * Network.CookieParam} shape.
 */
final class Cookies {

    private Cookies() {}

    /**
     * Parses {@code name=value; Domain=…; Path=…; Secure; HttpOnly; SameSite=…; Max-Age=…;
     * Expires=…}. Without a Domain the cookie belongs to {@code page}'s host, as if the page had
     * set it.
     */
    static Map<String, Object> parse(String cookie, URI page) throws ReaderException {
        String[] parts = cookie.split(";");
        int eq = parts[0].indexOf('=');
        if (eq <= 0) {
            throw new ReaderException(
                    ReaderException.Kind.BAD_OPTION,
                    "a cookie must read name=value, not '" + parts[0].strip() + "'");
        }
        Map<String, Object> param = new HashMap<>();
        param.put("name", parts[0].substring(0, eq).strip());
        param.put("value", parts[0].substring(eq + 1).strip());
        boolean hasDomain = false;
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].strip();
            int at = part.indexOf('=');
            String key = (at < 0 ? part : part.substring(0, at)).strip().toLowerCase(Locale.ROOT);
            String value = at < 0 ? "" : part.substring(at + 1).strip();
            switch (key) {
                case "domain" -> {
                    param.put("domain", value);
                    hasDomain = !value.isEmpty();
                }
                case "path" -> param.put("path", value);
                case "secure" -> param.put("secure", true);
                case "httponly" -> param.put("httpOnly", true);
                case "samesite" ->
                        param.put(
                                "sameSite",
                                switch (value.toLowerCase(Locale.ROOT)) {
                                    case "strict" -> "Strict";
                                    case "none" -> "None";
                                    default -> "Lax";
                                });
                case "max-age" -> {
                    try {
                        param.put(
                                "expires",
                                System.currentTimeMillis() / 1000.0 + Long.parseLong(value));
                    } catch (NumberFormatException e) {
                        throw new ReaderException(
                                ReaderException.Kind.BAD_OPTION, "bad Max-Age in cookie: " + value);
                    }
                }
                case "expires" -> {
                    try {
                        param.put(
                                "expires",
                                (double)
                                        ZonedDateTime.parse(
                                                        value, DateTimeFormatter.RFC_1123_DATE_TIME)
                                                .toEpochSecond());
                    } catch (DateTimeParseException e) {
                        throw new ReaderException(
                                ReaderException.Kind.BAD_OPTION, "bad Expires in cookie: " + value);
                    }
                }
                default -> {} // unknown attributes are ignored, as browsers do
            }
        }
        if (!hasDomain) {
            param.put("url", page.toString());
        }
        return param;
    }
}
