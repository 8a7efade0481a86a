package dev.plinth.reader.fetch;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;

import java.net.URI;
import java.time.Duration;

/** Fetches a URL over HTTP(S) behind the SSRF guard. (Skeleton.) */
public final class Fetcher {

    /**
     * Fetcher-wide limits.
     *
     * @param allowPrivateNetwork lift the SSRF guard's address check (intranet use, tests)
     * @param timeout             default deadline for a whole fetch, redirects included
     * @param maxWireBytes        cap on bytes read from the network
     * @param maxDecodedBytes     cap on bytes after content-encoding is removed
     */
    public record Settings(boolean allowPrivateNetwork, Duration timeout, long maxWireBytes, long maxDecodedBytes) {
        /** 30 s, 10 MiB on the wire and decoded, private networks refused. */
        public static final Settings DEFAULTS = new Settings(false, Duration.ofSeconds(30), 10L << 20, 10L << 20);

        /** These settings with the private-network switch set. */
        public Settings withAllowPrivateNetwork(boolean allow) {
            return new Settings(allow, timeout, maxWireBytes, maxDecodedBytes);
        }
    }

    private final Settings settings;

    public Fetcher(Settings settings) {
        this.settings = settings;
    }

    /** The settings this fetcher enforces. */
    public Settings settings() {
        return settings;
    }

    /** Fetches {@code url} honouring the request-level options (cookies, user agent, locale, timeout…). */
    public Page fetch(URI url, Options options) throws FetchException {
        throw new FetchException(dev.plinth.reader.ReaderException.Kind.UNREADABLE, url, 0, "not implemented");
    }
}
