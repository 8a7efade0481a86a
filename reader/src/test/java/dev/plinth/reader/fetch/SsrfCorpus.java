package dev.plinth.reader.fetch;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Target forms that every engine must refuse, one table for all of them: the direct fetcher, its
 * redirects, the browser engine, and the reader's AUTO engine.
 *
 * <p>Forms that reach the machine itself point at a {@link Canary} on {@code 127.0.0.2} (never at
 * 127.0.0.1, where tests keep the one loopback server they allow), so a form that slipped through
 * would be seen arriving there, in addition to failing its test's "refused" assertion. Host names
 * that resolve to private addresses are answered by {@link #resolve}, a stub for the guard's DNS
 * seam; forms that need it are marked, since the browser engine's guard asks the real resolver and
 * tests must not send queries to the network.
 */
public final class SsrfCorpus {

    /** A target that must be refused, and the trick it tries. */
    public record Form(String url, String trick, boolean needsStubDns) {
        /** The form as a URI (every form in {@link #forms} is one). */
        public URI uri() {
            return URI.create(url);
        }

        /** Whether the scheme is http or https, i.e. a browser would request it over HTTP. */
        public boolean isHttp() {
            return url.startsWith("http://") || url.startsWith("https://");
        }

        @Override
        public String toString() {
            return trick + ": " + url;
        }
    }

    /** The stub zone: names whose every or some answer is not public. */
    public static final Map<String, List<String>> ZONE =
            Map.of(
                    "loopback.example", List.of("127.0.0.2"),
                    "rebind.example", List.of("93.184.215.14", "127.0.0.2"),
                    "mapped.example", List.of("::ffff:127.0.0.2"),
                    "inside.example", List.of("10.0.0.7"),
                    "metadata-alias.example", List.of("169.254.169.254"),
                    "v6inside.example", List.of("fd00::1"),
                    "cgnat.example", List.of("100.64.1.1"),
                    "public.example", List.of("93.184.215.14"));

    private SsrfCorpus() {}

    /** Every form, those on the machine itself pointed at {@code canaryPort} on 127.0.0.2. */
    public static List<Form> forms(int canaryPort) {
        String p = Integer.toString(canaryPort);
        List<Form> f = new ArrayList<>();
        // The machine itself, in every spelling of 127.0.0.2.
        add(f, "dotted loopback", "http://127.0.0.2:{P}/", p);
        add(f, "https loopback", "https://127.0.0.2:{P}/", p);
        add(f, "decimal IPv4", "http://2130706434:{P}/", p);
        add(f, "hex IPv4", "http://0x7f000002:{P}/", p);
        add(f, "hex dotted IPv4", "http://0x7f.0.0.2:{P}/", p);
        add(f, "hex every part", "http://0x7f.0x0.0x0.0x2:{P}/", p);
        add(f, "octal IPv4", "http://017700000002:{P}/", p);
        add(f, "octal dotted IPv4", "http://0177.0.0.2:{P}/", p);
        add(f, "zero-padded octal", "http://0177.0000.0000.0002:{P}/", p);
        add(f, "dotted-short a.b", "http://127.2:{P}/", p);
        add(f, "dotted-short a.b.c", "http://127.0.2:{P}/", p);
        add(f, "hex dotted-short", "http://0x7f.2:{P}/", p);
        add(f, "trailing dot", "http://127.0.0.2.:{P}/", p);
        add(f, "IPv4-mapped IPv6", "http://[::ffff:127.0.0.2]:{P}/", p);
        add(f, "IPv4-mapped IPv6, hex", "http://[::ffff:7f00:2]:{P}/", p);
        add(f, "IPv4-mapped IPv6, long", "http://[0:0:0:0:0:ffff:127.0.0.2]:{P}/", p);
        add(f, "IPv4-compatible IPv6", "http://[::127.0.0.2]:{P}/", p);
        add(f, "NAT64", "http://[64:ff9b::127.0.0.2]:{P}/", p);
        add(f, "NAT64, hex", "http://[64:ff9b::7f00:2]:{P}/", p);
        add(f, "6to4", "http://[2002:7f00:2::]:{P}/", p);
        add(f, "percent-encoded host", "http://%31%32%37.0.0.2:{P}/", p);
        add(f, "percent-encoded last octet", "http://127.0.0.%32:{P}/", p);
        add(f, "percent-encoded dots", "http://127%2E0%2E0%2E2:{P}/", p);
        add(f, "userinfo", "http://user@127.0.0.2:{P}/", p);
        add(f, "userinfo with password", "http://user:pass@127.0.0.2:{P}/", p);
        add(f, "public name as userinfo", "http://public.example@127.0.0.2:{P}/", p);
        add(f, "public name and port as userinfo", "http://public.example:80@127.0.0.2:{P}/", p);
        add(f, "backslash before @", "http://127.0.0.2:{P}%5c@public.example/", p);
        add(f, "backslash after public name", "http://public.example%5c@127.0.0.2:{P}/", p);
        add(f, "encoded @", "http://public.example%40127.0.0.2:{P}/", p);
        add(f, "localhost", "http://localhost:{P}/", p);
        add(f, "LOCALHOST", "http://LOCALHOST:{P}/", p);
        add(f, "localhost with trailing dot", "http://localhost.:{P}/", p);
        add(f, "a localhost subdomain", "http://app.localhost:{P}/", p);
        add(f, "IPv6 loopback", "http://[::1]:{P}/", p);
        add(f, "IPv6 loopback, long", "http://[0:0:0:0:0:0:0:1]:{P}/", p);
        add(f, "unspecified IPv4", "http://0.0.0.0:{P}/", p);
        add(f, "unspecified IPv4, short", "http://0:{P}/", p);
        add(f, "unspecified IPv4, hex", "http://0x0:{P}/", p);
        add(f, "unspecified IPv6", "http://[::]:{P}/", p);
        dns(f, "name resolving to loopback", "http://loopback.example:{P}/", p);
        dns(f, "name with one loopback answer (rebinding)", "http://rebind.example:{P}/", p);
        dns(f, "name resolving to mapped loopback", "http://mapped.example:{P}/", p);
        // Private, link-local, CGNAT, ULA and metadata ranges.
        add(f, "private 10/8", "http://10.0.0.1/", p);
        add(f, "private 10/8, top", "http://10.255.255.255/", p);
        add(f, "private 172.16/12", "http://172.16.0.1/", p);
        add(f, "private 172.16/12, top", "http://172.31.255.254/", p);
        add(f, "private 192.168/16", "http://192.168.0.1/", p);
        add(f, "private 192.168/16 with port", "http://192.168.1.1:8080/", p);
        add(f, "AWS/GCP/Azure metadata", "http://169.254.169.254/latest/meta-data/", p);
        add(f, "ECS task metadata", "http://169.254.170.2/v2/credentials", p);
        add(f, "AWS metadata over IPv6", "http://[fd00:ec2::254]/latest/meta-data/", p);
        add(f, "Alibaba metadata (CGNAT)", "http://100.100.100.200/latest/meta-data/", p);
        add(f, "CGNAT 100.64/10", "http://100.64.0.1/", p);
        add(f, "CGNAT 100.64/10, top", "http://100.127.255.254/", p);
        add(f, "GCP metadata name", "http://metadata.google.internal/computeMetadata/v1/", p);
        add(f, "bare metadata name", "http://metadata/computeMetadata/v1/", p);
        add(f, "EC2 metadata name", "http://instance-data/latest/", p);
        add(f, "Kubernetes API name", "https://kubernetes.default/api", p);
        add(f, "an .internal name", "http://anything.internal/", p);
        add(f, "an mDNS .local name", "http://printer.local/", p);
        add(f, "IPv6 link-local", "http://[fe80::1]/", p);
        add(f, "IPv6 link-local with zone", "http://[fe80::1%25eth0]/", p);
        add(f, "IPv6 unique local fc00::/7", "http://[fc00::1]/", p);
        add(f, "IPv6 unique local fd00::/8", "http://[fd12:3456:789a::1]/", p);
        add(f, "IPv6 site-local", "http://[fec0::1]/", p);
        add(f, "IPv6 multicast", "http://[ff02::1]/", p);
        add(f, "IPv4 multicast", "http://224.0.0.1/", p);
        add(f, "broadcast", "http://255.255.255.255/", p);
        add(f, "reserved 240/4", "http://240.0.0.1/", p);
        add(f, "IETF 192.0.0/24", "http://192.0.0.170/", p);
        add(f, "benchmarking 198.18/15", "http://198.18.0.1/", p);
        add(f, "mapped metadata", "http://[::ffff:169.254.169.254]/", p);
        add(f, "mapped metadata, hex", "http://[::ffff:a9fe:a9fe]/", p);
        add(f, "NAT64 metadata", "http://[64:ff9b::a9fe:a9fe]/", p);
        add(f, "6to4 metadata", "http://[2002:a9fe:a9fe::]/", p);
        add(f, "mapped private", "http://[::ffff:10.0.0.1]/", p);
        add(f, "compatible private", "http://[::10.0.0.1]/", p);
        add(f, "hex metadata", "http://0xa9fea9fe/", p);
        add(f, "decimal metadata", "http://2852039166/", p);
        add(f, "octal metadata", "http://0251.0376.0251.0376/", p);
        add(f, "dotted-short metadata", "http://169.254.43518/", p);
        add(f, "hex dotted metadata", "http://0xa9.0xfe.0xa9.0xfe/", p);
        dns(f, "name resolving to 10/8", "http://inside.example/", p);
        dns(f, "name resolving to metadata", "http://metadata-alias.example/", p);
        dns(f, "name resolving to ULA", "http://v6inside.example/", p);
        dns(f, "name resolving to CGNAT", "http://cgnat.example/", p);
        // Not HTTP at all.
        add(f, "file", "file:///etc/passwd", p);
        add(f, "file with host", "file://localhost/etc/passwd", p);
        add(f, "view-source of file", "view-source:file:///etc/passwd", p);
        add(f, "view-source of loopback", "view-source:http://127.0.0.2:{P}/", p);
        add(f, "ftp", "ftp://127.0.0.2:{P}/", p);
        add(f, "gopher", "gopher://127.0.0.2:{P}/_GET%20/", p);
        add(f, "dict", "dict://127.0.0.2:{P}/info", p);
        add(f, "ldap", "ldap://127.0.0.2:{P}/", p);
        add(f, "jar", "jar:file:/tmp/x.jar!/", p);
        add(f, "netdoc", "netdoc:///etc/passwd", p);
        add(f, "javascript", "javascript:fetch('http://127.0.0.2:{P}/')", p);
        add(f, "WebSocket to loopback", "ws://127.0.0.2:{P}/", p);
        add(f, "secure WebSocket to loopback", "wss://127.0.0.2:{P}/", p);
        return List.copyOf(f);
    }

    /**
     * Locations only a redirect can carry (not valid URIs as they stand; the fetcher escapes them
     * as browsers tolerate them), each of which must be refused like the forms.
     */
    public static List<String> rawLocations(int canaryPort) {
        String p = Integer.toString(canaryPort);
        return List.of(
                "//127.0.0.2:{P}/".replace("{P}", p),
                "http:\\\\127.0.0.2:{P}/".replace("{P}", p),
                "http://127.0.0.2:{P}\\@public.example/".replace("{P}", p),
                "http://public.example\\@127.0.0.2:{P}/".replace("{P}", p),
                " http://127.0.0.2:{P}/ ".replace("{P}", p),
                "http://127.0.0.2:{P}/path with space".replace("{P}", p),
                "HTTP://LOCALHOST:{P}/".replace("{P}", p),
                "http:/127.0.0.2:{P}/".replace("{P}", p));
    }

    /** The stub DNS: {@link #ZONE}'s answers; any other name does not resolve. */
    public static List<InetAddress> resolve(String host) throws UnknownHostException {
        List<String> answers = ZONE.get(host);
        if (answers == null) {
            throw new UnknownHostException(host);
        }
        List<InetAddress> out = new ArrayList<>();
        for (String a : answers) {
            out.add(InetAddress.getByName(a)); // literals: no lookup
        }
        return out;
    }

    /**
     * A fetcher as production runs it — private networks refused — except for exactly {@code
     * allowed} (a test's own server), with names answered by {@link #resolve}.
     */
    public static Fetcher guardedFetcher(InetAddress allowed, Duration timeout) {
        long cap = 10L << 20;
        return new Fetcher(
                new Fetcher.Settings(false, timeout, cap, cap),
                new AddressGuard(
                        false, allowed == null ? Set.of() : Set.of(allowed), SsrfCorpus::resolve));
    }

    private static void add(List<Form> forms, String trick, String url, String port) {
        forms.add(new Form(url.replace("{P}", port), trick, false));
    }

    private static void dns(List<Form> forms, String trick, String url, String port) {
        forms.add(new Form(url.replace("{P}", port), trick, true));
    }
}
