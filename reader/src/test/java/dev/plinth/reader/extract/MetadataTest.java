package dev.plinth.reader.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.jsoup.Jsoup;
import org.junit.jupiter.api.Test;

class MetadataTest {

    private static Metadata of(String html) {
        return Extractor.metadata(Jsoup.parse(html, "https://example.org/post"));
    }

    @Test
    void readsJsonLdFirst() {
        Metadata m =
                of(
                        """
                        <html lang="fr"><head><title>Page title | Site</title>
                        <meta property="og:title" content="OG title">
                        <script type="application/ld+json">
                        {"@context":"https://schema.org","@graph":[
                          {"@type":"WebSite","name":"Le Site"},
                          {"@type":"NewsArticle","headline":"LD headline","description":"LD summary",
                           "datePublished":"2024-01-02T03:04:05Z","author":[{"@type":"Person","name":"A. Writer"},{"name":"B. Editor"}],
                           "image":{"@type":"ImageObject","url":"https://example.org/lead.jpg"},
                           "publisher":{"@type":"Organization","name":"Le Site"}}]}
                        </script></head><body></body></html>\
                        """);

        assertEquals("LD headline", m.title());
        assertEquals("LD summary", m.description());
        assertEquals("2024-01-02T03:04:05Z", m.publishedTime());
        assertEquals("A. Writer, B. Editor", m.byline());
        assertEquals("https://example.org/lead.jpg", m.image());
        assertEquals("Le Site", m.siteName());
        assertEquals("fr", m.lang());
    }

    @Test
    void toleratesBrokenJsonLd() {
        Metadata m =
                of(
                        """
                        <html><head><script type="application/ld+json">{"@type":"Article", "headline":"Line
                        break inside", }</script><script type="application/ld+json">{not json at all</script>
                        </head></html>\
                        """);

        assertEquals("Line\nbreak inside", m.title());
    }

    @Test
    void readsOpenGraph() {
        Metadata m =
                of(
                        """
                        <html><head><title>Fallback</title>
                        <meta property="og:title" content="OG title"><meta property="og:description" content="OG description">
                        <meta property="og:site_name" content="OG Site"><meta property="og:image" content="https://example.org/og.png">
                        <meta property="article:published_time" content="2023-05-06"><meta property="og:locale" content="pt_BR">
                        </head></html>\
                        """);

        assertEquals("OG title", m.title());
        assertEquals("OG description", m.description());
        assertEquals("OG Site", m.siteName());
        assertEquals("https://example.org/og.png", m.image());
        assertEquals("2023-05-06", m.publishedTime());
        assertEquals("pt-BR", m.lang());
        assertEquals("OG title", m.meta().get("og:title"));
    }

    @Test
    void readsTwitterCards() {
        Metadata m =
                of(
                        """
                        <html><head><meta name="twitter:title" content="Card title">
                        <meta name="twitter:description" content="Card text"><meta name="twitter:image" content="https://example.org/c.png">
                        </head></html>\
                        """);

        assertEquals("Card title", m.title());
        assertEquals("Card text", m.description());
        assertEquals("https://example.org/c.png", m.image());
    }

    @Test
    void readsDublinCore() {
        Metadata m =
                of(
                        """
                        <html><head><meta name="DC.title" content="DC title"><meta name="DC.creator" content="C. Author">
                        <meta name="DC.date" content="2020-02-20"><meta name="DC.description" content="DC description">
                        <meta name="DC.language" content="de"></head></html>\
                        """);

        assertEquals("DC title", m.title());
        assertEquals("C. Author", m.byline());
        assertEquals("2020-02-20", m.publishedTime());
        assertEquals("DC description", m.description());
        assertEquals("de", m.lang());
    }

    @Test
    void fallsBackToTheDocument() {
        Metadata m =
                of(
                        """
                        <html lang="en-US"><head><title>A plain page – Example Site</title>
                        <meta property="og:site_name" content="Example Site"></head>
                        <body><h1>Heading</h1><p>By <a rel="author" href="/me">Sam Smith</a>
                        <time datetime="2022-12-24">Christmas Eve</time></p></body></html>\
                        """);

        assertEquals("A plain page", m.title());
        assertEquals("Sam Smith", m.byline());
        assertEquals("2022-12-24", m.publishedTime());
        assertEquals("en-US", m.lang());
        assertNull(m.description());
    }

    @Test
    void usesTheFirstHeadingWhenThereIsNoTitle() {
        assertEquals(
                "Only a heading", of("<html><body><h1>Only a heading</h1></body></html>").title());
    }

    @Test
    void cleansTheSiteNameFromEitherEndOfTheTitleOnly() {
        assertEquals("Story", MetadataReader.cleanTitle("Story | The Site", "The Site"));
        assertEquals("Story", MetadataReader.cleanTitle("The Site - Story", "The Site"));
        assertEquals(
                "Story - Part two | Other",
                MetadataReader.cleanTitle("Story - Part two | Other", "The Site"));
        assertEquals("Story - Part two", MetadataReader.cleanTitle("Story - Part two", null));
        assertEquals("新闻标题", MetadataReader.cleanTitle("新闻标题_新闻网", "新闻网"));
        assertEquals(
                "Visiting The Site", MetadataReader.cleanTitle("Visiting The Site", "The Site"));
    }

    @Test
    void readsJsonLdWrappedInCdata() {
        Metadata m =
                of(
                        """
                        <html><head><script type="application/ld+json">//<![CDATA[
                        {"@type":"Article","headline":"Wrapped","datePublished":"2020-02-03",
                         "publisher":{"@type":"Organization","name":"The Paper"}}
                        //]]></script></head></html>\
                        """);

        assertEquals("Wrapped", m.title());
        assertEquals("2020-02-03", m.publishedTime());
        assertEquals("The Paper", m.siteName());
    }

    @Test
    void takesTheJsonLdNameOrHeadlineThatIsCloserToThePageTitle() {
        Metadata m =
                of(
                        """
                        <html><head><title>List of lighthouses in Norway - Encyclopedia</title>
                        <script type="application/ld+json">{"@type":"Article","name":"List of lighthouses in Norway",
                        "headline":"encyclopedia list article"}</script></head></html>\
                        """);

        assertEquals("List of lighthouses in Norway", m.title());
    }

    @Test
    void cutsAShortSiteNameOffTheTitleWhenTheSiteIsUnknown() {
        assertEquals(
                "Lorem ipsum dolor sit amet",
                MetadataReader.cleanTitle("Lorem ipsum dolor sit amet – My website", null));
        assertEquals(
                "Get your code covered | Code",
                MetadataReader.cleanTitle("Get your code covered | Code | Jane Doe", null));
        assertEquals(
                "New Zealand - Encyclopedia",
                MetadataReader.cleanTitle("New Zealand - Encyclopedia", null));
        assertEquals(
                "Storm warning – what we know so far",
                MetadataReader.cleanTitle("Storm warning – what we know so far", null));
    }

    @Test
    void readsTheBylineAsANameWithoutByOrTheDate() {
        assertEquals(
                "Corey Kilgannon",
                of("<html><head><meta name='byl' content='By Corey Kilgannon'></head></html>")
                        .byline());
        assertEquals(
                "Jane Doe",
                of("<html><body><div class='story-byline'>By Jane Doe March 3, 2015</div>"
                                + "<p>Text.</p></body></html>")
                        .byline());
        assertEquals(
                "Jane Doe",
                of("<html><body><span class='author'>Jane Doe • 8h</span></body></html>").byline());
        assertEquals("Ana Sousa", MetadataReader.byline("Par Ana Sousa, 12 mars 2021"));
    }

    @Test
    void readsParselyMetadata() {
        Metadata m =
                of(
                        """
                        <html><head><title>Page</title>
                        <meta name="parsely-title" content="Parsely title">
                        <meta name="parsely-author" content="Jane Doe">
                        <meta name="parsely-pub-date" content="2024-04-20T04:20:00.000Z"></head></html>\
                        """);

        assertEquals("Parsely title", m.title());
        assertEquals("Jane Doe", m.byline());
        assertEquals("2024-04-20T04:20:00.000Z", m.publishedTime());
    }
}
