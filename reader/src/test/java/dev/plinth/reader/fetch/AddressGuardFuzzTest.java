package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.plinth.reader.FuzzBounds;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The SSRF guard on any URL: it refuses (a {@link FetchException}) or passes a target whose every
 * address is public, whose scheme is http(s), which carries no credentials, and whose host — as the
 * HTTP client will read it from the URI it is given — is the host the guard judged. The last check
 * is the one that catches parser differentials: a URL the guard reads as one host and the client as
 * another.
 *
 * <p>Names resolve through a stub (the guard's DNS seam), each to one or two addresses picked by
 * the name's hash from a mix of public and private ones, so a name that "resolves inside" is as
 * likely as one that does not. Input: a URL as UTF-8 text (regression inputs in {@code
 * AddressGuardFuzzTestInputs/}).
 */
class AddressGuardFuzzTest {

    private static final List<InetAddress> ANSWERS =
            addresses(
                    "93.184.215.14",
                    "10.0.0.1",
                    "127.0.0.1",
                    "169.254.169.254",
                    "2606:4700:4700::1111",
                    "::1",
                    "fd00:ec2::254",
                    "100.64.0.1",
                    "8.8.8.8",
                    "::ffff:127.0.0.1");

    private static final AddressGuard GUARD =
            new AddressGuard(false, Set.of(), AddressGuardFuzzTest::resolve);

    @FuzzTest
    void passesOnlyPublicTargets(byte[] input) {
        URI url;
        try {
            url = new URI(new String(input, StandardCharsets.UTF_8));
        } catch (URISyntaxException e) {
            return; // not a URI: the fetcher is never given one
        }
        FuzzBounds.check(
                input,
                16L << 20,
                () -> {
                    AddressGuard.Target target = GUARD.vet(url);
                    String scheme = target.uri().getScheme().toLowerCase(Locale.ROOT);
                    assertTrue(scheme.equals("http") || scheme.equals("https"), scheme);
                    assertNull(target.uri().getRawUserInfo(), "credentials passed");
                    assertFalse(target.addresses().isEmpty(), "a strict guard names addresses");
                    for (InetAddress address : target.addresses()) {
                        assertNull(AddressGuard.refusal(address), address + " passed");
                    }
                    String clientHost = target.uri().getHost();
                    if (clientHost != null) {
                        assertEquals(target.host(), normalize(clientHost), "the host differs");
                        if (url.getPort() >= 0) {
                            assertEquals(url.getPort(), target.uri().getPort(), "the port moved");
                        }
                    }
                    return target;
                },
                FetchException.class);
    }

    /** The host as the guard reports it: lower case, no brackets, no trailing dot. */
    private static String normalize(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static List<InetAddress> resolve(String host) throws UnknownHostException {
        int h = host.hashCode();
        if (Math.floorMod(h, 7) == 0) {
            throw new UnknownHostException(host);
        }
        InetAddress first = ANSWERS.get(Math.floorMod(h, ANSWERS.size()));
        InetAddress second = ANSWERS.get(Math.floorMod(h >>> 8, ANSWERS.size()));
        return Math.floorMod(h >>> 16, 2) == 0 ? List.of(first) : List.of(first, second);
    }

    private static List<InetAddress> addresses(String... literals) {
        try {
            InetAddress[] out = new InetAddress[literals.length];
            for (int i = 0; i < literals.length; i++) {
                out[i] = InetAddress.getByName(literals[i]); // literals: no lookup
            }
            return List.of(out);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
