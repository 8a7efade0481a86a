package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadCommandTest {

    private static final String ARTICLE =
            """
            <!doctype html><html lang="en"><head><title>Tides of the North Sea</title>
            <meta name="description" content="How tides shape the coast."></head>
            <body><nav><a href="/">Home</a> | <a href="/about">About</a></nav>
            <article><h1>Tides of the North Sea</h1>
            <p>The North Sea has two tides a day, and along the Dutch coast the difference between high and low
            water is often more than two metres. Fishermen have planned their days around it for centuries.</p>
            <p>Storm surges are the danger: when a north-westerly gale pushes water into the narrowing basin, the sea
            rises far above the forecast tide, as it did in the disastrous flood of 1953.</p>
            <p class="note">Read more in the <a href="/archive">archive</a>.</p>
            </article><footer>Copyright 2024 Coastal Weekly</footer></body></html>
            """;

    private static final String RUSSIAN =
            "Вчера в Москве прошло заседание правительства, на котором обсуждались "
                    + "вопросы развития транспортной инфраструктуры и модернизации железнодорожного сообщения.";

    private static HttpServer server;
    private static String base;

    @TempDir Path dir;

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/news/tides.html",
                exchange -> {
                    byte[] body = ARTICLE.getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                    exchange.sendResponseHeaders(200, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    @Test
    void printsMainContentOfAnHtmlFileAsMarkdown() throws IOException {
        Path page = Files.writeString(dir.resolve("tides.html"), ARTICLE);
        Cli.Run run = Cli.run("read", page.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("two tides a day"), run.out());
        assertTrue(run.out().contains("Storm surges are the danger"), run.out());
        assertFalse(run.out().contains("Copyright 2024"), "boilerplate left out: " + run.out());
        assertEquals("", run.err());
    }

    @Test
    void writesOneFilePerInputAndReportsTheBadOnes() throws IOException {
        Path out = dir.resolve("out");
        Path plain = Files.writeString(dir.resolve("tides.html"), ARTICLE);
        Path gz = dir.resolve("russian.html.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            // windows-1251 with no declaration: the sniffer has to find it
            o.write(
                    ("<html><head><title>Новости</title></head><body><article><p>"
                                    + RUSSIAN
                                    + "</p><p>"
                                    + RUSSIAN
                                    + "</p></article></body></html>")
                            .getBytes(Charset.forName("windows-1251")));
        }
        Path missing = dir.resolve("missing.html");
        Cli.Run run =
                Cli.run(
                        "read",
                        "--out",
                        out.toString(),
                        plain.toString(),
                        missing.toString(),
                        gz.toString(),
                        "--allow-private-network",
                        base + "/news/tides.html");

        assertEquals(1, run.exit());
        assertEquals("plinth: " + missing + ": no such file", run.err().strip());
        assertTrue(Files.readString(out.resolve("tides.md")).contains("two tides a day"));
        assertTrue(Files.readString(out.resolve("russian.md")).contains(RUSSIAN));
        assertTrue(
                Files.readString(out.resolve("127.0.0.1-news-tides.md")).contains("Storm surges"));
        assertEquals("", run.out(), "nothing on stdout with --out");
    }

    @Test
    void blockedAndUnreachableUrlsAreOneLineErrors() throws IOException {
        Path page = Files.writeString(dir.resolve("ok.html"), ARTICLE);
        String blocked = base + "/news/tides.html";
        String refused = "http://127.0.0.1:1/";
        Cli.Run run = Cli.run("read", blocked, page.toString(), "ftp://example.com/x");
        assertEquals(1, run.exit());
        String[] lines = run.err().strip().split("\n");
        assertEquals(2, lines.length, run.err());
        assertTrue(
                lines[0].startsWith("plinth: " + blocked + ": ") && lines[0].contains("127.0.0.1"),
                lines[0]);
        assertTrue(lines[1].startsWith("plinth: ftp://example.com/x: "), lines[1]);
        assertTrue(run.out().contains("two tides a day"), "the good input is still read");

        Cli.Run unreachable = Cli.run("read", "--allow-private-network", refused);
        assertEquals(1, unreachable.exit());
        assertTrue(
                unreachable.err().startsWith("plinth: " + refused + ": cannot fetch"),
                unreachable.err());
        assertFalse(unreachable.err().contains("\tat "), "no stack trace");
    }

    @Test
    void separatesSeveralInputsOnStdout() throws IOException {
        Path a = Files.writeString(dir.resolve("a.html"), ARTICLE);
        Path b = Files.writeString(dir.resolve("b.htm"), ARTICLE.replace("North Sea", "Baltic"));
        Cli.Run run = Cli.run("read", a.toString(), b.toString());
        assertEquals(0, run.exit(), run.err());
        int first = run.out().indexOf("==> " + a + " <==");
        int second = run.out().indexOf("==> " + b + " <==");
        assertTrue(first == 0 && second > first, run.out());
        assertTrue(run.out().substring(second).contains("Baltic"));
    }

    @Test
    void jsonCarriesTheDataObject() throws IOException {
        Cli.Run run =
                Cli.run(
                        "read",
                        "--format",
                        "json",
                        "--allow-private-network",
                        base + "/news/tides.html");
        assertEquals(0, run.exit(), run.err());
        JsonNode data = new ObjectMapper().readTree(run.out());
        assertEquals("Tides of the North Sea", data.get("title").asText());
        assertEquals("How tides shape the coast.", data.get("description").asText());
        assertEquals(base + "/news/tides.html", data.get("url").asText());
        assertTrue(data.get("content").asText().contains("two tides a day"));
        assertTrue(data.get("usage").get("tokens").asInt() > 20);
        assertTrue(data.get("links").toString().contains(base + "/archive"), data.toString());
    }

    @Test
    void formatsSelectorsAndRemovals() throws IOException {
        Path page = Files.writeString(dir.resolve("tides.html"), ARTICLE);
        Cli.Run text =
                Cli.run(
                        "read",
                        "--format",
                        "text",
                        "--selector",
                        "article p",
                        "--remove",
                        ".note",
                        page.toString());
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("two tides a day"));
        assertFalse(text.out().contains("Read more"), text.out());
        assertFalse(text.out().contains("#"), "plain text has no Markdown headings: " + text.out());

        Cli.Run html = Cli.run("read", "--format", "html", page.toString());
        assertTrue(html.out().contains("<p>"), html.out());

        Path out = dir.resolve("formats");
        Cli.run("read", "--format", "markdown", "--out", out.toString(), page.toString());
        String whole = Files.readString(out.resolve("tides.md"));
        assertTrue(
                whole.contains("Home") && whole.contains("Copyright 2024"),
                "markdown is the whole page: " + whole);
    }

    @Test
    void readsPdfFiles() throws IOException {
        Path pdf = dir.resolve("letter.pdf");
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                content.beginText();
                content.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                content.newLineAtOffset(72, 700);
                content.showText("Harbour dues are payable on arrival.");
                content.endText();
            }
            doc.save(pdf.toFile());
        }
        Path out = dir.resolve("pdf-out");
        Cli.Run run = Cli.run("read", "--out", out.toString(), pdf.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(
                Files.readString(out.resolve("letter.md"))
                        .contains("Harbour dues are payable on arrival."));
    }

    @Test
    void progressBarDrawsOnlyWhenEnabled() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress progress = Progress.to(err, "read", 3, true)) {
            progress.advance(1);
            progress.println("plinth: x: no such file");
            progress.advance(2);
        }
        String drawn = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(drawn.contains("\r") && drawn.contains("3/3 100%"), drawn);
        assertTrue(drawn.contains("plinth: x: no such file\n"), drawn);

        bytes.reset();
        try (Progress quiet = Progress.to(err, "read", 3, false)) {
            quiet.advance(3);
            quiet.println("plinth: y: no such file");
        }
        assertEquals(
                "plinth: y: no such file\n",
                bytes.toString(StandardCharsets.UTF_8).replace("\r\n", "\n"));
    }

    @Test
    void keepsALocalFilesLinksRelativeUnlessGivenABase() throws IOException {
        Path page =
                Files.writeString(
                        dir.resolve("guide.html"),
                        "<h1 id='intro'>Guide</h1><p><a href='#intro'>Top</a> "
                                + "<a href='setup.html'>Setup</a> <img src='img/map.png' alt='Map'></p>");
        Cli.Run plain = Cli.run("read", "--format", "markdown", page.toString());
        assertEquals(0, plain.exit(), plain.err());
        assertTrue(
                plain.out()
                        .contains("[Top](#intro) [Setup](setup.html) ![Image 1: Map](img/map.png)"),
                plain.out());
        assertFalse(plain.out().contains("file:"), plain.out());

        Cli.Run based =
                Cli.run(
                        "read",
                        "--format",
                        "markdown",
                        "--base",
                        "https://example.org/docs/",
                        page.toString());
        assertEquals(0, based.exit(), based.err());
        assertTrue(
                based.out()
                        .contains(
                                "[Top](https://example.org/docs/#intro) [Setup](https://example.org/docs/setup.html) "
                                        + "![Image 1: Map](https://example.org/docs/img/map.png)"),
                based.out());

        Cli.Run relative = Cli.run("read", "--base", "docs/", page.toString());
        assertEquals(2, relative.exit());
        assertTrue(
                relative.err().contains("--base must be an absolute http(s) URL"), relative.err());
    }

    @Test
    void badFormatIsAUsageError() {
        Cli.Run run = Cli.run("read", "--format", "yaml", "x.html");
        assertEquals(2, run.exit());
    }

    @Test
    void namesOutputsAfterFilesAndUrls() {
        assertEquals("page", ReadCommand.baseName("/tmp/x/page.html.gz"));
        assertEquals("Report.v2", ReadCommand.baseName("Report.v2.HTML"));
        assertEquals("doc", ReadCommand.baseName("doc.pdf"));
        assertEquals(
                "example.com-blog-2024-post",
                ReadCommand.baseName("https://example.com/blog/2024/post.html?x=1"));
        assertEquals("example.com", ReadCommand.baseName("https://example.com/"));
    }
}
