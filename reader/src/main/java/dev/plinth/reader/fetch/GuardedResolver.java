package dev.plinth.reader.fetch;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The JVM's name resolver, made to answer pinned names with the addresses the guard vetted.
 *
 * <p>Why a resolver. The JDK HttpClient looks the host up itself when it connects, and offers no
 * hook to hand it an address. Rewriting the URL to the IP would break the Host header, TLS SNI and
 * certificate checks. The {@code java.net.spi.InetAddressResolverProvider} SPI (JEP 418) lets us
 * answer that lookup: while a guarded request is in flight, its host name is pinned here to the
 * addresses {@link AddressGuard} resolved and vetted, so the connection goes exactly there (no
 * second DNS answer, no rebinding) and everything else about the request stays normal.
 *
 * <p>Scope. Registered through {@code META-INF/services}, the provider is the JVM-wide resolver, so
 * it is a pure pass-through to the built-in resolver for every name that is not pinned — other
 * code, loopback test servers and the server's own sockets see no difference. A pin lives only for
 * one request ({@link #pin} returns a handle to close). Because {@code InetAddress} caches answers
 * above the resolver, {@link Fetcher} also re-reads the name through that cache after pinning and
 * vets what it finds, so an answer cached before the pin cannot slip past.
 *
 * <p>If another provider on the class path wins the service lookup, {@link #installed()} is false
 * and the fetcher refuses to fetch public URLs rather than fetch them unpinned.
 */
public final class GuardedResolver extends InetAddressResolverProvider {

    /**
     * A name only this resolver answers; looking it up tells whether this resolver is the JVM's.
     */
    static final String PROBE_NAME = "plinth-resolver-probe.invalid";

    private static final byte[] PROBE_ADDRESS = {(byte) 192, 0, 2, (byte) 254};

    private record Pin(List<InetAddress> addresses, int holders) {}

    private static final Map<String, Pin> PINS = new ConcurrentHashMap<>();
    private static volatile InetAddressResolver builtin;

    /** A handle on a pinned name; closing it releases the pin. */
    public interface Pinned extends AutoCloseable {
        @Override
        void close();
    }

    /** The provider instance the JDK creates through {@link java.util.ServiceLoader}. */
    public GuardedResolver() {}

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver system = configuration.builtinResolver();
        builtin = system;
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy)
                    throws UnknownHostException {
                if (PROBE_NAME.equals(host)) {
                    return Stream.of(InetAddress.getByAddress(host, PROBE_ADDRESS));
                }
                Pin pin = PINS.get(key(host));
                if (pin == null) {
                    return system.lookupByName(host, policy);
                }
                List<InetAddress> answer = ordered(pin.addresses, policy);
                if (answer.isEmpty()) {
                    throw new UnknownHostException(
                            host + ": no vetted address of the requested family");
                }
                // Each answer carries the name asked for, as the system resolver's do: the HTTP
                // client verifies the TLS certificate against the address's host name, so an
                // address object that came with another name (a vetted answer built elsewhere)
                // would have the certificate checked for the wrong host.
                List<InetAddress> named = new java.util.ArrayList<>(answer.size());
                for (InetAddress address : answer) {
                    named.add(InetAddress.getByAddress(host, address.getAddress()));
                }
                return named.stream();
            }

            @Override
            public String lookupByAddress(byte[] address) throws UnknownHostException {
                return system.lookupByAddress(address);
            }
        };
    }

    @Override
    public String name() {
        return "plinth-guarded-resolver";
    }

    /** Whether this resolver is the JVM's resolver (forces the JDK to load it on first call). */
    public static boolean installed() {
        if (builtin != null) {
            return true;
        }
        try {
            InetAddress probe = InetAddress.getByName(PROBE_NAME);
            return java.util.Arrays.equals(probe.getAddress(), PROBE_ADDRESS) && builtin != null;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Pins {@code host} to {@code addresses} until the handle is closed. A host pinned by two
     * requests at once keeps the first set of addresses (both were vetted) until both release it.
     */
    public static Pinned pin(String host, List<InetAddress> addresses) {
        String key = key(host);
        PINS.compute(
                key,
                (k, pin) ->
                        pin == null
                                ? new Pin(List.copyOf(addresses), 1)
                                : new Pin(pin.addresses, pin.holders + 1));
        return () ->
                PINS.computeIfPresent(
                        key,
                        (k, pin) ->
                                pin.holders <= 1 ? null : new Pin(pin.addresses, pin.holders - 1));
    }

    /** A fresh lookup of every A/AAAA answer, bypassing both pins and the JDK's address cache. */
    static List<InetAddress> lookupUncached(String host) throws UnknownHostException {
        InetAddressResolver system = installed() ? builtin : null;
        if (system == null) {
            return List.of(InetAddress.getAllByName(host));
        }
        return system.lookupByName(
                        host,
                        InetAddressResolver.LookupPolicy.of(
                                InetAddressResolver.LookupPolicy.IPV4
                                        | InetAddressResolver.LookupPolicy.IPV6))
                .toList();
    }

    private static List<InetAddress> ordered(
            List<InetAddress> addresses, InetAddressResolver.LookupPolicy policy) {
        int c = policy.characteristics();
        boolean v4 = (c & InetAddressResolver.LookupPolicy.IPV4) != 0;
        boolean v6 = (c & InetAddressResolver.LookupPolicy.IPV6) != 0;
        Stream<InetAddress> fours = addresses.stream().filter(a -> v4 && a instanceof Inet4Address);
        Stream<InetAddress> sixes = addresses.stream().filter(a -> v6 && a instanceof Inet6Address);
        return (c & InetAddressResolver.LookupPolicy.IPV6_FIRST) != 0
                ? Stream.concat(sixes, fours).toList()
                : Stream.concat(fours, sixes).toList();
    }

    private static String key(String host) {
        String h = host.toLowerCase(java.util.Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }
}
