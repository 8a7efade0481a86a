package dev.plinth.reader;

import java.net.URI;
import java.util.List;

/**
 * A page source that runs JavaScript: the browser engine implements it, the reader calls it when
 * {@link Options#engine()} asks for a browser. Implementations route every request the page makes
 * through the same SSRF guard as the direct fetcher.
 */
public interface Renderer extends AutoCloseable {

    /**
     * What a rendered page gave: its DOM serialised as HTML, a PNG when asked, and any warnings.
     */
    record Rendering(Page page, byte[] screenshot, List<String> warnings) {
        public Rendering {
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
        }
    }

    /** Loads {@code url}, waits as {@code options} say, and returns the rendered DOM. */
    Rendering render(URI url, Options options) throws ReaderException;

    @Override
    void close();
}
