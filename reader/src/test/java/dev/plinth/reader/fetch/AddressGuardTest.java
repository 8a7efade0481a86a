package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.ReaderException.Kind;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressGuardTest {

    /** A strict guard whose DNS is a fixed table, so name tests never touch the network. */
    private static final Map<String, List<String>> ZONE =
            Map.of(
                    "public.example",
                            List.of("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
                    "rebind.example", List.of("93.184.215.14", "10.0.0.7"),
                    "sneaky.example", List.of("::ffff:169.254.169.254"),
                    "v6private.example", List.of("fd00::1"));

    private final AddressGuard strict = new AddressGuard(false, Set.of(), AddressGuardTest::lookup);
    private final AddressGuard open = new AddressGuard(true, Set.of(), AddressGuardTest::lookup);

    private static List<InetAddress> lookup(String host) throws UnknownHostException {
        List<String> answers = ZONE.get(host);
        if (answers == null) {
            throw new UnknownHostException(host);
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (String a : answers) {
            addresses.add(InetAddress.getByName(a));
        }
        return addresses;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                // IPv4 ranges
                "http://127.0.0.1/",
                "http://127.255.255.254/",
                "http://10.0.0.1/",
                "http://10.255.255.255/",
                "http://172.16.0.1/",
                "http://172.31.255.255/",
                "http://192.168.0.1/",
                "http://192.168.255.255/",
                "http://169.254.169.254/latest/meta-data/",
                "http://100.64.0.1/",
                "http://100.127.255.255/",
                "http://0.0.0.0/",
                "http://0.1.2.3/",
                "http://255.255.255.255/",
                "http://224.0.0.1/",
                "http://239.255.255.250/",
                "http://240.0.0.1/",
                "http://192.0.0.8/",
                "http://192.0.2.1/",
                "http://198.18.0.1/",
                "http://198.19.255.255/",
                "http://198.51.100.7/",
                "http://203.0.113.9/",
                // numeric IPv4 forms a browser or inet_aton reads as an address
                "http://2130706433/",
                "http://0x7f.1/",
                "http://017700000001/",
                "http://127.1/",
                "http://0x7f000001/",
                "http://0177.0.0.1/",
                "http://0x7F.0.0.1/",
                "http://127.0.0.1./",
                "http://0/",
                "http://10.1/",
                "http://3232235777/",
                "http://0xa9.0xfe.0xa9.0xfe/",
                // IPv6
                "http://[::1]/",
                "http://[::]/",
                "http://[0:0:0:0:0:0:0:1]/",
                "http://[::ffff:127.0.0.1]/",
                "http://[::ffff:7f00:1]/",
                "http://[::ffff:a9fe:a9fe]/",
                "http://[::127.0.0.1]/",
                "http://[::10.0.0.1]/",
                "http://[64:ff9b::a00:1]/",
                "http://[64:ff9b::7f00:1]/",
                "http://[2002:c0a8:101::1]/",
                "http://[2002:7f00:1::]/",
                "http://[2001::1]/",
                "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
                "http://[fc00::1]/",
                "http://[fd12:3456:789a::1]/",
                "http://[fe80::1]/",
                "http://[febf::1]/",
                "http://[fec0::1]/",
                "http://[ff02::1]/",
                "http://[2001:db8::1]/",
                "http://[100::1]/",
                // names
                "http://localhost/",
                "http://LOCALHOST:8080/",
                "http://app.localhost/",
                "http://metadata/",
                "http://metadata.google.internal/computeMetadata/v1/",
                "http://instance-data/",
                "http://instance-data.ec2.internal/",
                "http://anything.internal/",
                "http://localhost./",
                // every DNS answer is checked, embedded forms too
                "http://rebind.example/",
                "http://sneaky.example/",
                "http://v6private.example/",
                // not an address at all, but not fetched either
                "http://256.1.1.1/",
                "http://1.2.3.4.5/",
                "http://0x100000000/",
                "http://09.1.1.1/",
            })
    void refusesNonPublicTargets(String url) {
        FetchException e = assertThrows(FetchException.class, () -> strict.vet(URI.create(url)));
        assertEquals(Kind.BLOCKED, e.kind(), e.getMessage());
        assertEquals(451, e.kind().status());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://8.8.8.8/",
                "https://1.1.1.1/dns-query",
                "http://172.15.255.255/",
                "http://172.32.0.1/",
                "http://100.63.255.255/",
                "http://100.128.0.1/",
                "http://192.169.0.1/",
                "http://11.0.0.1/",
                "http://134744072/",
                "http://0x8.0x8.0x8.0x8/",
                "http://[2606:4700:4700::1111]/",
                "http://[2002:808:808::1]/",
                "http://[64:ff9b::808:808]/",
                "http://[::ffff:8.8.8.8]/",
                "http://public.example/",
                "https://PUBLIC.example:8443/a?b=c",
            })
    void allowsPublicTargets(String url) throws FetchException {
        AddressGuard.Target target = strict.vet(URI.create(url));
        assertTrue(!target.addresses().isEmpty());
        for (InetAddress address : target.addresses()) {
            assertNull(AddressGuard.refusal(address), address.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "file:///etc/passwd",
                "ftp://8.8.8.8/",
                "gopher://8.8.8.8/",
                "jar:file:/x!/y",
                "http://user:secret@8.8.8.8/",
                "http://user@public.example/",
                "http:///nohost"
            })
    void refusesSchemesAndCredentialsEvenWhenPrivateNetworksAreAllowed(String url) {
        FetchException e = assertThrows(FetchException.class, () -> open.vet(URI.create(url)));
        assertEquals(Kind.BLOCKED, e.kind());
    }

    @Test
    void normalizesNumericHostsToDottedForm() throws FetchException {
        AddressGuard.Target target = open.vet(URI.create("http://0x7f.1:8080/a/b?c=d"));
        assertEquals(URI.create("http://127.0.0.1:8080/a/b?c=d"), target.uri());
        assertEquals("8.8.8.8", strict.vet(URI.create("http://134744072/")).host());
    }

    @Test
    void dropsTheTrailingDotOfARootedName() throws FetchException {
        AddressGuard.Target target = strict.vet(URI.create("https://Public.Example.:8443/a?b=c"));
        assertEquals(URI.create("https://public.example:8443/a?b=c"), target.uri());
        assertEquals("public.example", target.host());
    }

    @Test
    void allowingPrivateNetworksLiftsOnlyTheAddressCheck() throws FetchException {
        assertEquals("localhost", open.vet(URI.create("http://localhost:1234/")).host());
        assertEquals(
                URI.create("http://10.0.0.1/"), open.vet(URI.create("http://167772161/")).uri());
    }

    @Test
    void refusalNamesTheRange() throws UnknownHostException {
        assertEquals("loopback (127/8)", AddressGuard.refusal(InetAddress.getByName("127.0.0.1")));
        assertTrue(
                AddressGuard.refusal(InetAddress.getByName("2002:a00:1::"))
                        .contains("6to4 embedding 10.0.0.1"));
        assertNull(AddressGuard.refusal(InetAddress.getByName("2002:808:808::")));
    }

    @Test
    void unresolvableHostIsUnreadableNotBlocked() {
        FetchException e =
                assertThrows(
                        FetchException.class,
                        () -> strict.vet(URI.create("http://nowhere.example/")));
        assertEquals(Kind.UNREADABLE, e.kind());
    }
}
