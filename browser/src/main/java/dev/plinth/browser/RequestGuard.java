package dev.plinth.browser;

import dev.plinth.reader.ReaderException;
import dev.plinth.reader.fetch.AddressGuard;
import dev.plinth.reader.fetch.FetchException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The direct fetcher's SSRF guard ({@link AddressGuard}) applied to a browser: it judges the URLs
 * the page requests (for request interception) and the host names Chromium connects to (for the
 * {@link GuardProxy}), with the same rules and the same reasons.
 *
 * <p>Two additions: {@code alsoAllowed} names exact {@code address:port} pairs that may be reached
 * although they are not public (one intranet service; the loopback server of a test, while every
 * other private address and port stays refused), and URLs of the page's own making that never reach
 * the network ({@code data:}, {@code blob:}, {@code about:}) pass untouched.
 */
final class RequestGuard implements GuardProxy.Policy {

    private static final Set<String> LOCAL_SCHEMES = Set.of("data", "blob", "about");

    private final AddressGuard guard;
    private final Set<InetSocketAddress> alsoAllowed;

    RequestGuard(boolean allowPrivateNetwork, Set<InetSocketAddress> alsoAllowed) {
        this.guard = new AddressGuard(allowPrivateNetwork);
        this.alsoAllowed = Set.copyOf(alsoAllowed);
    }

    /**
     * Why the page may not request {@code url}, or null when it may (DNS failures pass: they fail
     * anyway).
     */
    String refusal(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "'" + url + "' is not a valid URL";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (LOCAL_SCHEMES.contains(scheme)) {
            return null;
        }
        if (scheme.equals("ws") || scheme.equals("wss")) {
            // A WebSocket handshake is an HTTP request to the same host: judge it as one.
            uri =
                    URI.create(
                            (scheme.equals("ws") ? "http" : "https")
                                    + url.substring(scheme.length()));
        }
        try {
            vet(uri);
            return null;
        } catch (FetchException e) {
            return e.kind() == ReaderException.Kind.BLOCKED ? e.getMessage() : null;
        }
    }

    /**
     * Vets {@code url} and returns the addresses it may be reached at; empty when any address may
     * be used.
     */
    List<InetAddress> vet(URI url) throws FetchException {
        if (!alsoAllowed.isEmpty()) {
            InetSocketAddress exact = exactAddress(url);
            if (exact != null && alsoAllowed.contains(exact)) {
                return List.of(exact.getAddress());
            }
        }
        return guard.vet(url).addresses();
    }

    @Override
    public InetAddress admit(String host, int port) throws GuardProxy.Refused, IOException {
        URI url;
        try {
            url = new URI("http://" + host + ":" + port + "/");
        } catch (URISyntaxException e) {
            throw new GuardProxy.Refused("'" + host + "' is not a valid host");
        }
        List<InetAddress> addresses;
        try {
            addresses = vet(url);
        } catch (FetchException e) {
            if (e.kind() == ReaderException.Kind.BLOCKED) {
                throw new GuardProxy.Refused(e.getMessage());
            }
            throw new UnknownHostException(e.getMessage());
        }
        if (!addresses.isEmpty()) {
            return addresses.getFirst();
        }
        // The address check is lifted: resolve once here, so Chromium still resolves nothing.
        String name = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return InetAddress.getByName(name);
    }

    /** The socket address of a URL whose host is an IP literal, or null for a host name. */
    private static InetSocketAddress exactAddress(URI url) {
        String host = url.getHost();
        if (host == null) {
            return null;
        }
        boolean literal = host.startsWith("[") || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!literal) {
            return null;
        }
        int port =
                url.getPort() >= 0
                        ? url.getPort()
                        : "https".equalsIgnoreCase(url.getScheme())
                                        || "wss".equalsIgnoreCase(url.getScheme())
                                ? 443
                                : 80;
        try {
            String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
            return new InetSocketAddress(
                    InetAddress.getByName(bare), port); // a literal: no DNS query
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
