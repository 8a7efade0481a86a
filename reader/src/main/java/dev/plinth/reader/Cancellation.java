package dev.plinth.reader;

import java.io.StringReader;
import java.util.concurrent.CancellationException;
import org.jsoup.nodes.Document;
import org.jsoup.parser.Parser;

/**
 * How long-running work stops: a read's CPU work runs on a {@link CpuPool} worker that is
 * interrupted when the read's deadline passes or its caller gives up, and every stage whose cost
 * grows with the page (parsing, selectors, extraction, Markdown, PDF layout) calls {@link
 * #checkpoint()} as it goes. Interrupts are the JDK's own cancellation, so blocking calls inside a
 * stage stop too.
 */
public final class Cancellation {

    private Cancellation() {}

    /** Throws {@link CancellationException} when this thread's work has been cancelled. */
    public static void checkpoint() {
        if (Thread.currentThread().isInterrupted()) {
            throw new CancellationException("the read was cancelled");
        }
    }

    /**
     * Parses HTML as {@code Jsoup.parse} does, stopping when the work is cancelled. jsoup's parser
     * takes its input in buffer-sized reads; each read is a checkpoint, so even input that is slow
     * to parse (100k nested elements take seconds) stops within a few milliseconds.
     */
    public static Document parse(String html, String baseUri) {
        return Parser.htmlParser()
                .parseInput(
                        new StringReader(html) {
                            @Override
                            public int read(char[] buffer, int offset, int length)
                                    throws java.io.IOException {
                                checkpoint();
                                return super.read(buffer, offset, length);
                            }
                        },
                        baseUri);
    }
}
