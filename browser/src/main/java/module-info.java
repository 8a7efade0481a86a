/**
 * The browser engine: pages rendered by headless Chromium over the DevTools protocol, every request
 * of the page passed through the reader's network guard.
 *
 * <p>Its entry point is {@code Browser}, a {@code PageSource} like the reader's own fetcher.
 */
module dev.plinth.browser {
    requires transitive dev.plinth.reader;
    requires com.fasterxml.jackson.databind;

    exports dev.plinth.browser;
}
