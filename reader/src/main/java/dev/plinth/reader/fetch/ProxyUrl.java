package dev.plinth.reader.fetch;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A proxy to fetch through, as a request names it: {@code http://}, {@code https://} (TLS to the
 * proxy) or {@code socks5://}, each with optional {@code user:password@} credentials
 * (percent-encoded where they hold {@code :} or {@code @}) and a port that defaults to the scheme's
 * (80, 443, 1080).
 *
 * <p>{@code socks5h://} is accepted as a synonym of {@code socks5://}: either way the target's name
 * is resolved here and judged by the SSRF guard, and the proxy is asked for the vetted address, so
 * a proxy with another view of DNS cannot take the request somewhere the guard refused. SOCKS4 has
 * no authentication and no IPv6 and is refused, as is anything that is not one of the forms above.
 *
 * @param scheme how the proxy is spoken to
 * @param host the proxy's host name or address literal (no brackets)
 * @param port the proxy's port
 * @param user user name for the proxy, null when none
 * @param password password for the proxy, null when none
 */
public record ProxyUrl(Scheme scheme, String host, int port, String user, String password) {

    /** The forms a proxy URL may take, for help texts and error messages. */
    public static final String FORMS =
            "http://[user:password@]host[:port], https://[user:password@]host[:port]"
                    + " or socks5://[user:password@]host[:port]";

    /** How the proxy is spoken to. */
    public enum Scheme {
        /** An HTTP proxy: absolute-form requests for http targets, CONNECT for https. */
        HTTP(80),
        /** The same over TLS to the proxy. */
        HTTPS(443),
        /** A SOCKS5 proxy (RFC 1928), with user/password authentication (RFC 1929). */
        SOCKS5(1080);

        private final int defaultPort;

        Scheme(int defaultPort) {
            this.defaultPort = defaultPort;
        }
    }

    /** Parses {@code value}; throws IllegalArgumentException saying which forms are accepted. */
    public static ProxyUrl parse(String value) {
        URI uri;
        try {
            uri = new URI(value.strip());
        } catch (URISyntaxException e) {
            throw refused(value, "it is not a URL");
        }
        String name = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        Scheme scheme =
                switch (name) {
                    case "http" -> Scheme.HTTP;
                    case "https" -> Scheme.HTTPS;
                    case "socks5", "socks5h" -> Scheme.SOCKS5;
                    case "" -> throw refused(value, "it names no scheme");
                    default -> throw refused(value, "the scheme " + name + ": is not supported");
                };
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw refused(value, "it names no host");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/"))
                || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw refused(value, "a proxy URL has no path, query or fragment");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? "" : decode(info.substring(colon + 1));
            if (scheme == Scheme.SOCKS5 && (user.length() > 255 || password.length() > 255)) {
                throw refused(value, "SOCKS5 user names and passwords are at most 255 bytes");
            }
        }
        int port = uri.getPort() < 0 ? scheme.defaultPort : uri.getPort();
        if (port == 0) {
            throw refused(value, "port 0 is not a port");
        }
        return new ProxyUrl(scheme, host.toLowerCase(Locale.ROOT), port, user, password);
    }

    /** Whether the proxy is given credentials. */
    public boolean hasCredentials() {
        return user != null;
    }

    /** The URL without its credentials, safe to show in messages and logs. */
    @Override
    public String toString() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return scheme.name().toLowerCase(Locale.ROOT) + "://" + h + ":" + port;
    }

    /** Percent-decodes a raw userinfo part (already legal URI text, so it parses as one). */
    private static String decode(String raw) {
        return raw.isEmpty() ? "" : URI.create("x:" + raw).getSchemeSpecificPart();
    }

    private static IllegalArgumentException refused(String value, String why) {
        return new IllegalArgumentException(
                "the proxy URL must be " + FORMS + ", not \"" + value + "\": " + why);
    }
}
