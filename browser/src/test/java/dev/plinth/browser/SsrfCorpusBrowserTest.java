package dev.plinth.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.Engines;
import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Canary;
import dev.plinth.reader.fetch.SsrfCorpus;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SSRF corpus through real Chromium: as the page to render, as the target of a redirect, as the
 * page's own sub-requests (fetch, image, WebSocket), and through the reader's AUTO engine with the
 * browser behind it. The browser runs with private networks refused except for this test site's
 * exact address and port; the canary on 127.0.0.2 must hear nothing.
 *
 * <p>Forms whose host is a name that a stub DNS answers are left to the reader's tests: the
 * browser's guard asks the real resolver, and a test must not send queries to the network. (Names
 * that the guard refuses without a look-up — localhost, metadata, .internal — are kept.) For the
 * same reason the redirect and sub-request cases leave out the userinfo forms that name
 * public.example: Chromium moves the userinfo aside and would look the public name up.
 */
class SsrfCorpusBrowserTest {

    private static TestSite site;
    private static Canary canary;
    private static Browser browser;
    private static Reader reader;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        canary = new Canary();
        browser =
                Browser.lazy(
                        new Browser.Settings(false)
                                .withAlsoAllowed(Set.of(site.address()))
                                .withTimeout(Duration.ofSeconds(10)));
        reader =
                new Reader(
                        new Engines(
                                SsrfCorpus.guardedFetcher(
                                        InetAddress.getLoopbackAddress(), Duration.ofSeconds(10)),
                                browser,
                                Duration.ofSeconds(10)));
    }

    @AfterAll
    static void stop() {
        try {
            assertEquals(List.of(), canary.heard(), "a refused form reached the canary");
        } finally {
            reader.close(); // closes the browser too
            canary.close();
            site.close();
        }
    }

    /** Forms the browser's guard judges without a DNS look-up. */
    static Stream<SsrfCorpus.Form> forms() {
        return SsrfCorpus.forms(canary.port()).stream().filter(f -> !f.needsStubDns());
    }

    /** Forms Chromium itself will request without looking a public name up. */
    static Stream<SsrfCorpus.Form> requestable() {
        return forms().filter(f -> !f.url().contains("public.example"));
    }

    static Stream<SsrfCorpus.Form> allForms() {
        return SsrfCorpus.forms(canary.port()).stream();
    }

    @Test
    void theBrowserCorpusHasAtLeastSixtyForms() {
        assertTrue(requestable().count() >= 60, "only " + requestable().count());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("forms")
    void browserRefusesEveryFormAsThePageToRender(SsrfCorpus.Form form) {
        ReaderException e =
                assertThrows(
                        ReaderException.class,
                        () -> browser.load(form.uri(), FetchOptions.DEFAULTS));
        assertEquals(ReaderException.Kind.BLOCKED, e.kind(), form + ": " + e.getMessage());
    }

    /**
     * A redirect to an http(s) form is the guard's refusal (451); one to another scheme, or to a
     * URL Chromium cannot parse (an IPv6 zone), Chromium refuses itself, as an unsafe or invalid
     * redirect, before any request: the read fails either way.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("requestable")
    void browserRefusesRedirectsToEveryForm(SsrfCorpus.Form form) {
        String path = "/to/" + Integer.toHexString(form.url().hashCode());
        site.route(
                path,
                exchange -> {
                    exchange.getResponseHeaders().set("Location", form.url());
                    exchange.sendResponseHeaders(302, -1);
                });
        ReaderException e =
                assertThrows(
                        ReaderException.class,
                        () -> browser.load(site.url(path), FetchOptions.DEFAULTS),
                        form.toString());
        assertFalse(e.getMessage().contains(Canary.SECRET));
        if (form.isHttp() && !e.getMessage().contains("net::ERR_INVALID_REDIRECT")) {
            assertEquals(ReaderException.Kind.BLOCKED, e.kind(), form + ": " + e.getMessage());
        }
    }

    @Test
    void pageSubrequestsToEveryFormAreRefused() throws Exception {
        List<SsrfCorpus.Form> targets =
                requestable().filter(f -> f.isHttp() || f.url().startsWith("ws")).toList();
        site.page("/subrequests", page(targets));
        Page rendering = browser.load(site.url("/subrequests"), FetchOptions.DEFAULTS);
        String html = rendering.text();
        for (int i = 0; i < targets.size(); i++) {
            assertTrue(
                    html.contains("refused " + i + ";"),
                    targets.get(i) + " was not refused: " + html);
        }
        assertFalse(html.contains("reached"), html);
        assertFalse(html.contains(Canary.SECRET), html);
        // Warnings name the refused requests (the tab keeps the first 20).
        assertFalse(rendering.warnings().isEmpty());
        rendering.warnings().forEach(w -> assertTrue(w.startsWith("Blocked a "), w));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allForms")
    void autoEngineRefusesEveryForm(SsrfCorpus.Form form) {
        Options auto = Options.builder().fetch(f -> f.engine(FetchOptions.Engine.AUTO)).build();
        ReaderException e =
                assertThrows(
                        ReaderException.class, () -> reader.read(Request.of(form.uri(), auto)));
        assertEquals(ReaderException.Kind.BLOCKED, e.kind(), form + ": " + e.getMessage());
    }

    /**
     * AUTO renders a script-built page in the browser; what that page's script asks for is judged
     * there, form by form.
     */
    @Test
    void autoEngineRefusesTheSubrequestsOfAScriptRenderedPage() throws Exception {
        List<SsrfCorpus.Form> targets = requestable().filter(SsrfCorpus.Form::isHttp).toList();
        site.page(
                "/app",
                """
                <html><head><title>App</title></head><body><div id="app"></div>
                <noscript>You need to enable JavaScript to run this app.</noscript>
                <script>
                  const urls = URLS;
                  Promise.allSettled(urls.map(u => fetch(u, {mode: 'no-cors'}))).then(results => {
                    document.getElementById('app').innerHTML = '<article><h1>Rendered</h1><p>'
                      + results.map((r, i) => (r.status === 'fulfilled' ? 'reached ' : 'refused ') + i + ';').join(' ')
                      + ' This paragraph is long enough to be the main content of the page.</p></article>';
                  });
                </script></body></html>\
                """
                        .replace("URLS", jsArray(targets)));
        Result result =
                reader.read(
                        Request.of(
                                site.url("/app"),
                                Options.builder()
                                        .fetch(f -> f.engine(FetchOptions.Engine.AUTO))
                                        .build()));
        String content = result.content();
        assertTrue(
                content.contains("long enough to be the main content"), "not rendered: " + content);
        for (int i = 0; i < targets.size(); i++) {
            assertTrue(content.contains("refused " + i + ";"), targets.get(i) + ": " + content);
        }
        assertFalse(content.contains("reached"), content);
    }

    /** A page whose script requests every target and writes down which were refused. */
    private static String page(List<SsrfCorpus.Form> targets) {
        return """
        <html><body><h1>Sub-requests</h1><div id="out"></div>
        <script>
          const urls = URLS;
          const out = document.getElementById('out');
          const report = (i, what) => out.insertAdjacentHTML('beforeend', '<p>' + what + ' ' + i + ';</p>');
          urls.forEach((u, i) => {
            if (u.startsWith('ws')) {
              const ws = new WebSocket(u);
              ws.onopen = () => report(i, 'reached');
              ws.onerror = () => report(i, 'refused');
            } else {
              fetch(u, {mode: 'no-cors'}).then(() => report(i, 'reached'), () => report(i, 'refused'));
              new Image().src = u;
            }
          });
        </script></body></html>\
        """
                .replace("URLS", jsArray(targets));
    }

    private static String jsArray(List<SsrfCorpus.Form> targets) {
        StringBuilder s = new StringBuilder("[");
        for (SsrfCorpus.Form f : targets) {
            s.append(s.length() > 1 ? "," : "")
                    .append('\'')
                    .append(f.url().replace("'", "\\'"))
                    .append('\'');
        }
        return s.append(']').toString();
    }
}
