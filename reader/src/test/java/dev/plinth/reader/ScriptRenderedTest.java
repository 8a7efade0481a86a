package dev.plinth.reader;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jsoup.Jsoup;
import org.junit.jupiter.api.Test;

class ScriptRenderedTest {

    private static final String ARTICLE =
            "<p>"
                    + "Plain server-rendered prose that a reader can use as it is. ".repeat(40)
                    + "</p>";

    private static boolean looksSo(String html) {
        return ScriptRendered.looksSo(Jsoup.parse(html, "https://example.com/"));
    }

    @Test
    void emptyReactRootNeedsBrowser() {
        assertTrue(
                looksSo(
                        """
                        <html><head><title>App</title></head><body>
                        <noscript>You need to enable JavaScript to run this app.</noscript>
                        <div id="root"></div><script src="/static/js/main.js"></script></body></html>\
                        """));
    }

    @Test
    void emptyNextRootNeedsBrowserEvenBesideChrome() {
        assertTrue(
                looksSo(
                        "<html><body><header>"
                                + "Menu item ".repeat(40)
                                + "</header><div id=\"__next\"></div></body></html>"));
    }

    @Test
    void almostNoTextNeedsBrowser() {
        assertTrue(
                looksSo(
                        "<html><body><div class=\"shell\"><span>Loading…</span></div><script>boot()</script></body></html>"));
    }

    @Test
    void scriptTextDoesNotCountAsContent() {
        assertTrue(
                looksSo(
                        "<html><body><script>window.__DATA__ = \""
                                + "x".repeat(5000)
                                + "\"</script></body></html>"));
    }

    @Test
    void noscriptAskingForJavaScriptOnThinPageNeedsBrowser() {
        assertTrue(
                looksSo(
                        "<html><body><nav>"
                                + "Home About Contact Products ".repeat(12)
                                + "</nav>"
                                + "<noscript>Please turn on JavaScript to see this page.</noscript></body></html>"));
    }

    @Test
    void articleWithCommentWidgetNoticeIsStatic() {
        assertFalse(
                looksSo(
                        "<html><body><article>"
                                + ARTICLE
                                + "</article>"
                                + "<noscript>Please enable JavaScript to view the comments.</noscript></body></html>"));
    }

    @Test
    void serverRenderedNextPageIsStatic() {
        assertFalse(
                looksSo(
                        "<html><body><div id=\"__next\"><main>"
                                + ARTICLE
                                + "</main></div>"
                                + "<script id=\"__NEXT_DATA__\" type=\"application/json\">{}</script></body></html>"));
    }
}
