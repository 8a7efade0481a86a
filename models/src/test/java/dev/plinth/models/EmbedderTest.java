package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbedderTest {

    static final Embedder E = Shared.EMBEDDER;

    static Embedder.Request request(String... texts) {
        return Embedder.Request.of(List.of(texts)).withModel(Shared.EN);
    }

    static ModelException invalid(Embedder.Request r) {
        ModelException e = assertThrows(ModelException.class, () -> E.embed(r));
        assertEquals(ModelException.Reason.INVALID_INPUT, e.reason(), e.getMessage());
        return e;
    }

    @Test
    void embed_returnsUnitVectorsOfTheModelsWidth() {
        Embedder.Result r = E.embed(request("hello world", "second"));
        assertEquals(Shared.EN, r.model());
        assertEquals(2, r.embeddings().size());
        for (float[] v : r.embeddings()) {
            assertEquals(384, v.length);
            assertEquals(1.0, Shared.dot(v, v), 1e-5);
        }
    }

    @Test
    void embed_usesTheDefaultModelWhenNoneIsNamed() {
        assertEquals("bge-small-en-v1.5-int8", E.embed(Embedder.Request.of(List.of("x"))).model());
    }

    @Test
    void embed_truncatesToRequestedDimensionsAndRenormalizes() {
        float[] full =
                E.embed(request("Matryoshka dolls nest inside each other").withDimensions(null))
                        .embeddings()
                        .getFirst();
        Embedder.Request raw =
                new Embedder.Request(
                        Shared.EN,
                        List.of(Embedder.Input.text("Matryoshka dolls nest inside each other")),
                        null,
                        null,
                        false,
                        true,
                        false);
        float[] unnormalized = E.embed(raw).embeddings().getFirst();
        float[] cut =
                E.embed(request("Matryoshka dolls nest inside each other").withDimensions(64))
                        .embeddings()
                        .getFirst();
        assertEquals(64, cut.length);
        assertEquals(1.0, Shared.dot(cut, cut), 1e-5);
        assertArrayEquals(Pooling.finish(unnormalized, 64, true), cut, 1e-6f);
        assertTrue(
                Math.abs(Shared.dot(unnormalized, unnormalized) - 1) > 1e-3,
                "normalized=false keeps the raw length");
        assertArrayEquals(Pooling.finish(unnormalized, 384, true), full, 1e-6f);
    }

    @Test
    void embed_countsTheTokensActuallyEmbedded() {
        // "hello world" is [CLS] hello world [SEP]: 4 tokens; the query task adds its prefix's
        // tokens.
        assertEquals(4, E.embed(request("hello world")).tokens());
        int withPrefix = E.embed(request("hello world").withTask("retrieval.query")).tokens();
        Tokenizer tok = Shared.REGISTRY.get(Shared.EN).tokenizer();
        assertEquals(
                4 + tok.pieces("Represent this sentence for searching relevant passages: ").length,
                withPrefix);
    }

    @Test
    void embed_queryTaskAddsTheModelsPrefix() {
        float[] query =
                E.embed(request("what is plinth").withTask("retrieval.query"))
                        .embeddings()
                        .getFirst();
        float[] passage =
                E.embed(request("what is plinth").withTask("retrieval.passage"))
                        .embeddings()
                        .getFirst();
        float[] prefixed =
                E.embed(
                                request(
                                        "Represent this sentence for searching relevant passages: what is plinth"))
                        .embeddings()
                        .getFirst();
        assertArrayEquals(prefixed, query, 1e-6f);
        assertNotEquals(1.0, Shared.dot(query, passage), 1e-4);
    }

    @Test
    void embed_truncatesLongInputAtMaxTokensUnlessTold() {
        String longText = "word ".repeat(600);
        Embedder.Result r = E.embed(request(longText));
        assertEquals(512, r.tokens());
        Embedder.Request strict =
                new Embedder.Request(
                        Shared.EN,
                        List.of(Embedder.Input.text("short"), Embedder.Input.text(longText)),
                        null,
                        null,
                        true,
                        false,
                        false);
        String message = invalid(strict).getMessage();
        assertTrue(message.contains("input[1] has 602 tokens"), message);
        assertTrue(message.contains("at most 512"), message);
    }

    @Test
    void embed_refusesAnUnknownTaskNamingTheValidOnes() {
        String m = invalid(request("x").withTask("retrieval")).getMessage();
        assertTrue(
                m.contains(
                        "retrieval.query, retrieval.passage, text-matching, classification, separation"),
                m);
    }

    @Test
    void embed_refusesBadDimensions() {
        assertTrue(
                invalid(request("x").withDimensions(0)).getMessage().contains("between 1 and 384"));
        assertTrue(invalid(request("x").withDimensions(385)).getMessage().contains("not 385"));
    }

    @Test
    void embed_refusesEmptyAndOversizedInput() {
        assertTrue(invalid(Embedder.Request.of(List.of())).getMessage().contains("at least one"));
        List<String> many = Collections.nCopies(Embedder.MAX_INPUTS + 1, "x");
        assertTrue(invalid(Embedder.Request.of(many)).getMessage().contains("at most 512"));
    }

    @Test
    void embed_refusesAnUnknownModelNamingTheInstalledOnes() {
        ModelException e =
                assertThrows(ModelException.class, () -> E.embed(request("x").withModel("gpt-5")));
        assertEquals(ModelException.Reason.UNKNOWN_MODEL, e.reason());
        assertTrue(
                e.getMessage().contains(Shared.EN) && e.getMessage().contains(Shared.ZH),
                e.getMessage());
    }

    @Test
    void chineseModel_lowercasesLatinSoItIsNotUnknown() throws Exception {
        Model zh = Shared.REGISTRY.get(Shared.ZH);
        byte[] json = java.nio.file.Files.readAllBytes(zh.folder().resolve("tokenizer.json"));
        try (Tokenizer raw = Tokenizer.load(json, false)) {
            assertTrue(
                    List.of(raw.tokens("OpenAI 发布")).contains("[UNK]"),
                    "the vocabulary has no uppercase Latin");
        }
        assertTrue(!List.of(zh.tokenizer().tokens("OpenAI 发布")).contains("[UNK]"));
        float[] upper =
                E.embed(Embedder.Request.of(List.of("OpenAI 发布了新模型")).withModel(Shared.ZH))
                        .embeddings()
                        .getFirst();
        float[] lower =
                E.embed(Embedder.Request.of(List.of("openai 发布了新模型")).withModel(Shared.ZH))
                        .embeddings()
                        .getFirst();
        assertArrayEquals(lower, upper, 1e-6f);
    }

    @Test
    void bundledConfigs_matchTheCatalog() {
        for (String name : Catalog.BUNDLED) {
            ModelRegistry.Available a =
                    Shared.REGISTRY.available().stream()
                            .filter(x -> x.config().name().equals(name))
                            .findFirst()
                            .orElseThrow();
            assertTrue(a.bundled());
            assertEquals(Catalog.find(name).orElseThrow().config(), a.config());
        }
    }
}
