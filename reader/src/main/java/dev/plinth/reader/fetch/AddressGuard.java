package dev.plinth.reader.fetch;

import dev.plinth.reader.ReaderException.Kind;
import java.net.IDN;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The SSRF guard: decides whether a URL may be fetched, and to which addresses.
 *
 * <p>Implementation notes. A URL passes when its scheme is http or https, it carries no userinfo,
 * its host is not a metadata or local name, and every address its name resolves to is public. The
 * refused ranges live in one table, {@link #RULES}, each with the reason a refusal reports; IPv6
 * forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the address
 * inside. Hosts that a browser would read as IPv4 — {@code 2130706433}, {@code 0x7f.1}, {@code
 * 017700000001}, {@code 127.1} — are parsed the way the WHATWG URL standard parses them and
 * rewritten to dotted form before the check, because the system resolver accepts those forms too
 * ({@code inet_aton}) and would otherwise be a way around the table.
 *
 * <p>Checking a name and then letting the HTTP client look it up again would leave a gap (DNS
 * rebinding: the second answer may differ). So the guard resolves the name once, vets all answers
 * and returns them; {@link Fetcher} pins them in {@link GuardedResolver} for the duration of the
 * request, so the JDK HttpClient's own lookup gets exactly the vetted addresses while the Host
 * header and TLS SNI keep the real name. The browser engine can use {@link #vet} and {@link
 * #refusal} the same way for every request a page makes.
 *
 * <p>{@code allowPrivateNetwork} lifts the address and host-name checks (intranets, tests); scheme
 * and userinfo are checked regardless. Refusals are {@link FetchException}s of kind {@link
 * Kind#BLOCKED} (HTTP 451).
 */
public final class AddressGuard {

    /**
     * One refused range: a CIDR block and the reason given. {@code embeddedV4At} ≥ 0 marks an IPv6
     * block that carries an IPv4 address at that byte offset: such an address is refused only when
     * the IPv4 address inside is.
     */
    private record Rule(byte[] network, int prefix, int embeddedV4At, String reason) {}

    private static final int NO_EMBEDDED = -1;

    /** Every refused address range, in one place. The first matching rule decides. */
    private static final Rule[] RULES = {
        rule("0.0.0.0/8", "'this' network (0.0.0.0/8)"),
        rule("10.0.0.0/8", "private network (10/8)"),
        rule("100.64.0.0/10", "carrier-grade NAT (100.64/10)"),
        rule("127.0.0.0/8", "loopback (127/8)"),
        rule("169.254.0.0/16", "link-local, cloud metadata (169.254/16)"),
        rule("172.16.0.0/12", "private network (172.16/12)"),
        rule("192.0.0.0/24", "IETF protocol assignments (192.0.0/24)"),
        rule("192.0.2.0/24", "documentation (192.0.2/24)"),
        rule("192.88.99.0/24", "6to4 relay anycast (192.88.99/24)"),
        rule("192.168.0.0/16", "private network (192.168/16)"),
        rule("198.18.0.0/15", "benchmarking (198.18/15)"),
        rule("198.51.100.0/24", "documentation (198.51.100/24)"),
        rule("203.0.113.0/24", "documentation (203.0.113/24)"),
        rule("224.0.0.0/4", "multicast (224/4)"),
        rule("255.255.255.255/32", "broadcast"),
        rule("240.0.0.0/4", "reserved (240/4)"),
        rule("::/128", "unspecified IPv6 address (::)"),
        rule("::1/128", "IPv6 loopback (::1)"),
        embedding("::ffff:0:0/96", 12, "IPv4-mapped IPv6"),
        embedding("::/96", 12, "IPv4-compatible IPv6"),
        embedding("64:ff9b::/96", 12, "NAT64"),
        rule("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
        rule("100::/64", "discard-only (100::/64)"),
        rule("2001:db8::/32", "IPv6 documentation (2001:db8::/32)"),
        rule("2001::/32", "Teredo (2001::/32)"),
        embedding("2002::/16", 2, "6to4"),
        rule("fc00::/7", "IPv6 unique local (fc00::/7)"),
        rule("fe80::/10", "IPv6 link-local (fe80::/10)"),
        rule("fec0::/10", "IPv6 site-local (fec0::/10)"),
        rule("ff00::/8", "IPv6 multicast (ff00::/8)"),
    };

    /** Names that reach cloud metadata services or the machine itself whatever DNS says. */
    private static final Set<String> BLOCKED_NAMES =
            Set.of(
                    "localhost",
                    "metadata",
                    "metadata.google.internal",
                    "instance-data",
                    "metadata.azure.internal",
                    "kubernetes.default");

    /** Suffixes of names that are never public: RFC 6761 localhost, and cloud-internal zones. */
    private static final List<String> BLOCKED_SUFFIXES =
            List.of(".localhost", ".internal", ".local");

    /**
     * Appended to the refusals that {@code allowPrivateNetwork} lifts (private addresses, local and
     * metadata names), so that whoever meets the 451 learns how to read an intranet page on
     * purpose. Scheme and credential refusals do not get it: no setting lifts those.
     */
    static final String PRIVATE_TARGETS_HINT =
            "; to read private targets on purpose, start plinth with --allow-private-network"
                    + " (or PLINTH_ALLOW_PRIVATE_NETWORK=true)";

    /** Looks a host name up: all A and AAAA answers. */
    @FunctionalInterface
    interface Dns {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    /**
     * A URL that passed the guard.
     *
     * @param uri the URL to request, its host rewritten to dotted form if it was a numeric IPv4
     *     form
     * @param host the host name (lower case, no trailing dot, no brackets)
     * @param addresses the vetted addresses to connect to; empty when the address check is lifted
     *     (then the HTTP client resolves the name itself)
     */
    public record Target(URI uri, String host, List<InetAddress> addresses) {}

    private final boolean allowPrivateNetwork;
    private final Set<InetAddress> alsoAllowed;
    private final Dns dns;

    /**
     * A guard refusing every non-public address, or only checking scheme and userinfo when asked
     * to.
     */
    public AddressGuard(boolean allowPrivateNetwork) {
        this(allowPrivateNetwork, Set.of(), GuardedResolver::lookupUncached);
    }

    /**
     * A strict guard that makes exceptions for exactly {@code alsoAllowed} and resolves names with
     * {@code dns}: tests use it to reach a loopback server while every other private address — the
     * targets of the redirects under test — is still refused.
     */
    AddressGuard(boolean allowPrivateNetwork, Set<InetAddress> alsoAllowed, Dns dns) {
        this.allowPrivateNetwork = allowPrivateNetwork;
        this.alsoAllowed = Set.copyOf(alsoAllowed);
        this.dns = dns;
    }

    /** Whether the address and host-name checks are lifted. */
    public boolean allowsPrivateNetwork() {
        return allowPrivateNetwork;
    }

    /**
     * Checks {@code url} and resolves its host once; throws BLOCKED when refused, UNREADABLE when
     * DNS fails.
     */
    public Target vet(URI url) throws FetchException {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw blocked(url, "only http and https URLs may be fetched, not '" + scheme + "'");
        }
        String authority = url.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            throw blocked(url, "the URL has no host");
        }
        if (url.getRawUserInfo() != null || authority.contains("@")) {
            throw blocked(url, "URLs with credentials (user:password@) are refused");
        }
        String host = hostOf(url, authority);
        boolean rooted = host.endsWith(".") && !host.startsWith("[");
        if (rooted) {
            host = host.substring(0, host.length() - 1);
        }
        URI target = url;
        InetAddress literal = null;
        if (host.startsWith("[")) {
            literal = parseLiteral(url, host.substring(1, host.length() - 1));
            host = host.substring(1, host.length() - 1);
        } else {
            Inet4Address v4 = parseIpv4(url, host);
            if (v4 != null) {
                literal = v4;
                host = v4.getHostAddress();
                target = withHost(url, scheme, host);
            } else {
                if (!host.chars().allMatch(c -> c < 0x80)) {
                    try {
                        host = IDN.toASCII(host, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
                    } catch (IllegalArgumentException e) {
                        throw blocked(url, "'" + host + "' is not a valid host name");
                    }
                    target = withHost(url, scheme, host);
                }
                if (!isHostName(host)) {
                    throw blocked(url, "'" + host + "' is not a valid host name");
                }
                if (rooted && target == url) {
                    // "example.com." is example.com; said without the dot, as browsers say it in
                    // SNI and Host, which the JDK's TLS refuses to send with one.
                    target = withHost(url, scheme, host);
                }
            }
        }

        if (allowPrivateNetwork) {
            return new Target(target, host, List.of());
        }
        if (literal != null) {
            check(url, literal);
            return new Target(target, host, List.of(literal));
        }
        String refusedName = refusedName(host);
        if (refusedName != null) {
            throw blocked(url, refusedName + PRIVATE_TARGETS_HINT);
        }
        List<InetAddress> addresses;
        try {
            addresses = dns.resolve(host);
        } catch (UnknownHostException e) {
            throw new FetchException(
                    Kind.UNREADABLE,
                    url,
                    0,
                    "cannot resolve host " + host + " (the DNS lookup failed: no such name)",
                    e);
        }
        if (addresses.isEmpty()) {
            throw new FetchException(
                    Kind.UNREADABLE,
                    url,
                    0,
                    "cannot resolve host " + host + " (the DNS lookup returned no address)");
        }
        for (InetAddress address : addresses) {
            check(url, address);
        }
        return new Target(target, host, List.copyOf(addresses));
    }

    /** Throws BLOCKED unless {@code address} may be connected to under this guard's policy. */
    public void check(URI url, InetAddress address) throws FetchException {
        if (allowPrivateNetwork || alsoAllowed.contains(address)) {
            return;
        }
        String why = refusal(address);
        if (why != null) {
            throw blocked(
                    url,
                    "address "
                            + address.getHostAddress()
                            + " is not public: "
                            + why
                            + PRIVATE_TARGETS_HINT);
        }
    }

    /**
     * Why {@code address} is not a public address, or null when it is. Independent of any policy.
     */
    public static String refusal(InetAddress address) {
        byte[] bytes = address.getAddress();
        for (Rule rule : RULES) {
            if (rule.network.length != bytes.length || !matches(rule, bytes)) {
                continue;
            }
            if (rule.embeddedV4At == NO_EMBEDDED) {
                return rule.reason;
            }
            byte[] v4 = new byte[4];
            System.arraycopy(bytes, rule.embeddedV4At, v4, 0, 4);
            String inner = refusalV4(v4);
            return inner == null ? null : rule.reason + " embedding " + dotted(v4) + ": " + inner;
        }
        return null;
    }

    /** Why a host name is refused before any lookup (metadata and local names), or null. */
    static String refusedName(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        if (BLOCKED_NAMES.contains(name)) {
            return "'" + host + "' is a local or cloud-metadata host name";
        }
        for (String suffix : BLOCKED_SUFFIXES) {
            if (name.endsWith(suffix)) {
                return "'" + host + "' is in the non-public zone " + suffix.substring(1);
            }
        }
        return null;
    }

    /**
     * Reads {@code host} as an IPv4 address the way the WHATWG URL standard does: one to four
     * dot-separated parts, each decimal, octal (leading 0) or hex (0x); the last part fills the
     * remaining bytes. Returns null when the host is a name (its last label is not numeric), and
     * refuses a numeric host that is malformed (a browser refuses it too).
     */
    static Inet4Address parseIpv4(URI url, String host) throws FetchException {
        String[] parts = host.split("\\.", -1);
        int n = parts.length;
        if (n > 1 && parts[n - 1].isEmpty()) {
            n--;
        }
        if (!isNumericPart(parts[n - 1])) {
            return null;
        }
        if (n > 4) {
            throw blocked(url, "'" + host + "' is a malformed IPv4 address");
        }
        long[] values = new long[n];
        for (int i = 0; i < n; i++) {
            values[i] = parseIpv4Part(parts[i]);
            if (values[i] < 0 || i < n - 1 && values[i] > 255) {
                throw blocked(url, "'" + host + "' is a malformed IPv4 address");
            }
        }
        long last = values[n - 1];
        if (last >= 1L << (8 * (5 - n))) {
            throw blocked(url, "'" + host + "' is a malformed IPv4 address");
        }
        long ip = last;
        for (int i = 0; i < n - 1; i++) {
            ip += values[i] << (8 * (3 - i));
        }
        byte[] bytes = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
        try {
            return (Inet4Address) InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always a valid address
        }
    }

    private static boolean isNumericPart(String part) {
        if (part.isEmpty()) {
            return false;
        }
        if (part.startsWith("0x") || part.startsWith("0X")) {
            return part.substring(2).chars().allMatch(c -> Character.digit(c, 16) >= 0);
        }
        return part.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /**
     * One part's value, or -1 when it is not a number in its radix; capped so no part overflows.
     */
    private static long parseIpv4Part(String part) {
        if (part.isEmpty()) {
            return -1;
        }
        int radix = 10;
        String digits = part;
        if (part.startsWith("0x") || part.startsWith("0X")) {
            radix = 16;
            digits = part.substring(2);
        } else if (part.length() > 1 && part.charAt(0) == '0') {
            radix = 8;
            digits = part.substring(1);
        }
        if (digits.isEmpty()) {
            return 0;
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = Character.digit(digits.charAt(i), radix);
            if (d < 0) {
                return -1;
            }
            value = value * radix + d;
            if (value > 0xFFFF_FFFFL) {
                return Long.MAX_VALUE >> 8; // too big for any position; the caller refuses it
            }
        }
        return value;
    }

    private static InetAddress parseLiteral(URI url, String v6) throws FetchException {
        if (v6.indexOf('%') >= 0) {
            throw blocked(url, "IPv6 zone identifiers are refused");
        }
        try {
            // A bracketed literal never reaches DNS: getByName parses it.
            return InetAddress.getByName("[" + v6 + "]");
        } catch (UnknownHostException e) {
            throw blocked(url, "'" + v6 + "' is a malformed IPv6 address");
        }
    }

    private static String hostOf(URI url, String authority) {
        if (url.getHost() != null) {
            return url.getHost().toLowerCase(Locale.ROOT);
        }
        // java.net.URI leaves the host null for forms it does not know (0x7f.1, a_b.example): take
        // it from the authority, whose userinfo was already refused.
        String host = authority;
        if (!host.startsWith("[")) {
            int colon = host.lastIndexOf(':');
            if (colon >= 0) {
                host = host.substring(0, colon);
            }
        } else if (host.indexOf(']') > 0) {
            host = host.substring(0, host.indexOf(']') + 1);
        }
        return host.toLowerCase(Locale.ROOT);
    }

    private static boolean isHostName(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return false;
        }
        for (String label : host.split("\\.", -1)) {
            if (label.isEmpty()
                    || label.length() > 63
                    || label.startsWith("-")
                    || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                    return false;
                }
            }
        }
        return true;
    }

    private static URI withHost(URI url, String scheme, String host) throws FetchException {
        StringBuilder s = new StringBuilder(scheme).append("://").append(host);
        if (url.getPort() >= 0) {
            s.append(':').append(url.getPort());
        } else {
            String authority = url.getRawAuthority();
            int colon = authority.lastIndexOf(':');
            if (colon >= 0 && colon < authority.length() - 1) {
                s.append(authority.substring(colon));
            }
        }
        s.append(url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath());
        if (url.getRawQuery() != null) {
            s.append('?').append(url.getRawQuery());
        }
        try {
            return new URI(s.toString());
        } catch (URISyntaxException e) {
            throw blocked(url, "'" + url + "' is not a valid URL");
        }
    }

    private static String refusalV4(byte[] v4) {
        for (Rule rule : RULES) {
            if (rule.network.length == 4 && matches(rule, v4)) {
                return rule.reason;
            }
        }
        return null;
    }

    private static boolean matches(Rule rule, byte[] address) {
        int bits = rule.prefix;
        for (int i = 0; bits > 0; i++, bits -= 8) {
            int mask = bits >= 8 ? 0xFF : 0xFF << (8 - bits) & 0xFF;
            if ((address[i] & mask) != (rule.network[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static Rule rule(String cidr, String reason) {
        return parseRule(cidr, NO_EMBEDDED, reason);
    }

    private static Rule embedding(String cidr, int v4Offset, String reason) {
        return parseRule(cidr, v4Offset, reason);
    }

    private static Rule parseRule(String cidr, int embeddedV4At, String reason) {
        int slash = cidr.indexOf('/');
        try {
            byte[] network = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
            if (cidr.contains(":") && network.length == 4) {
                // The JDK turns ::ffff:a.b.c.d into an Inet4Address; the rule needs the 16 bytes.
                byte[] v6 = new byte[16];
                v6[10] = (byte) 0xFF;
                v6[11] = (byte) 0xFF;
                System.arraycopy(network, 0, v6, 12, 4);
                network = v6;
            }
            return new Rule(
                    network, Integer.parseInt(cidr.substring(slash + 1)), embeddedV4At, reason);
        } catch (UnknownHostException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static String dotted(byte[] v4) {
        return (v4[0] & 0xFF) + "." + (v4[1] & 0xFF) + "." + (v4[2] & 0xFF) + "." + (v4[3] & 0xFF);
    }

    private static FetchException blocked(URI url, String reason) {
        return new FetchException(Kind.BLOCKED, url, 0, reason);
    }
}
