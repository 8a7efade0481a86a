package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.Engines;
import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Options;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.ReaderException.Kind;
import dev.plinth.reader.Request;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SSRF corpus ({@link SsrfCorpus}) through the direct fetcher, through redirects, and through
 * the reader's AUTO engine: every form is refused with a 451 and the canary on 127.0.0.2 hears
 * nothing. The fetcher runs as production does, private networks refused, with one exception in the
 * redirect tests: the loopback origin on 127.0.0.1 that sends the redirects (the first hop). The
 * browser engine's half of the corpus is in the browser module.
 */
class SsrfCorpusTest {

    private static final InetAddress ORIGIN = InetAddress.getLoopbackAddress();

    private static Canary canary;
    private static TestServer origin;
    private static Fetcher strict;
    private static Fetcher firstHopAllowed;

    @BeforeAll
    static void start() throws IOException {
        canary = new Canary();
        origin = new TestServer(ORIGIN);
        strict = SsrfCorpus.guardedFetcher(null, Duration.ofSeconds(5));
        firstHopAllowed = SsrfCorpus.guardedFetcher(ORIGIN, Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() {
        try {
            assertEquals(List.of(), canary.heard(), "a refused form reached the canary");
        } finally {
            canary.close();
            origin.close();
        }
    }

    static Stream<SsrfCorpus.Form> forms() {
        return SsrfCorpus.forms(canary.port()).stream();
    }

    static Stream<String> locations() {
        return Stream.concat(
                forms().map(SsrfCorpus.Form::url), SsrfCorpus.rawLocations(canary.port()).stream());
    }

    @Test
    void theCorpusHasAtLeastSixtyFormsAndTheFirstHopIsReachable() throws Exception {
        assertTrue(SsrfCorpus.forms(canary.port()).size() >= 60);
        origin.route("/ok", TestServer.page("text/plain", "ok".getBytes()));
        assertEquals("ok", firstHopAllowed.fetch(origin.url("/ok"), FetchOptions.DEFAULTS).text());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forms")
    void directFetchRefusesEveryForm(SsrfCorpus.Form form) {
        assertRefused(form.url(), () -> strict.fetch(form.uri(), FetchOptions.DEFAULTS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("locations")
    void redirectToEveryFormIsRefused(String location) throws Exception {
        String path = "/to/" + Integer.toHexString(location.hashCode());
        origin.route(path, TestServer.redirect(302, location));
        assertEquals(
                "",
                firstHopAllowed.fetch(origin.url("/ok"), FetchOptions.DEFAULTS).status() == 404
                        ? ""
                        : "?",
                "the first hop itself is reachable");
        assertRefused(
                location, () -> firstHopAllowed.fetch(origin.url(path), FetchOptions.DEFAULTS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forms")
    void autoEngineRefusesEveryForm(SsrfCorpus.Form form) {
        Options auto = Options.builder().fetch(f -> f.engine(FetchOptions.Engine.AUTO)).build();
        try (Reader reader = new Reader(new Engines(strict, null, Duration.ofSeconds(10)))) {
            assertRefused(form.url(), () -> reader.read(Request.of(form.uri(), auto)));
        }
    }

    private interface Fetch {
        Object run() throws ReaderException;
    }

    private static void assertRefused(String what, Fetch fetch) {
        ReaderException e = assertThrows(ReaderException.class, fetch::run, what);
        assertEquals(Kind.BLOCKED, e.kind(), what + ": " + e.getMessage());
        assertEquals(451, e.kind().status());
    }
}
