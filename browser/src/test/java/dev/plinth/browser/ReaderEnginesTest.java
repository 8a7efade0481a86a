package dev.plinth.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.Engines;
import dev.plinth.reader.FetchOptions;
import dev.plinth.reader.Options;
import dev.plinth.reader.Reader;
import dev.plinth.reader.Request;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Fetcher;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reader with both engines, as the server builds it: the rendered DOM goes through the same
 * extractor and Markdown writer, and {@code AUTO} uses the browser only for script-rendered pages.
 * Private networks are allowed here (the loopback site is the whole point), through the setting.
 */
class ReaderEnginesTest {

    private static final String PROSE =
            "<p>"
                    + "A paragraph of prose that is on the page without any script. ".repeat(30)
                    + "</p>";

    private static TestSite site;
    private static Reader reader;
    private static Reader withoutBrowser;

    @BeforeAll
    static void start() throws Exception {
        site = new TestSite();
        site.page(
                "/spa",
                """
                <html><head><title>Docs</title></head><body><div id="app"></div>
                <noscript>You need to enable JavaScript to run this app.</noscript>
                <script>
                  setTimeout(() => document.getElementById('app').innerHTML =
                    '<article><h1>Rendered heading</h1><p>This text is written by the client, long enough to be the main content of the page.</p></article>', 100);
                </script></body></html>\
                """);
        site.page(
                "/static",
                "<html><head><title>Static</title></head><body><article><h1>Static heading</h1>"
                        + PROSE
                        + "</article><script>fetch('/beacon')</script></body></html>");
        site.route("/beacon", exchange -> TestSite.send(exchange, 200, "text/plain", "ok"));
        Fetcher fetcher = new Fetcher(Fetcher.Settings.DEFAULTS.withAllowPrivateNetwork(true));
        reader =
                new Reader(
                        new Engines(
                                fetcher,
                                Browser.lazy(new Browser.Settings(true)),
                                fetcher.settings().timeout()));
        withoutBrowser = new Reader(new Engines(fetcher, null, fetcher.settings().timeout()));
    }

    @AfterAll
    static void stop() {
        reader.close();
        withoutBrowser.close();
        site.close();
    }

    private static Result read(String path, FetchOptions.Engine engine) throws Exception {
        return read(reader, path, engine);
    }

    private static Result read(Reader reader, String path, FetchOptions.Engine engine)
            throws Exception {
        return reader.read(
                Request.of(site.url(path), Options.builder().fetch(f -> f.engine(engine)).build()));
    }

    @Test
    void browserEngineWritesTheRenderedDomAsMarkdown() throws Exception {
        Result result = read("/spa", FetchOptions.Engine.BROWSER);
        assertTrue(
                result.content().contains("This text is written by the client"), result.content());
        assertFalse(result.content().contains("enable JavaScript"), result.content());
        assertEquals("Docs", result.title());
    }

    @Test
    void directEngineSeesOnlyTheShell() throws Exception {
        Result result = read("/spa", FetchOptions.Engine.DIRECT);
        assertFalse(result.content().contains("written by the client"), result.content());
        assertTrue(
                String.join(" ", result.warnings()).contains("looks script-rendered"),
                result.warnings().toString());
    }

    @Test
    void autoWithoutABrowserReadsThePageAsServedAndSaysHowToRenderIt() throws Exception {
        Result result = read(withoutBrowser, "/spa", FetchOptions.Engine.AUTO);
        assertFalse(result.content().contains("written by the client"), result.content());
        String warnings = String.join(" ", result.warnings());
        assertTrue(warnings.contains("no browser engine is available"), warnings);
        assertTrue(warnings.contains("PLINTH_CHROMIUM"), warnings);
        assertEquals(FetchOptions.Engine.DIRECT, result.origin().engine());
    }

    @Test
    void autoRendersScriptPagesInTheBrowser() throws Exception {
        Result result = read("/spa", FetchOptions.Engine.AUTO);
        assertTrue(result.content().contains("written by the client"), result.content());
        assertEquals(FetchOptions.Engine.BROWSER, result.origin().engine());
    }

    @Test
    void autoLeavesStaticPagesToTheDirectFetch() throws Exception {
        int beacons = site.hits("/beacon");
        Result result = read("/static", FetchOptions.Engine.AUTO);
        assertTrue(result.content().contains("without any script"), result.content());
        assertEquals(
                beacons, site.hits("/beacon"), "the page's script ran, so the browser loaded it");
        assertEquals(FetchOptions.Engine.DIRECT, result.origin().engine());
        assertEquals(List.of(), result.warnings());
    }
}
