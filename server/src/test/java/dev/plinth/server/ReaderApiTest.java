package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader API end to end: routes, output formats and every option, over real HTTP. */
class ReaderApiTest {

    @TempDir static Path cacheDir;
    static TestSite site;
    static Plinth plinth;

    @BeforeAll
    static void start() throws IOException {
        site = new TestSite();
        site.start();
        plinth = Plinth.start(Plinth.config(cacheDir));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.close();
    }

    private static String target(String path) {
        return "/" + site.url(path);
    }

    @Test
    void getAnswersTheTextLayout() throws Exception {
        HttpResponse<String> r = plinth.get(target("/article"));
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String body = r.body();
        assertTrue(
                body.startsWith(
                        "Title: Plinth Test Article\n\nURL Source: "
                                + site.url("/article")
                                + "\n\n"),
                body);
        assertTrue(body.contains("\nMarkdown Content:\n"), body);
        assertTrue(body.contains("clean Markdown"), body);
        int tokens = Integer.parseInt(r.headers().firstValue("X-Usage-Tokens").orElseThrow());
        assertTrue(tokens > 20, "tokens " + tokens);
    }

    @Test
    void jsonEnvelopeCarriesStatus20000AndUsage() throws Exception {
        HttpResponse<String> r = plinth.get(target("/article"), "Accept", "application/json");
        assertEquals(200, r.statusCode());
        JsonNode root = Plinth.json(r);
        assertEquals(200, root.get("code").asInt());
        assertEquals(20000, root.get("status").asInt());
        JsonNode data = root.get("data");
        assertEquals("Plinth Test Article", data.get("title").asText());
        assertEquals(site.url("/article"), data.get("url").asText());
        assertEquals("A page for testing the reader server.", data.get("description").asText());
        assertTrue(data.get("content").asText().contains("clean Markdown"));
        assertTrue(data.get("metadata").isObject());
        int tokens = data.get("usage").get("tokens").asInt();
        assertTrue(tokens > 20);
        assertEquals(tokens, root.get("meta").get("usage").get("tokens").asInt());
        assertEquals(
                Integer.toString(tokens), r.headers().firstValue("X-Usage-Tokens").orElseThrow());
    }

    @Test
    void eventStreamSendsOneDataEvent() throws Exception {
        HttpResponse<String> r = plinth.get(target("/article"), "Accept", "text/event-stream");
        assertEquals(200, r.statusCode());
        assertTrue(
                r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        assertTrue(r.body().startsWith("event: data\ndata: {"), r.body());
        assertTrue(r.body().endsWith("\n\n"));
        JsonNode data =
                Plinth.JSON.readTree(r.body().substring(r.body().indexOf("data: ") + 6).strip());
        assertEquals("Plinth Test Article", data.get("title").asText());
    }

    @Test
    void eventStreamSendsAnErrorEventOnFailure() throws Exception {
        HttpResponse<String> r =
                plinth.get(
                        target("/article"),
                        "Accept",
                        "text/event-stream",
                        "X-Target-Selector",
                        "#does-not-exist");
        assertEquals(422, r.statusCode());
        assertTrue(r.body().startsWith("event: error\ndata: {"), r.body());
        assertTrue(r.body().contains("\"code\":422"));
    }

    @Test
    void usageAndHealth() throws Exception {
        HttpResponse<String> text = plinth.get("/");
        assertEquals(200, text.statusCode());
        assertTrue(text.body().contains("GET  /{url}"));
        HttpResponse<String> json = plinth.get("/", "Accept", "application/json");
        assertEquals("GET /{url}", Plinth.json(json).get("read").asText());
        HttpResponse<String> health = plinth.get("/health");
        assertEquals("ok", Plinth.json(health).get("status").asText());
    }

    @Test
    void targetMayBePercentEncodedViewSourceOrDoubled() throws Exception {
        String url = site.url("/article");
        for (String path :
                new String[] {
                    "/" + URLEncoder.encode(url, StandardCharsets.UTF_8),
                    "/view-source:" + url,
                    "/http://" + url
                }) {
            HttpResponse<String> r = plinth.get(path, "Accept", "application/json");
            assertEquals(200, r.statusCode(), path + " → " + r.body());
            assertEquals(url, Plinth.json(r).get("data").get("url").asText(), path);
        }
    }

    @Test
    void queryStringBelongsToTheTarget() throws Exception {
        String q = "x=" + UUID.randomUUID();
        HttpResponse<String> r = plinth.get(target("/counted?" + q));
        assertEquals(200, r.statusCode());
        assertEquals(1, site.hits("/counted?" + q));
        assertTrue(r.body().contains("URL Source: " + site.url("/counted?" + q)), r.body());
    }

    @Test
    void postJsonWithUrlAndCamelCaseOptions() throws Exception {
        HttpResponse<String> r =
                plinth.postJson(
                        "/",
                        "{\"url\":\""
                                + site.url("/article")
                                + "\",\"respondWith\":\"text\",\"targetSelector\":\"h2\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("Second Section"));
        assertFalse(r.body().contains("Reading the Web"));
        assertFalse(r.body().contains("Title:"), "text output is the text alone");
    }

    @Test
    void postFormWithRawHtml() throws Exception {
        String form =
                "html="
                        + URLEncoder.encode(
                                "<html><head><title>Raw</title></head><body><article><h1>Raw page</h1>"
                                        + "<p>Posted as a form with a <a href=\"/rel\">relative link</a> and enough words to be content.</p>"
                                        + "</article></body></html>",
                                StandardCharsets.UTF_8)
                        + "&url="
                        + URLEncoder.encode("https://base.example/dir/", StandardCharsets.UTF_8)
                        + "&withLinksSummary=true";
        HttpResponse<String> r =
                plinth.post(
                        "/",
                        "application/x-www-form-urlencoded",
                        HttpRequest.BodyPublishers.ofString(form),
                        "Accept",
                        "application/json");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode data = Plinth.json(r).get("data");
        assertEquals("Raw", data.get("title").asText());
        assertEquals("https://base.example/rel", data.get("links").get("relative link").asText());
    }

    @Test
    void postToATargetPathReadsThatTarget() throws Exception {
        HttpResponse<String> r =
                plinth.postJson(
                        target("/article"),
                        "{\"respondWith\":\"markdown\"}",
                        "Accept",
                        "application/json");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(
                Plinth.json(r).get("data").get("content").asText().contains("Copyright footer"),
                "markdown is the whole page");
    }

    @Test
    void respondWithHtmlAndReturnFormatAlias() throws Exception {
        HttpResponse<String> html = plinth.get(target("/article"), "X-Respond-With", "html");
        assertTrue(html.body().contains("<p>"), html.body());
        assertFalse(html.body().startsWith("Title:"));
        HttpResponse<String> text = plinth.get(target("/article"), "X-Return-Format", "text");
        assertFalse(text.body().contains("<p>"));
        assertTrue(text.body().contains("clean Markdown"));
        JsonNode json =
                Plinth.json(
                        plinth.get(
                                target("/article"),
                                "X-Respond-With",
                                "html",
                                "Accept",
                                "application/json"));
        assertTrue(json.get("data").get("html").asText().contains("<p>"));
    }

    @Test
    void contentIsTheArticleAndMarkdownIsTheWholePage() throws Exception {
        String content =
                Plinth.json(plinth.get(target("/article"), "Accept", "application/json"))
                        .get("data")
                        .get("content")
                        .asText();
        String markdown =
                Plinth.json(
                                plinth.get(
                                        target("/article"),
                                        "Accept",
                                        "application/json",
                                        "X-Respond-With",
                                        "markdown"))
                        .get("data")
                        .get("content")
                        .asText();
        assertFalse(content.contains("Copyright footer"), content);
        assertTrue(markdown.contains("Copyright footer"), markdown);
    }

    @Test
    void targetAndRemoveSelectors() throws Exception {
        String body =
                plinth.get(
                                target("/article"),
                                "X-Target-Selector",
                                "article",
                                "X-Remove-Selector",
                                ".ad, h2")
                        .body();
        assertTrue(body.contains("clean Markdown"));
        assertFalse(body.contains("Buy our product"), body);
        assertFalse(body.contains("Second Section"), body);
    }

    @Test
    void linksAndImagesSummaries() throws Exception {
        HttpResponse<String> text =
                plinth.get(
                        target("/article"),
                        "X-With-Links-Summary",
                        "true",
                        "X-With-Images-Summary",
                        "yes");
        String body = text.body();
        assertTrue(
                body.contains(
                        "\n\nImages:\n- ![Image 1: Architecture diagram]("
                                + site.url("/img/diagram.png")
                                + ")"),
                body);
        assertTrue(body.contains("\n\nLinks/Buttons:\n"), body);
        assertTrue(body.contains("- [full guide](" + site.url("/docs/guide") + ")"), body);
        assertTrue(body.indexOf("Images:") < body.indexOf("Links/Buttons:"));

        JsonNode data =
                Plinth.json(
                                plinth.get(
                                        target("/article"),
                                        "Accept",
                                        "application/json",
                                        "X-With-Links-Summary",
                                        "1",
                                        "X-With-Images-Summary",
                                        "1"))
                        .get("data");
        assertEquals("https://example.org/spec", data.get("links").get("specification").asText());
        assertEquals(
                site.url("/img/diagram.png"),
                data.get("images").get("Image 1: Architecture diagram").asText());
        JsonNode plain =
                Plinth.json(plinth.get(target("/article"), "Accept", "application/json"))
                        .get("data");
        assertFalse(plain.has("links"));
        assertFalse(plain.has("images"));
    }

    @Test
    void retainImagesAndLinks() throws Exception {
        String all = content("X-Retain-Images", "all");
        String none = content("X-Retain-Images", "none");
        assertTrue(all.contains("diagram.png"), all);
        assertFalse(none.contains("diagram.png"), none);
        String alt = content("X-Retain-Images", "alt");
        assertTrue(alt.contains("Architecture diagram") && !alt.contains("diagram.png"), alt);

        String links = content("X-Retain-Links", "all");
        assertTrue(links.contains("(" + site.url("/docs/guide") + ")"), links);
        String textOnly = content("X-Retain-Links", "text");
        assertTrue(textOnly.contains("full guide") && !textOnly.contains("/docs/guide"), textOnly);
        String noLinks = content("X-Retain-Links", "none");
        assertFalse(noLinks.contains("/docs/guide"), noLinks);
    }

    @Test
    void markdownStyleKnobs() throws Exception {
        assertTrue(content().contains("## Second Section"), content());
        assertTrue(content("X-Md-Heading-Style", "setext").contains("Second Section\n---"));
        assertTrue(content().contains("- First point"));
        assertTrue(content("X-Md-Bullet-List-Marker", "*").contains("* First point"));
        assertTrue(content("X-Md-Em-Delimiter", "*").contains("*clean Markdown*"));
        assertTrue(content().contains("**web pages**"));
        assertTrue(content("X-Md-Strong-Delimiter", "__").contains("__web pages__"));
        String referenced = content("X-Md-Link-Style", "referenced");
        assertTrue(
                referenced.contains("[full guide][1]")
                        && referenced.contains("[1]: " + site.url("/docs/guide")),
                referenced);
        String collapsed =
                content("X-Md-Link-Style", "referenced", "X-Md-Link-Reference-Style", "collapsed");
        assertTrue(collapsed.contains("[full guide][]"), collapsed);
        String discarded = content("X-Md-Link-Style", "discarded");
        assertTrue(
                discarded.contains("full guide") && !discarded.contains("/docs/guide"), discarded);
        String hr =
                plinth.postJson(
                                "/",
                                "{\"html\":\"<body><article><p>Above the rule, with enough words to count.</p><hr>"
                                        + "<p>Below the rule, with enough words to count.</p></article></body>\",\"mdHr\":\"***\",\"respondWith\":\"markdown\"}")
                        .body();
        assertTrue(hr.contains("\n***\n"), hr);
    }

    @Test
    void noGfmChangesTables() throws Exception {
        String table =
                "<body><article><p>A table of numbers follows in this article body.</p><table><tr><th>a</th><th>b</th></tr>"
                        + "<tr><td>1</td><td>2</td></tr></table></article></body>";
        String gfm =
                Plinth.json(
                                plinth.postJson(
                                        "/",
                                        "{\"html\":\"" + table + "\",\"respondWith\":\"markdown\"}",
                                        "Accept",
                                        "application/json"))
                        .get("data")
                        .get("content")
                        .asText();
        String plain =
                Plinth.json(
                                plinth.postJson(
                                        "/",
                                        "{\"html\":\"" + table + "\",\"respondWith\":\"markdown\"}",
                                        "Accept",
                                        "application/json",
                                        "X-No-Gfm",
                                        "true"))
                        .get("data")
                        .get("content")
                        .asText();
        assertTrue(gfm.contains("| a | b |"), gfm);
        assertNotEquals(gfm, plain);
    }

    @Test
    void maxTokensTrimsTheContent() throws Exception {
        HttpResponse<String> r =
                plinth.get(target("/article"), "X-Max-Tokens", "10", "Accept", "application/json");
        JsonNode data = Plinth.json(r).get("data");
        assertTrue(data.get("usage").get("tokens").asInt() <= 10);
        assertTrue(Integer.parseInt(r.headers().firstValue("X-Usage-Tokens").orElseThrow()) <= 10);
        assertTrue(data.get("content").asText().length() < 80);
    }

    @Test
    void tokenBudgetRefusesLongContent() throws Exception {
        HttpResponse<String> over = plinth.get(target("/article"), "X-Token-Budget", "5");
        assertEquals(409, over.statusCode());
        JsonNode error = Plinth.json(over);
        assertEquals("BudgetExceededError", error.get("name").asText());
        assertFalse(over.headers().firstValue("X-Usage-Tokens").isPresent(), "nothing charged");
        assertEquals(200, plinth.get(target("/article"), "X-Token-Budget", "100000").statusCode());
    }

    @Test
    void markdownChunkingSplitsOnHeadings() throws Exception {
        JsonNode data =
                Plinth.json(
                                plinth.get(
                                        target("/article"),
                                        "Accept",
                                        "application/json",
                                        "X-Markdown-Chunking",
                                        "2"))
                        .get("data");
        JsonNode chunks = data.get("chunks");
        assertEquals(3, chunks.size(), chunks.toString());
        assertTrue(chunks.get(1).asText().startsWith("## Second Section"));
        assertTrue(chunks.get(2).asText().startsWith("## Third Section"));
        JsonNode one =
                Plinth.json(
                                plinth.get(
                                        target("/article"),
                                        "Accept",
                                        "application/json",
                                        "X-Markdown-Chunking",
                                        "1"))
                        .get("data")
                        .get("chunks");
        assertEquals(1, one.size());
    }

    @Test
    void requestOptionsReachTheTargetServer() throws Exception {
        String body =
                plinth.get(
                                target("/echo"),
                                "X-User-Agent",
                                "PlinthTest/1.0",
                                "X-Locale",
                                "de-DE",
                                "X-Referer",
                                "https://ref.example/",
                                "X-Set-Cookie",
                                "session=abc123; Path=/")
                        .body();
        assertTrue(body.contains("agent=PlinthTest/1.0"), body);
        assertTrue(body.contains("language=de-DE"), body);
        assertTrue(body.contains("referer=https://ref.example/"), body);
        assertTrue(body.contains("cookie=session=abc123"), body);
    }

    @Test
    void baseChoosesWhichUrlLinksResolveAgainst() throws Exception {
        JsonNode initial =
                Plinth.json(
                                plinth.get(
                                        target("/redirect"),
                                        "Accept",
                                        "application/json",
                                        "X-With-Links-Summary",
                                        "true"))
                        .get("data");
        assertEquals(site.url("/redirect"), initial.get("url").asText());
        JsonNode fin =
                Plinth.json(
                                plinth.get(
                                        target("/redirect"),
                                        "Accept",
                                        "application/json",
                                        "X-With-Links-Summary",
                                        "true",
                                        "X-Base",
                                        "final"))
                        .get("data");
        assertEquals(site.url("/final/page"), fin.get("url").asText());
        assertEquals(site.url("/final/next"), fin.get("links").get("relative link").asText());
    }

    @Test
    void publishedTimeAppearsWhenKnown() throws Exception {
        String body = plinth.get(target("/article")).body();
        assertTrue(body.contains("\n\nPublished Time: 2024-05-01"), body);
        assertFalse(plinth.get(target("/final/page")).body().contains("Published Time:"));
    }

    @Test
    void targetHttpErrorsBecomeWarnings() throws Exception {
        HttpResponse<String> text = plinth.get(target("/gone"));
        assertEquals(200, text.statusCode(), text.body());
        assertTrue(text.body().contains("\n\nWarning: Target URL returned error 404"), text.body());
        JsonNode data =
                Plinth.json(plinth.get(target("/gone"), "Accept", "application/json")).get("data");
        assertTrue(data.get("warning").asText().contains("404"));
    }

    @Test
    void proxyUrlIsUsedForTheFetch() throws Exception {
        String page = "/counted?proxy=" + UUID.randomUUID();
        HttpResponse<String> r = plinth.get(target(page), "X-Proxy-Url", "http://127.0.0.1:1");
        assertEquals(422, r.statusCode(), "nothing listens where the proxy should be: " + r.body());
        assertEquals(0, site.hits(page), "the page was not fetched around the proxy");
    }

    @Test
    void timeoutIsHonoured() throws Exception {
        HttpResponse<String> r =
                plinth.get(target("/slow?ms=3000"), "X-Timeout", "0.5", "X-No-Cache", "true");
        assertEquals(422, r.statusCode(), r.body());
    }

    @Test
    void robotsTxtIsCheckedOnRequest() throws Exception {
        assertEquals(200, plinth.get(target("/private"), "X-No-Cache", "true").statusCode());
        HttpResponse<String> r =
                plinth.get(target("/private"), "X-Robots-Txt", "PlinthBot", "X-No-Cache", "true");
        assertEquals(409, r.statusCode(), r.body());
    }

    @Test
    void pdfUploadsAnswerWithPageCount() throws Exception {
        byte[] pdf = twoPagePdf();
        HttpResponse<String> json =
                plinth.postJson(
                        "/",
                        "{\"pdf\":\"" + Base64.getEncoder().encodeToString(pdf) + "\"}",
                        "Accept",
                        "application/json");
        assertEquals(200, json.statusCode(), json.body());
        JsonNode data = Plinth.json(json).get("data");
        assertEquals(2, data.get("numPages").asInt());
        assertTrue(data.get("content").asText().contains("first page of the test document"));

        String boundary = "plinth" + UUID.randomUUID();
        ByteArrayOutputStream multipart = new ByteArrayOutputStream();
        multipart.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.pdf\"\r\n"
                                + "Content-Type: application/pdf\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        multipart.write(pdf);
        multipart.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> text =
                plinth.post(
                        "/",
                        "multipart/form-data; boundary=" + boundary,
                        HttpRequest.BodyPublishers.ofByteArray(multipart.toByteArray()));
        assertEquals(200, text.statusCode(), text.body());
        assertTrue(text.body().contains("\n\nNumber of Pages: 2\n\n"), text.body());
    }

    @Test
    void uploadedFilesAreReadAsTheirTypeNotAlwaysAsPdf() throws Exception {
        String html =
                "<html><head><title>Uploaded</title></head><body><article><h1>Uploaded page</h1>"
                        + "<p>This paragraph arrived as an HTML file in a multipart upload.</p>"
                        + "</article></body></html>";
        // Declared type, file name only, and neither: each is read as the HTML it is.
        for (String part :
                List.of(
                        "filename=\"page.html\"\r\nContent-Type: text/html",
                        "filename=\"page.html\"\r\nContent-Type: application/octet-stream",
                        "filename=\"upload\"")) {
            HttpResponse<String> r = upload(part, html.getBytes(StandardCharsets.UTF_8));
            assertEquals(200, r.statusCode(), part + ": " + r.body());
            assertTrue(r.body().contains("arrived as an HTML file"), part + ": " + r.body());
        }
        HttpResponse<String> text =
                upload(
                        "filename=\"notes.txt\"\r\nContent-Type: text/plain",
                        "Plain notes, uploaded.".getBytes(StandardCharsets.UTF_8));
        assertEquals(200, text.statusCode(), text.body());
        assertTrue(text.body().contains("Plain notes, uploaded."), text.body());
    }

    private static HttpResponse<String> upload(String disposition, byte[] content)
            throws Exception {
        String boundary = "plinth" + UUID.randomUUID();
        ByteArrayOutputStream multipart = new ByteArrayOutputStream();
        multipart.write(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"file\"; "
                                + disposition
                                + "\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        multipart.write(content);
        multipart.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return plinth.post(
                "/",
                "multipart/form-data; boundary=" + boundary,
                HttpRequest.BodyPublishers.ofByteArray(multipart.toByteArray()));
    }

    private static byte[] twoPagePdf() throws IOException {
        try (PDDocument doc = new PDDocument();
                ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            for (String text :
                    new String[] {
                        "This is the first page of the test document.",
                        "And this is the second page."
                    }) {
                PDPage page = new PDPage();
                doc.addPage(page);
                try (PDPageContentStream s = new PDPageContentStream(doc, page)) {
                    s.beginText();
                    s.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                    s.newLineAtOffset(72, 700);
                    s.showText(text);
                    s.endText();
                }
            }
            doc.save(out);
            return out.toByteArray();
        }
    }

    private static String content(String... headers) throws Exception {
        String[] all = new String[headers.length + 2];
        all[0] = "Accept";
        all[1] = "application/json";
        System.arraycopy(headers, 0, all, 2, headers.length);
        HttpResponse<String> r = plinth.get(target("/article"), all);
        assertEquals(200, r.statusCode(), r.body());
        return Plinth.json(r).get("data").get("content").asText();
    }
}
