package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.plinth.reader.FuzzBounds;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Any target a request names — typed in a body's {@code url}, or after the first slash of a GET —
 * becomes an http(s) URL with a host, or is refused with a 4xx {@link ApiException} (400 malformed,
 * 451 another scheme); never another exception, never past the deadline. An accepted URL survives
 * being written out and parsed again unchanged, as the cache and the fetcher each do.
 *
 * <p>Calls only {@code TargetUrl}'s statics. Input: the target as UTF-8 text; for the GET form its
 * first {@code ?} splits path from query (regression inputs in {@code TargetUrlFuzzTestInputs/}).
 */
class TargetUrlFuzzTest {

    @FuzzTest
    void parsesAnyTargetOrSaysWhy(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        FuzzBounds.check(
                input,
                16L << 20,
                () -> {
                    check(() -> TargetUrl.parse(text));
                    int q = text.indexOf('?');
                    check(() ->
                            TargetUrl.fromRequest(
                                    "/" + (q < 0 ? text : text.substring(0, q)),
                                    q < 0 ? null : text.substring(q + 1)));
                    return null;
                });
    }

    private interface Parse {
        URI run();
    }

    private static void check(Parse parse) throws Exception {
        URI uri;
        try {
            uri = parse.run();
        } catch (ApiException e) {
            assertTrue(
                    e.status() == 400 || e.status() == 451,
                    "a refused target is a 400 or 451, not " + e.status() + ": " + e.getMessage());
            return;
        }
        assertNotNull(uri);
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        assertTrue(scheme.equals("http") || scheme.equals("https"), "scheme " + scheme);
        assertNotNull(uri.getHost(), "no host in " + uri);
        assertFalse(uri.getHost().isEmpty(), "empty host in " + uri);
        assertEquals(uri, new URI(uri.toString()), "does not survive a round trip");
    }
}
