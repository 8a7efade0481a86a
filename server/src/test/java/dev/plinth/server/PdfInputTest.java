package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Executors;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PDFs and other non-HTML content reached by URL, end to end: a loopback site serves them with the
 * content types real servers use, and a real plinth server reads them over HTTP. (Posted base64
 * PDFs, multipart uploads and {@code plinth read file.pdf} are covered in ReaderApiTest and
 * ReadCommandTest.)
 */
class PdfInputTest {

    @TempDir static Path cacheDir;
    static HttpServer site;
    static Plinth plinth;
    static byte[] report;

    @BeforeAll
    static void start() throws IOException {
        report =
                pdf(
                        false,
                        "Quarterly figures are up on the first page.",
                        "Costs fell on the second page.",
                        "Outlook on the third page.");
        byte[] locked = pdf(true, "Secret minutes.");
        site = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        site.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        site.createContext("/report.pdf", ex -> send(ex, "application/pdf", report));
        site.createContext("/download", ex -> send(ex, "application/octet-stream", report));
        site.createContext("/locked.pdf", ex -> send(ex, "application/pdf", locked));
        site.createContext(
                "/cut.pdf", ex -> send(ex, "application/pdf", Arrays.copyOf(report, 300)));
        site.createContext(
                "/feed",
                ex ->
                        send(
                                ex,
                                "text/xml; charset=utf-8",
                                """
                                <?xml version="1.0"?><rss version="2.0"><channel><title>Station news</title>
                                <item><title>New timetable</title><link>https://example.org/timetable</link>
                                <pubDate>Mon, 02 Dec 2024 09:00:00 GMT</pubDate></item></channel></rss>\
                                """
                                        .getBytes(StandardCharsets.UTF_8)));
        site.createContext(
                "/cat.png",
                ex -> send(ex, "image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10}));
        site.createContext(
                "/archive.zip",
                ex -> send(ex, "application/zip", new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0}));
        site.start();
        plinth = Plinth.start(Plinth.config(cacheDir));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.stop(0);
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + site.getAddress().getPort() + path;
    }

    @Test
    void readsPdfUrlByContentTypeWithPageCount() throws Exception {
        HttpResponse<String> r = plinth.get("/" + url("/report.pdf"));

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(
                r.body().startsWith("Title: Quarterly Report\n\nURL Source: " + url("/report.pdf")),
                r.body());
        assertTrue(r.body().contains("Number of Pages: 3"), r.body());
        assertTrue(
                r.body()
                        .contains(
                                "Quarterly figures are up on the first page.\n\nCosts fell on the second page."),
                r.body());
    }

    @Test
    void readsPdfServedAsOctetStreamByItsBytes() throws Exception {
        HttpResponse<String> r = plinth.get("/" + url("/download"), "Accept", "application/json");

        assertEquals(200, r.statusCode(), r.body());
        JsonNode data = Plinth.json(r).get("data");
        assertEquals(3, data.get("numPages").asInt());
        assertEquals("Quarterly Report", data.get("title").asText());
    }

    @Test
    void selectsThePageNamedInTheUrlFragment() throws Exception {
        HttpResponse<String> r =
                plinth.postJson(
                        "/",
                        "{\"url\":\"" + url("/report.pdf#page=2") + "\"}",
                        "Accept",
                        "application/json");

        assertEquals(200, r.statusCode(), r.body());
        JsonNode data = Plinth.json(r).get("data");
        assertEquals("Costs fell on the second page.", data.get("content").asText().strip());
        assertEquals(3, data.get("numPages").asInt());
    }

    @Test
    void selectsPagesWithTheXPagesOptionAndRefusesAMalformedRange() throws Exception {
        HttpResponse<String> r =
                plinth.get(
                        "/" + url("/report.pdf"), "X-Pages", "2-3", "Accept", "application/json");
        HttpResponse<String> bad =
                plinth.get(
                        "/" + url("/report.pdf"), "X-Pages", "two", "Accept", "application/json");

        assertEquals(200, r.statusCode(), r.body());
        String content = Plinth.json(r).get("data").get("content").asText();
        assertTrue(
                content.contains("Costs fell on the second page.")
                        && content.contains("Outlook on the third page."),
                content);
        assertFalse(content.contains("first page"), content);
        assertEquals(400, bad.statusCode(), bad.body());
        assertTrue(Plinth.json(bad).get("message").asText().contains("X-Pages"), bad.body());
    }

    @Test
    void answers422WithTheReasonForPdfsThatCannotBeRead() throws Exception {
        HttpResponse<String> locked =
                plinth.get("/" + url("/locked.pdf"), "Accept", "application/json");
        HttpResponse<String> cut = plinth.get("/" + url("/cut.pdf"), "Accept", "application/json");
        String junk =
                Base64.getEncoder()
                        .encodeToString("%PDF-1.4 not really".getBytes(StandardCharsets.US_ASCII));
        HttpResponse<String> posted =
                plinth.postJson("/", "{\"pdf\":\"" + junk + "\"}", "Accept", "application/json");

        assertEquals(422, locked.statusCode(), locked.body());
        assertTrue(
                Plinth.json(locked)
                        .get("message")
                        .asText()
                        .contains("encrypted and needs a password"),
                locked.body());
        assertEquals(422, cut.statusCode(), cut.body());
        assertEquals(422, posted.statusCode(), posted.body());
        assertTrue(Plinth.json(posted).get("message").asText().contains("damaged"), posted.body());
        assertFalse(posted.body().contains("at org.apache"), "no stack trace: " + posted.body());
    }

    @Test
    void readsFeedsImagesAndRefusesOtherTypesByName() throws Exception {
        HttpResponse<String> feed = plinth.get("/" + url("/feed"));
        HttpResponse<String> image = plinth.get("/" + url("/cat.png"));
        HttpResponse<String> zip =
                plinth.get("/" + url("/archive.zip"), "Accept", "application/json");

        assertEquals(200, feed.statusCode(), feed.body());
        assertTrue(
                feed.body()
                        .contains(
                                "- [New timetable](https://example.org/timetable) — 2024-12-02T09:00Z"),
                feed.body());
        assertEquals(200, image.statusCode(), image.body());
        assertTrue(image.body().contains("![](" + url("/cat.png") + ")"), image.body());
        assertEquals(422, zip.statusCode(), zip.body());
        assertTrue(
                Plinth.json(zip).get("message").asText().contains("application/zip"), zip.body());
    }

    private static void send(HttpExchange ex, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * One page per text, titled "Quarterly Report"; with {@code locked}, a user password is
     * required.
     */
    private static byte[] pdf(boolean locked, String... pages) throws IOException {
        try (PDDocument doc = new PDDocument();
                ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            for (String text : pages) {
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
            doc.getDocumentInformation().setTitle("Quarterly Report");
            if (locked) {
                doc.protect(new StandardProtectionPolicy("owner", "user", new AccessPermission()));
            }
            doc.save(out);
            return out.toByteArray();
        }
    }
}
