package dev.plinth.reader.document;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.Result;
import dev.plinth.reader.fetch.Fetcher;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DocumentsTest {

    private static Page page(String type, String body) {
        return new Page(
                URI.create("https://example.org/doc"),
                200,
                type,
                StandardCharsets.UTF_8,
                body.getBytes(StandardCharsets.UTF_8),
                Map.of());
    }

    @Test
    void keepsPlainTextAsIs() throws ReaderException {
        String text = "Line one\n  indented *not emphasis*\n";

        Documents.Converted doc = Documents.convert(page("text/plain", text));

        assertNull(doc.title());
        assertEquals(text, doc.markdown());
    }

    @Test
    void fencesJsonPrettyPrintedWithKeysAndDigitsAsServed() throws ReaderException {
        Documents.Converted doc =
                Documents.convert(
                        page("application/json", "{\"b\":1.10,\"a\":[true,null],\"b\":2}"));

        assertEquals(
                """
                ```json
                {
                  "b" : 1.10,
                  "a" : [ true, null ],
                  "b" : 2
                }
                ```
                """,
                doc.markdown());
    }

    /** Found by DocumentsFuzzTest: Jackson cannot make a BigDecimal of this and threw. */
    @Test
    void keepsJsonNumbersAsServedWhateverTheirSize() throws ReaderException {
        String huge = "1e" + "9".repeat(60);
        String long_ = "1" + "0".repeat(2000);
        String markdown =
                Documents.convert(
                                page(
                                        "application/json",
                                        "{\"a\":[" + huge + ",-0.50E+3," + long_ + "]}"))
                        .markdown();
        assertTrue(markdown.contains(huge), markdown);
        assertTrue(markdown.contains("-0.50E+3"), markdown);
        assertTrue(markdown.startsWith("```json\n"), markdown);
    }

    @Test
    void fencesSuffixJsonAndKeepsBrokenJsonAsServed() throws ReaderException {
        assertEquals(
                "```json\n{\"broken\":\n```\n",
                Documents.convert(page("application/ld+json", "{\"broken\": ")).markdown());
    }

    @Test
    void fencesXmlWithAFenceLongerThanAnyBacktickRun() throws ReaderException {
        String xml = "<?xml version=\"1.0\"?>\n<note><body>use ``` for code</body></note>";

        Documents.Converted doc = Documents.convert(page("text/xml", xml));

        assertEquals("````xml\n" + xml + "\n````\n", doc.markdown());
    }

    @Test
    void listsRssItemsWithLinksAndIsoDates() throws ReaderException {
        String rss =
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <rss version="2.0"><channel>
                  <title>Harbour News</title>
                  <description>Updates from the harbour office</description>
                  <item><title>Ferry timetable changes</title><link>https://example.org/ferry</link>
                    <pubDate>Tue, 05 Mar 2024 10:15:30 +0100</pubDate>
                    <description>&lt;p&gt;Winter &lt;b&gt;services&lt;/b&gt; start on Monday.&lt;/p&gt;</description></item>
                  <item><title>Dredging works</title><link>https://example.org/dredging</link></item>
                </channel></rss>\
                """;

        Documents.Converted doc = Documents.convert(page("application/rss+xml", rss));

        assertEquals("Harbour News", doc.title());
        assertEquals(
                """
                # Harbour News

                Updates from the harbour office

                - [Ferry timetable changes](https://example.org/ferry) — 2024-03-05T10:15:30+01:00
                  Winter services start on Monday.
                - [Dredging works](https://example.org/dredging)
                """,
                doc.markdown());
    }

    @Test
    void listsAtomEntriesByTheirAlternateLink() throws ReaderException {
        String atom =
                """
                <feed xmlns="http://www.w3.org/2005/Atom"><title>Lab notes</title>
                  <entry><title>Results are in</title>
                    <link rel="edit" href="https://example.org/edit/1"/>
                    <link rel="alternate" href="https://example.org/results"/>
                    <updated>2024-06-01T08:00:00Z</updated><summary>All three trials passed.</summary></entry>
                </feed>\
                """;

        Documents.Converted doc = Documents.convert(page("application/atom+xml", atom));

        assertEquals(
                """
                # Lab notes

                - [Results are in](https://example.org/results) — 2024-06-01T08:00Z
                  All three trials passed.
                """,
                doc.markdown());
    }

    @Test
    void recognisesFeedsServedAsXmlIncludingRdf() throws ReaderException {
        String rdf =
                """
                <?xml version="1.0"?>
                <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
                         xmlns:dc="http://purl.org/dc/elements/1.1/">
                  <channel><title>Old style</title><items><rdf:Seq><rdf:li resource="https://example.org/1"/></rdf:Seq></items></channel>
                  <item><title>First</title><link>https://example.org/1</link><dc:date>2003-12-13T18:30:02Z</dc:date></item>
                </rdf:RDF>\
                """;

        Documents.Converted doc = Documents.convert(page("text/xml", rdf));

        assertEquals(
                "# Old style\n\n- [First](https://example.org/1) — 2003-12-13T18:30:02Z\n",
                doc.markdown());
    }

    @Test
    void neverResolvesExternalEntities(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOP-SECRET-VALUE");
        String rss =
                "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM \""
                        + secret.toUri()
                        + "\">]>\n"
                        + "<rss><channel><title>&xxe;</title><item><title>x</title><link>https://example.org/x</link></item>"
                        + "</channel></rss>";

        Documents.Converted doc = Documents.convert(page("application/rss+xml", rss));

        assertFalse(doc.markdown().contains("TOP-SECRET-VALUE"), doc.markdown());
        assertTrue(doc.markdown().contains("[x](https://example.org/x)"), doc.markdown());
    }

    @Test
    void showsAnImageAsAnImageLine() throws ReaderException {
        Page image =
                new Page(
                        URI.create("https://example.org/cat.png"),
                        200,
                        "image/png",
                        null,
                        new byte[] {(byte) 0x89, 'P', 'N', 'G'},
                        Map.of());

        assertEquals("![](https://example.org/cat.png)", Documents.convert(image).markdown());
    }

    @Test
    void refusesOtherTypesNamingThem() {
        Page zip =
                new Page(
                        URI.create("https://example.org/a.zip"),
                        200,
                        "application/zip",
                        null,
                        new byte[] {'P', 'K', 3, 4, 0, 0},
                        Map.of());

        ReaderException e = assertThrows(ReaderException.class, () -> Documents.convert(zip));

        assertEquals(ReaderException.Kind.UNREADABLE, e.kind());
        assertEquals(422, e.kind().status());
        assertTrue(e.getMessage().contains("application/zip"), e.getMessage());
    }

    @Test
    void refusesFeedTypeThatIsNoFeed() {
        ReaderException e =
                assertThrows(
                        ReaderException.class,
                        () ->
                                Documents.convert(
                                        page(
                                                "application/rss+xml",
                                                "<html><body>moved</body></html>")));

        assertTrue(e.getMessage().contains("not an RSS, Atom or RDF feed"), e.getMessage());
    }

    @Test
    void sniffsUntypedBodies() throws ReaderException {
        assertTrue(Documents.convert(page("", "{\"a\":1}")).markdown().startsWith("```json\n"));
        assertEquals(
                "just words\n",
                Documents.convert(page("application/octet-stream", "just words\n")).markdown());
        Page binary =
                new Page(
                        URI.create("https://example.org/blob"),
                        200,
                        "",
                        null,
                        new byte[] {0, 1, 2, 3},
                        Map.of());
        ReaderException e = assertThrows(ReaderException.class, () -> Documents.convert(binary));
        assertTrue(e.getMessage().contains("(none given)"), e.getMessage());
    }

    @Test
    void readerRoutesXmlFeedsAndJsonToDocuments() throws Exception {
        try (Reader reader = new Reader(new Fetcher(Fetcher.Settings.DEFAULTS))) {
            Result feed =
                    reader.convert(
                            page(
                                    "text/xml",
                                    "<rss><channel><title>Served as text/xml</title></channel></rss>"),
                            Options.DEFAULTS);
            Result json =
                    reader.convert(
                            page("application/problem+json", "{\"status\":404}"), Options.DEFAULTS);

            assertEquals("Served as text/xml", feed.title());
            assertEquals("# Served as text/xml\n", feed.content());
            assertTrue(
                    json.content().startsWith("```json\n{\n  \"status\" : 404\n}"), json.content());
        }
    }
}
