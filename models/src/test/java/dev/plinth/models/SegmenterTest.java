package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import dev.plinth.models.Segmenter.Chunk;
import dev.plinth.models.Segmenter.Options;
import dev.plinth.models.Segmenter.Segmentation;
import dev.plinth.models.Segmenter.Token;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SegmenterTest {

    private final Segmenter segmenter = new Segmenter();

    private static Options tokens() {
        return new Options("cl100k_base", true, false, 1000, null, null);
    }

    @Test
    void countsTokensLikeTiktoken() {
        String text = "Jina AI: Your Search Foundation, Supercharged! 🚀 您的搜索底座,从此不同!";
        int expected =
                Encodings.newDefaultEncodingRegistry()
                        .getEncoding(EncodingType.CL100K_BASE)
                        .countTokensOrdinary(text);
        Segmentation result = segmenter.segment(text, Options.defaults());
        assertEquals(expected, result.numTokens());
        assertEquals("cl100k_base", result.tokenizer());
        assertNull(result.tokens());
        assertNull(result.chunks());
    }

    @Test
    void tokenTextsConcatenateBackToTheInput() {
        String text = "Emoji 🚀🚀 and 您的搜索底座 and ünïcödé.\n\nNew paragraph.";
        Segmentation result = segmenter.segment(text, tokens());
        List<Token> tokens = result.tokens().getFirst();
        assertEquals(text, tokens.stream().map(Token::text).collect(Collectors.joining()));
        int ids = tokens.stream().mapToInt(t -> t.ids().size()).sum();
        assertEquals(result.numTokens(), ids, "num_tokens counts ids");
        assertTrue(ids > tokens.size(), "some characters need more than one BPE id: " + tokens);
    }

    @Test
    void groupsByteFragmentsOfOneCharacter() {
        Segmentation result = segmenter.segment("🚀", tokens());
        List<Token> tokens = result.tokens().getFirst();
        assertTrue(result.numTokens() > 1, "an emoji is several byte-level tokens");
        assertEquals(1, tokens.size());
        assertEquals("🚀", tokens.getFirst().text());
        int[] expected =
                Encodings.newDefaultEncodingRegistry()
                        .getEncoding(EncodingType.CL100K_BASE)
                        .encodeOrdinary("🚀")
                        .toArray();
        assertEquals(expected.length, tokens.getFirst().ids().size());
        assertEquals(expected[0], tokens.getFirst().ids().getFirst());
    }

    @Test
    void headAndTailKeepTheFirstOrLastTokens() {
        String text = "one two three four five six";
        Segmentation head = segmenter.segment(text, new Options(null, true, false, 1000, 2, null));
        assertEquals(6, head.numTokens());
        assertEquals(
                List.of("one", " two"),
                head.tokens().getFirst().stream().map(Token::text).toList());
        Segmentation tail = segmenter.segment(text, new Options(null, true, true, 1000, null, 2));
        assertEquals(
                List.of(" five", " six"),
                tail.tokens().getFirst().stream().map(Token::text).toList());
        assertEquals(List.of(new Chunk(19, 27, "five six")), tail.chunks());
    }

    @Test
    void headNeverSplitsACharacter() {
        Segmentation result =
                segmenter.segment("ab 🚀", new Options(null, true, false, 1000, 3, null));
        assertEquals(
                "ab",
                result.tokens().getFirst().stream().map(Token::text).collect(Collectors.joining()));
    }

    @Test
    void chunksParagraphsAndReportsTheirOffsets() {
        String text = "  # Title\n\nFirst paragraph, one line.\nSecond line.\n \n\nLast one.  ";
        Segmentation result =
                segmenter.segment(text, new Options(null, false, true, 1000, null, null));
        assertEquals(
                List.of("# Title", "First paragraph, one line.\nSecond line.", "Last one."),
                result.chunks().stream().map(Chunk::text).toList());
        for (Chunk chunk : result.chunks())
            assertEquals(chunk.text(), text.substring(chunk.start(), chunk.end()));
        assertEquals(2, result.chunks().getFirst().start());
    }

    @Test
    void cutsLongParagraphsAtSentencesWithinTheLimit() {
        String sentence = "This sentence has exactly some words in it. ";
        String text = sentence.repeat(30).strip();
        Segmentation result =
                segmenter.segment(text, new Options(null, false, true, 200, null, null));
        assertTrue(result.chunks().size() >= 7);
        for (Chunk chunk : result.chunks()) {
            assertTrue(chunk.text().length() <= 200, chunk.text());
            assertTrue(chunk.text().endsWith("."), "cut at a sentence end: " + chunk.text());
        }
    }

    @Test
    void cutsWordsAndCharactersWhenNothingElseFits() {
        String text = "a".repeat(25) + " " + "🚀".repeat(7);
        Segmentation result =
                segmenter.segment(text, new Options(null, false, true, 10, null, null));
        for (Chunk chunk : result.chunks()) {
            assertTrue(chunk.text().length() <= 10, chunk.text());
            assertTrue(
                    chunk.text().codePoints().allMatch(cp -> cp == 'a' || cp == 0x1F680),
                    "no split surrogate");
        }
        assertEquals(
                text.replace(" ", ""),
                result.chunks().stream().map(Chunk::text).collect(Collectors.joining()));
    }

    @Test
    void groupsTokensByChunkWhenBothAreAsked() {
        String text = "Alpha beta.\n\nGamma delta.";
        Segmentation result =
                segmenter.segment(text, new Options(null, true, true, 1000, null, null));
        assertEquals(2, result.tokens().size());
        assertEquals(
                "Alpha beta.",
                result.tokens().get(0).stream()
                        .map(Token::text)
                        .collect(Collectors.joining())
                        .strip());
        assertEquals(
                "Gamma delta.",
                result.tokens().get(1).stream()
                        .map(Token::text)
                        .collect(Collectors.joining())
                        .strip());
    }

    @Test
    void acceptsEveryJtokkitEncoding() {
        for (String name : Segmenter.encodingNames()) {
            assertTrue(segmenter.count("hello world", name) >= 2, name);
        }
    }

    @Test
    void refusesUnknownTokenizersAndBadOptions() {
        var unknown =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                segmenter.segment(
                                        "x", new Options("nope", false, false, 1000, null, null)));
        assertTrue(unknown.getMessage().contains("cl100k_base"), unknown.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new Options(null, false, false, 0, null, null));
        assertThrows(
                IllegalArgumentException.class, () -> new Options(null, false, false, 10, 1, 1));
        assertThrows(
                IllegalArgumentException.class, () -> new Options(null, false, false, 10, 0, null));
    }

    @Test
    void usesTheBundledModelsTokenizersWithTheirSpans() {
        try (ModelRegistry registry =
                ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()))) {
            Segmenter withModels = Segmenter.withModels(registry);
            String text = "Héllo 🚀 wörld, tokenization!";
            Segmentation result =
                    withModels.segment(
                            text,
                            new Options("bge-small-en-v1.5-int8", true, false, 1000, null, null));
            assertEquals(
                    registry.get("bge-small-en-v1.5-int8").tokenizer().pieces(text).length,
                    result.numTokens());
            List<String> texts = result.tokens().getFirst().stream().map(Token::text).toList();
            assertEquals("Héllo", texts.getFirst(), "spans index the original text: " + texts);
            assertTrue(texts.contains("🚀"), texts.toString());
            assertTrue(texts.contains("wörld"), texts.toString());
            assertEquals("!", texts.getLast());
        }
    }

    @Test
    void usesModelTokenizersByName() {
        Segmenter.Tokenizer words =
                text -> List.of(new Segmenter.Piece(0, text.length(), new int[] {7}));
        Segmenter withModels =
                new Segmenter(name ->
                        name.equals("tiny")
                                ? java.util.Optional.of(words)
                                : java.util.Optional.empty());
        assertEquals(
                1,
                withModels
                        .segment(
                                "anything at all",
                                new Options("tiny", false, false, 10, null, null))
                        .numTokens());
    }
}
