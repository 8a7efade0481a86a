package dev.plinth.models;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * A model's {@code tokenizer.json} (HuggingFace tokenizers through DJL), with plinth's own rules on
 * top: padding and truncation in the file are switched off (all-MiniLM's file pads and cuts at
 * 128), plinth truncates at the model's {@code max_tokens} itself and keeps the special tokens, and
 * inputs are lowercased when the model config asks (bge-small-zh's vocabulary is lowercase, its
 * normalizer is not). Thread-safe: the native tokenizer is immutable once built.
 */
public final class Tokenizer implements AutoCloseable {

    /**
     * One encoded text.
     *
     * @param ids token ids, special tokens included, at most the limit asked for
     * @param typeIds segment ids, same length (zeros for a single text)
     * @param fullLength how many tokens the text had before truncation, special tokens included
     */
    public record Encoded(long[] ids, long[] typeIds, int fullLength) {
        /** The number of tokens actually kept. */
        public int length() {
            return ids.length;
        }

        /** Whether tokens were cut. */
        public boolean truncated() {
            return fullLength > ids.length;
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final byte[] json;
    private final boolean lowercase;
    private final long[] leading;
    private final long[] trailing;
    private volatile HuggingFaceTokenizer pairTokenizer;
    private volatile int pairLimit;

    private Tokenizer(byte[] json, boolean lowercase) throws IOException {
        Natives.silenceDjl();
        this.json = json;
        this.lowercase = lowercase;
        this.tokenizer =
                HuggingFaceTokenizer.newInstance(
                        new ByteArrayInputStream(json),
                        Map.of(
                                "truncation",
                                "false",
                                "padding",
                                "false",
                                "addSpecialTokens",
                                "true"));
        // The special tokens a single text is wrapped in ([CLS] … [SEP], <s> … </s>): found by
        // encoding one plain word and looking at what surrounds it.
        Encoding probe = tokenizer.encode("a", true, false);
        long[] ids = probe.getIds();
        long[] special = probe.getSpecialTokenMask();
        int first = 0;
        while (first < ids.length && special[first] == 1) first++;
        int last = ids.length;
        while (last > first && special[last - 1] == 1) last--;
        this.leading = Arrays.copyOfRange(ids, 0, first);
        this.trailing = Arrays.copyOfRange(ids, last, ids.length);
    }

    /** Loads a {@code tokenizer.json}'s bytes; {@code lowercase} lowercases every input first. */
    public static Tokenizer load(byte[] tokenizerJson, boolean lowercase) throws IOException {
        return new Tokenizer(tokenizerJson, lowercase);
    }

    /** Encodes one text with its special tokens, cut to {@code maxTokens} (specials kept). */
    public Encoded encode(String text, int maxTokens) {
        long[] body = pieces(text);
        int full = body.length + leading.length + trailing.length;
        int room = Math.max(0, maxTokens - leading.length - trailing.length);
        int kept = Math.min(body.length, room);
        long[] ids = new long[leading.length + kept + trailing.length];
        System.arraycopy(leading, 0, ids, 0, leading.length);
        System.arraycopy(body, 0, ids, leading.length, kept);
        System.arraycopy(trailing, 0, ids, leading.length + kept, trailing.length);
        return new Encoded(ids, new long[ids.length], full);
    }

    /** The token ids of a text without special tokens and without any cut. */
    public long[] pieces(String text) {
        return tokenizer.encode(normalize(text), false, false).getIds();
    }

    /** The token strings of a text without special tokens (for display and segmentation). */
    public String[] tokens(String text) {
        return tokenizer.encode(normalize(text), false, false).getTokens();
    }

    /**
     * Encodes a (query, document) pair with the tokenizer's pair template ([CLS] q [SEP] d [SEP]),
     * cutting the document so the whole fits {@code maxTokens}; for cross-encoders.
     */
    public Encoded encodePair(String first, String second, int maxTokens) {
        Encoding full = tokenizer.encode(normalize(first), normalize(second), true, false);
        if (full.getIds().length <= maxTokens)
            return new Encoded(full.getIds(), full.getTypeIds(), full.getIds().length);
        Encoding cut =
                pairTokenizer(maxTokens).encode(normalize(first), normalize(second), true, false);
        return new Encoded(cut.getIds(), cut.getTypeIds(), full.getIds().length);
    }

    /** Turns ids back into text, dropping special tokens. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** The special tokens before a single text ({@code [CLS]}). */
    public long[] leading() {
        return leading.clone();
    }

    /** The special tokens after a single text ({@code [SEP]}). */
    public long[] trailing() {
        return trailing.clone();
    }

    private String normalize(String text) {
        return lowercase ? text.toLowerCase(Locale.ROOT) : text;
    }

    private HuggingFaceTokenizer pairTokenizer(int maxTokens) {
        HuggingFaceTokenizer pair = pairTokenizer;
        if (pair != null && pairLimit == maxTokens) return pair;
        synchronized (this) {
            if (pairTokenizer == null || pairLimit != maxTokens) {
                try {
                    pairTokenizer =
                            HuggingFaceTokenizer.newInstance(
                                    new ByteArrayInputStream(json),
                                    Map.of(
                                            "truncation",
                                            "ONLY_SECOND",
                                            "maxLength",
                                            Integer.toString(maxTokens),
                                            "padding",
                                            "false",
                                            "addSpecialTokens",
                                            "true"));
                    pairLimit = maxTokens;
                } catch (IOException e) {
                    throw new ModelException(
                            ModelException.Reason.RUNTIME, "tokenizer: " + e.getMessage(), e);
                }
            }
            return pairTokenizer;
        }
    }

    @Override
    public void close() {
        tokenizer.close();
        if (pairTokenizer != null) pairTokenizer.close();
    }
}
