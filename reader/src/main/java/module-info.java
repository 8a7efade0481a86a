/**
 * The reader: a page (fetched, rendered or handed over) in, Markdown, text, HTML or JSON out.
 *
 * <p>Only the entry points are exported: {@code Reader} and its records, the fetch seam ({@code
 * PageSource}, {@code Fetcher}, the network policy) and the Markdown writer's options. Extraction,
 * PDF layout and the LM wire client are internals; the LM engine ({@code ReaderLm}) is exported so
 * a server can configure one and hand it to {@code Reader}.
 */
module dev.plinth.reader {
    requires transitive java.net.http;
    requires java.desktop; // java.awt.geom for PDF glyph positions
    requires org.jsoup;
    requires com.fasterxml.jackson.databind;
    requires com.networknt.schema;
    requires org.apache.pdfbox;
    requires org.apache.pdfbox.io;
    requires org.apache.fontbox;
    requires jtokkit;
    requires dec;

    exports dev.plinth.reader;
    exports dev.plinth.reader.fetch;
    exports dev.plinth.reader.markdown;
    exports dev.plinth.reader.lm;

    // Every name lookup in the process goes through the SSRF guard's resolver.
    provides java.net.spi.InetAddressResolverProvider with
            dev.plinth.reader.fetch.GuardedResolver;
}
