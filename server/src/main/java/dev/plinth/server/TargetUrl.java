package dev.plinth.server;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The page a {@code GET /{url}} names: everything after the first {@code /} of the request, path
 * and query, repaired the way clients of the hosted reader expect. A fully percent-encoded target
 * ({@code /https%3A%2F%2Fexample.com}) is decoded; {@code view-source:} is dropped; a scheme typed
 * twice ({@code https://https://…}) or collapsed by a proxy ({@code https:/host}) is fixed; a bare
 * host gets {@code https://}.
 */
final class TargetUrl {

    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
    private static final Pattern DOUBLED = Pattern.compile("^(?i)(https?:/+)+(?=https?:/)");
    private static final Pattern ONE_SLASH = Pattern.compile("^(?i)(https?):/(?!/)");

    private TargetUrl() {}

    /** The target of a request whose raw path (still percent-encoded) and query are given. */
    static URI fromRequest(String rawPath, String rawQuery) {
        String target = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (rawQuery != null && !rawQuery.isEmpty()) {
            target += "?" + rawQuery;
        }
        return parse(target);
    }

    /** Parses and repairs a URL as a user typed it. */
    static URI parse(String input) {
        String target = input.strip();
        if (target.isEmpty()) {
            throw ApiException.badParameter(
                    "no target URL: put it after the first slash, e.g. /https://example.com");
        }
        if (!target.contains("://") && looksEncoded(target)) {
            try {
                target = URLDecoder.decode(target.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ApiException.badParameter(
                        "the target URL is percent-encoded, but not correctly ("
                                + e.getMessage()
                                + "): "
                                + input);
            }
        }
        if (target.regionMatches(true, 0, "view-source:", 0, 12)) {
            target = target.substring(12);
        }
        target = DOUBLED.matcher(target).replaceFirst("");
        target = ONE_SLASH.matcher(target).replaceFirst("$1://");
        if (!SCHEME.matcher(target).find() || target.matches("(?i)^[a-z0-9.-]+:\\d+(/.*)?$")) {
            target = "https://" + target;
        }
        URI uri = toUri(target);
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ApiException(
                    451,
                    "SecurityCompromiseError",
                    "only http and https targets are read, not " + scheme + ":");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw ApiException.badParameter("the target URL has no host: " + input);
        }
        return uri;
    }

    private static boolean looksEncoded(String target) {
        return target.regionMatches(true, 0, "http%3A", 0, 7)
                || target.regionMatches(true, 0, "https%3A", 0, 8)
                || target.regionMatches(true, 0, "view-source%3A", 0, 14);
    }

    /**
     * Strict parsing first; a URL with characters browsers tolerate (spaces, |, ^) is quoted
     * instead.
     */
    private static URI toUri(String target) {
        try {
            return new URI(target);
        } catch (URISyntaxException strict) {
            try {
                return new URI(quoteIllegal(target));
            } catch (URISyntaxException e) {
                throw ApiException.badParameter("the target is not a valid URL: " + e.getMessage());
            }
        }
    }

    private static String quoteIllegal(String target) {
        StringBuilder out = new StringBuilder(target.length() + 16);
        byte[] bytes = target.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) {
            int c = b & 0xff;
            boolean legal = c > 0x20 && c < 0x7f && "\"<>\\^`{|}".indexOf(c) < 0;
            if (legal) {
                out.append((char) c);
            } else {
                out.append('%')
                        .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
