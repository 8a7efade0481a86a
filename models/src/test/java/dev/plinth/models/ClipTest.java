package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A CLIP folder with jina-clip-v2's ONNX signature (one file: {@code input_ids} and {@code
 * pixel_values} in; {@code text_embeddings}, {@code image_embeddings} and their l2norm twins out,
 * no attention mask) on the tiny model of scripts/make-tiny-jina-models.py: a text's vector counts
 * its colour words {@code [red, green, blue, 0]}, an image's is its channel means of {@code
 * pixel_values}. And the preprocessing against Pillow's own output.
 */
class ClipTest {

    private static final String MODEL = "tiny-jina-clip";
    private static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};
    private static ModelRegistry registry;
    private static Embedder embedder;

    @BeforeAll
    static void load() {
        registry = TinyModels.registry();
        embedder = new Embedder(registry);
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    private static byte[] image(String name) throws Exception {
        return Files.readAllBytes(TinyModels.resource("image-fixtures/" + name));
    }

    /** A solid colour's expected vector: each channel's normalized value, then 0. */
    private static float[] solid(int r, int g, int b) {
        int[] rgb = {r, g, b};
        double[] v = new double[4];
        for (int c = 0; c < 3; c++) v[c] = (rgb[c] / 255f - MEAN[c]) / STD[c];
        return TinyModels.normalized(v);
    }

    @Test
    void imagesInEveryFormat_embedThroughTheVisionTower() throws Exception {
        List<Embedder.Input> inputs =
                List.of(
                        new Embedder.Input.Image(image("red.png")),
                        new Embedder.Input.Image(image("green.gif")),
                        new Embedder.Input.Image(image("blue.webp")),
                        new Embedder.Input.Image(image("blue.png")));
        Embedder.Result r = embedder.embed(Embedder.Request.ofInputs(inputs).withModel(MODEL));
        assertArrayEquals(solid(255, 0, 0), r.embeddings().get(0), 1e-5f, "PNG");
        assertArrayEquals(solid(0, 160, 0), r.embeddings().get(1), 1e-5f, "GIF, first frame");
        assertArrayEquals(solid(0, 0, 255), r.embeddings().get(2), 1e-5f, "WebP");
        assertArrayEquals(r.embeddings().get(2), r.embeddings().get(3), 1e-6f);
        float[] jpeg =
                embedder.embed(
                                Embedder.Request.ofInputs(
                                                List.of(new Embedder.Input.Image(image("red.jpg"))))
                                        .withModel(MODEL))
                        .embeddings()
                        .getFirst();
        assertTrue(Shared.dot(jpeg, solid(255, 0, 0)) > 0.999, "JPEG, lossy but red");
    }

    @Test
    void textsAndImages_landInOneSpace() throws Exception {
        Embedder.Result r =
                embedder.embed(
                        Embedder.Request.ofInputs(
                                        List.of(
                                                Embedder.Input.text("a red apple"),
                                                new Embedder.Input.Image(image("red.png"))))
                                .withModel(MODEL));
        assertArrayEquals(new float[] {1, 0, 0, 0}, r.embeddings().get(0), 1e-6f);
        assertEquals(
                r.embeddings().get(1)[0],
                Shared.dot(r.embeddings().get(0), r.embeddings().get(1)),
                1e-6);
    }

    @Test
    void zeroShotClassification_ofAnImageAmongTextLabels() throws Exception {
        Classifier.Result r =
                new Classifier(embedder)
                        .classifyInputs(
                                MODEL,
                                List.of(
                                        new Embedder.Input.Image(image("green.png")),
                                        new Embedder.Input.Image(image("blue.webp"))),
                                List.of("red", "green", "blue"));
        assertEquals("green", r.data().get(0).prediction());
        assertEquals("blue", r.data().get(1).prediction());
    }

    @Test
    void rerank_imageDocumentsByATextQuery() throws Exception {
        Reranker.Ranking ranking =
                new Reranker(registry)
                        .rerankInputs(
                                MODEL,
                                "blue",
                                List.of(
                                        new Embedder.Input.Image(image("red.png")),
                                        new Embedder.Input.Image(image("blue.png")),
                                        Embedder.Input.text("green")),
                                null);
        assertEquals(1, ranking.results().getFirst().index());
    }

    @Test
    void notAnImage_isRefusedNamingTheInput() {
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                embedder.embed(
                                        Embedder.Request.ofInputs(
                                                        List.of(
                                                                Embedder.Input.text("x"),
                                                                new Embedder.Input.Image(
                                                                        "<html>".getBytes())))
                                                .withModel(MODEL)));
        assertEquals(ModelException.Reason.INVALID_INPUT, e.reason());
        assertTrue(e.getMessage().startsWith("input[1]: "), e.getMessage());
    }

    @Test
    void imageForATextModel_isRefused() throws Exception {
        ModelException e =
                assertThrows(
                        ModelException.class,
                        () ->
                                embedder.embed(
                                        Embedder.Request.ofInputs(
                                                        List.of(
                                                                new Embedder.Input.Image(
                                                                        image("red.png"))))
                                                .withModel("tiny-jina-v3")));
        assertTrue(e.getMessage().contains("takes no images"), e.getMessage());
    }

    @Test
    void preprocessing_matchesPillowInBothConfigDialects() throws Exception {
        JsonNode golden =
                ModelConfig.JSON.readTree(
                        TinyModels.resource("image-fixtures/noisy-golden.json").toFile());
        byte[] noisy = image("noisy.png");
        for (String dialect : List.of("hf", "open_clip")) {
            ImagePreprocessor p =
                    ImagePreprocessor.read(
                            new ByteArrayInputStream(
                                    golden.get(dialect).get("config").toString().getBytes()));
            float[] got = p.pixels(noisy);
            JsonNode want = golden.get(dialect).get("pixels");
            int h = want.get(0).size(), w = want.get(0).get(0).size();
            assertEquals(3 * h * w, got.length, dialect);
            float worst = 0;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        worst =
                                Math.max(
                                        worst,
                                        Math.abs(
                                                got[(c * h + y) * w + x]
                                                        - want.get(c).get(y).get(x).floatValue()));
            // One 8-bit step is 1/255/std ≈ 0.015; Pillow's fixed point is reproduced exactly.
            assertTrue(worst < 1e-4, dialect + ": worst difference " + worst);
        }
    }

    @Test
    void hugeImage_isDecodedSubsampled() throws Exception {
        java.awt.image.BufferedImage big =
                new java.awt.image.BufferedImage(
                        5000, 4000, java.awt.image.BufferedImage.TYPE_INT_RGB);
        var g = big.createGraphics();
        g.setColor(new java.awt.Color(255, 0, 0));
        g.fillRect(0, 0, 5000, 4000);
        g.dispose();
        var out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(big, "png", out);
        ImagePreprocessor.Rgb rgb = ImagePreprocessor.decode(out.toByteArray());
        assertTrue((long) rgb.width() * rgb.height() <= ImagePreprocessor.MAX_PIXELS);
        assertEquals(2500, rgb.width(), "every second pixel of 20 MP");
    }
}
