package dev.plinth.browser;

import dev.plinth.reader.Options;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Renderer;

import java.net.URI;

/** The headless Chromium engine. (Skeleton: reports that no browser is available.) */
public final class Browser implements Renderer {

    /**
     * Browser-wide settings.
     *
     * @param allowPrivateNetwork lift the SSRF guard's address check for every request the page makes
     */
    public record Settings(boolean allowPrivateNetwork) {}

    private final Settings settings;

    private Browser(Settings settings) {
        this.settings = settings;
    }

    /** A browser engine that starts Chromium lazily, on the first page it renders. */
    public static Browser lazy(Settings settings) {
        return new Browser(settings);
    }

    @Override
    public Rendering render(URI url, Options options) throws ReaderException {
        throw new ReaderException(ReaderException.Kind.BAD_OPTION,
                "this option needs the browser engine, which is not available");
    }

    @Override
    public void close() {}
}
