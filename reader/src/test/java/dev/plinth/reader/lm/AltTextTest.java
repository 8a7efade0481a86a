package dev.plinth.reader.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AltTextTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** A 1×1 PNG. */
    private static final byte[] PNG =
            Base64.getDecoder()
                    .decode(
                            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    private FakeBackend lmBackend;
    private FakeBackend vision;
    private final Map<String, ReaderLm.Image> images = new HashMap<>();
    private final AtomicInteger loads = new AtomicInteger();

    private final ReaderLm.ImageLoader loader =
            (url, timeout) -> {
                loads.incrementAndGet();
                ReaderLm.Image image = images.get(url.toString());
                if (image == null) {
                    throw new IOException("HTTP 404 for " + url);
                }
                return image;
            };

    @BeforeEach
    void start() throws IOException {
        lmBackend = new FakeBackend();
        vision = new FakeBackend();
        vision.otherwise(call -> FakeBackend.text("\"A small red square on a white page.\"\n"));
    }

    @AfterEach
    void stop() {
        lmBackend.close();
        vision.close();
    }

    private ReaderLm engine(int maxImages, int cacheEntries) {
        return new ReaderLm(
                ReaderLm.Settings.builder(
                                new ReaderLm.Backend(lmBackend.url(), "readerlm-v2", null))
                        .vlm(new ReaderLm.Backend(vision.url(), "a-vlm", "vlm-key"))
                        .images(maxImages, 1 << 20, cacheEntries)
                        .build());
    }

    /** A distinct PNG: the same image with a different trailing byte. */
    private static byte[] png(int variant) {
        byte[] bytes = Arrays.copyOf(PNG, PNG.length + 1);
        bytes[PNG.length] = (byte) variant;
        return bytes;
    }

    private static Document page(String body) {
        return Jsoup.parse("<body>" + body + "</body>", "https://example.com/a/");
    }

    @Test
    void writesAltTextIntoImagesWithoutOne() throws Exception {
        images.put("https://example.com/a/one.png", new ReaderLm.Image(png(1), "image/png"));
        images.put("https://example.com/two.png", new ReaderLm.Image(png(2), "image/png"));
        Document doc =
                page(
                        "<img src=one.png><img src=/logo.png alt=\"Company logo\">"
                                + "<img src=/two.png alt=\"Image\">");
        ReaderLm.Captions captions;
        try (ReaderLm lm = engine(8, 100)) {
            captions = lm.describeImages(doc, loader, TIMEOUT);
        }
        assertEquals(2, captions.generated());
        assertEquals(List.of(), captions.warnings());
        assertEquals("A small red square on a white page", doc.select("img").get(0).attr("alt"));
        assertEquals("Company logo", doc.select("img").get(1).attr("alt"));
        assertEquals("A small red square on a white page", doc.select("img").get(2).attr("alt"));
        assertEquals(2 * FakeBackend.PROMPT_TOKENS, captions.usage().promptTokens());

        assertEquals(2, vision.calls().size());
        assertEquals(0, lmBackend.calls().size());
        FakeBackend.Call call = vision.calls().get(0);
        assertEquals("a-vlm", call.body().path("model").asText());
        assertEquals("Bearer vlm-key", call.headers().getFirst("Authorization"));
        JsonNode content = call.messages().get(0).path("content");
        assertEquals("text", content.get(0).path("type").asText());
        assertEquals(AltText.PROMPT, content.get(0).path("text").asText());
        String url = content.get(1).path("image_url").path("url").asText();
        assertTrue(url.startsWith("data:image/png;base64,"), url);
        byte[] sent = Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1));
        assertTrue(Arrays.equals(png(1), sent) || Arrays.equals(png(2), sent));
    }

    @Test
    void describesTheSameImageOnceByItsHash() throws Exception {
        images.put("https://example.com/a/x.png", new ReaderLm.Image(png(7), "image/png"));
        images.put("https://cdn.example.com/x-copy.png", new ReaderLm.Image(png(7), "image/png"));
        try (ReaderLm lm = engine(8, 100)) {
            ReaderLm.Captions first =
                    lm.describeImages(page("<img src=x.png><img src=x.png>"), loader, TIMEOUT);
            assertEquals(1, first.generated());
            Document second = page("<img src=https://cdn.example.com/x-copy.png>");
            ReaderLm.Captions again = lm.describeImages(second, loader, TIMEOUT);
            assertEquals(0, again.generated());
            assertEquals(1, again.cached());
            assertEquals(
                    "A small red square on a white page", second.selectFirst("img").attr("alt"));
        }
        assertEquals(1, vision.calls().size());
        assertEquals(2, loads.get(), "the same URL twice on a page is loaded once");
    }

    @Test
    void boundsTheImagesCaptionedPerPage() throws Exception {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            images.put(
                    "https://example.com/a/" + i + ".png", new ReaderLm.Image(png(i), "image/png"));
            body.append("<img src=").append(i).append(".png>");
        }
        Document doc = page(body.toString());
        ReaderLm.Captions captions;
        try (ReaderLm lm = engine(2, 100)) {
            captions = lm.describeImages(doc, loader, TIMEOUT);
        }
        assertEquals(2, captions.generated());
        assertEquals(2, vision.calls().size());
        assertTrue(captions.warnings().get(0).contains("3 more"), captions.warnings().toString());
        // Document order decides which ones.
        assertTrue(doc.select("img").get(1).hasAttr("alt"));
        assertTrue(!doc.select("img").get(2).hasAttr("alt"));
    }

    @Test
    void anImageThatCannotBeLoadedIsAWarning() throws Exception {
        images.put("https://example.com/a/ok.png", new ReaderLm.Image(png(1), "image/png"));
        Document doc = page("<img src=missing.png><img src=ok.png>");
        ReaderLm.Captions captions;
        try (ReaderLm lm = engine(8, 100)) {
            captions = lm.describeImages(doc, loader, TIMEOUT);
        }
        assertEquals(1, captions.generated());
        assertEquals(1, captions.warnings().size());
        assertTrue(
                captions.warnings().get(0).contains("https://example.com/a/missing.png")
                        && captions.warnings().get(0).contains("HTTP 404"),
                captions.warnings().get(0));
        assertTrue(!doc.selectFirst("img").hasAttr("alt"));
    }

    @Test
    void skipsImagesAVisionModelCannotReadOrThatAreTooLarge() throws Exception {
        images.put(
                "https://example.com/a/v.svg",
                new ReaderLm.Image(
                        "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(), "image/svg+xml"));
        byte[] huge = Arrays.copyOf(PNG, (1 << 20) + 1);
        images.put("https://example.com/a/huge.png", new ReaderLm.Image(huge, "image/png"));
        ReaderLm.Captions captions;
        try (ReaderLm lm = engine(8, 100)) {
            captions =
                    lm.describeImages(page("<img src=v.svg><img src=huge.png>"), loader, TIMEOUT);
        }
        assertEquals(0, vision.calls().size());
        String all = String.join("\n", captions.warnings());
        assertTrue(all.contains("image/svg+xml, not a raster image"), all);
        assertTrue(all.contains("over the cap of 1048576"), all);
    }

    @Test
    void sniffsTheTypeWhenTheServerSendsNone() {
        assertEquals(
                "image/png",
                AltText.mediaType(new ReaderLm.Image(PNG, "application/octet-stream")));
        assertEquals(
                "image/jpeg",
                AltText.mediaType(
                        new ReaderLm.Image(
                                new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0}, null)));
    }

    @Test
    void describesInlineDataImagesWithoutLoadingThem() throws Exception {
        String src = "data:image/png;base64," + Base64.getEncoder().encodeToString(PNG);
        Document doc = page("<img src=\"" + src + "\">");
        try (ReaderLm lm = engine(8, 100)) {
            assertEquals(1, lm.describeImages(doc, loader, TIMEOUT).generated());
        }
        assertEquals(0, loads.get());
        String sent =
                vision.calls()
                        .get(0)
                        .messages()
                        .get(0)
                        .path("content")
                        .get(1)
                        .path("image_url")
                        .path("url")
                        .asText();
        assertArrayEquals(PNG, Base64.getDecoder().decode(sent.substring(sent.indexOf(',') + 1)));
    }

    @Test
    void theCacheIsBoundedAndForgetsTheLeastRecentlyUsed() throws Exception {
        images.put("https://example.com/a/1.png", new ReaderLm.Image(png(1), "image/png"));
        images.put("https://example.com/a/2.png", new ReaderLm.Image(png(2), "image/png"));
        try (ReaderLm lm = engine(8, 1)) {
            lm.describeImages(page("<img src=1.png>"), loader, TIMEOUT);
            lm.describeImages(page("<img src=2.png>"), loader, TIMEOUT);
            ReaderLm.Captions again = lm.describeImages(page("<img src=1.png>"), loader, TIMEOUT);
            assertEquals(1, again.generated(), "image 1 was evicted by image 2");
        }
        assertEquals(3, vision.calls().size());
    }

    @Test
    void aFailingVisionBackendLeavesThePageAsItWasWithAWarning() throws Exception {
        vision.otherwise(call -> FakeBackend.status(400, Map.of()));
        images.put("https://example.com/a/1.png", new ReaderLm.Image(png(1), "image/png"));
        Document doc = page("<img src=1.png>");
        ReaderLm.Captions captions;
        try (ReaderLm lm = engine(8, 100)) {
            captions = lm.describeImages(doc, loader, TIMEOUT);
        }
        assertEquals(0, captions.generated());
        assertTrue(captions.warnings().get(0).contains("HTTP 400"), captions.warnings().toString());
        assertTrue(!doc.selectFirst("img").hasAttr("alt"));
    }

    @Test
    void withoutAVisionBackendAltTextIsABadRequest() {
        try (ReaderLm lm =
                new ReaderLm(
                        ReaderLm.Settings.builder(
                                        new ReaderLm.Backend(lmBackend.url(), "readerlm-v2", null))
                                .build())) {
            LmException e =
                    assertThrows(
                            LmException.class,
                            () -> lm.describeImages(page("<img src=1.png>"), loader, TIMEOUT));
            assertEquals(LmException.Kind.BAD_REQUEST, e.kind());
            assertTrue(!lm.hasVision());
        }
    }

    @Test
    void tidiesACaptionIntoOneLineOfAltText() {
        assertEquals("A cat on a mat", AltText.tidy("  \"A cat\n on a mat.\" "));
        assertEquals("Wait...", AltText.tidy("Wait..."));
        assertTrue(AltText.tidy("word ".repeat(100)).length() <= 301);
        assertTrue(AltText.lacksAlt(Jsoup.parse("<img alt=' Photo '>").selectFirst("img")));
        assertTrue(
                !AltText.lacksAlt(Jsoup.parse("<img alt='Photo of a bridge'>").selectFirst("img")));
    }

    @Test
    void ignoresSourcesThatAreNotHttpOrData() throws Exception {
        try (ReaderLm lm = engine(8, 100)) {
            ReaderLm.Captions captions =
                    lm.describeImages(
                            Jsoup.parse("<img src='file:///etc/passwd'><img src='javascript:x'>"),
                            loader,
                            TIMEOUT);
            assertEquals(0, captions.generated());
        }
        assertEquals(0, loads.get());
        assertEquals(0, vision.calls().size());
    }
}
