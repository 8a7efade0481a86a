package dev.plinth.models;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * A model's {@code tokenizer.json} (HuggingFace tokenizers through DJL), with plinth's own rules on
 * top: padding and truncation in the file are switched off (all-MiniLM's file pads and cuts at
 * 128), plinth truncates at the model's {@code max_tokens} itself and keeps the special tokens, and
 * inputs are lowercased when the model config asks (bge-small-zh's vocabulary is lowercase, its
 * normalizer is not). Thread-safe: the native tokenizer is immutable once built; {@link #close}
 * waits for calls in progress and refuses later ones (freeing it under a running call would crash
 * the process, not throw).
 *
 * <p>Length is bounded before tokenizing, by characters: a text is read up to {@value
 * #MAX_CHARS_PER_TOKEN} characters per token the caller can keep. Tokenizing costs time and native
 * memory in proportion to the whole text (a 19.5 MB input took 52 s and 1.9 GB only to be refused),
 * while no tokenizer plinth meets averages anywhere near that many characters per token (English
 * runs at about 4 to 5, CJK at 1 to 2), so the cut never changes which tokens are kept unless a
 * text is mostly whitespace or one endless word, and then it keeps fewer, never wrong ones.
 */
final class Tokenizer implements AutoCloseable {

    /** Characters read per token kept, at most: the bound applied before tokenizing. */
    public static final int MAX_CHARS_PER_TOKEN = 16;

    /**
     * A lower bound of the tokens a text of {@code chars} characters encodes to, cut at {@code
     * max}: what admission to a busy model is judged on before the work of tokenizing is spent.
     */
    static long leastTokens(long chars, int max) {
        return Math.min(max, 1 + chars / MAX_CHARS_PER_TOKEN);
    }

    /** {@link #leastTokens(long, int)} of each text, added up. */
    static long leastTokens(List<String> texts, int max) {
        long least = 0;
        for (String text : texts) least += leastTokens(text.length(), max);
        return least;
    }

    /**
     * One encoded text.
     *
     * @param ids token ids, special tokens included, at most the limit asked for
     * @param typeIds segment ids, same length (zeros for a single text)
     * @param fullLength how many tokens the text had before truncation, special tokens included (of
     *     the part read, when {@code clipped})
     * @param clipped whether the text was longer than {@link #MAX_CHARS_PER_TOKEN} characters per
     *     token and only its start was read
     */
    public record Encoded(long[] ids, long[] typeIds, int fullLength, boolean clipped) {
        /** The number of tokens actually kept. */
        public int length() {
            return ids.length;
        }

        /** Whether tokens were cut. */
        public boolean truncated() {
            return clipped || fullLength > ids.length;
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final byte[] json;
    private final boolean lowercase;
    private final long[] leading;
    private final long[] trailing;
    private final int vocabularySize;
    private volatile HuggingFaceTokenizer pairTokenizer;
    private volatile int pairLimit;
    private final ReentrantReadWriteLock use = new ReentrantReadWriteLock();
    private boolean closed;

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
        this.vocabularySize = vocabularySize(json);
    }

    /** Loads a {@code tokenizer.json}'s bytes; {@code lowercase} lowercases every input first. */
    public static Tokenizer load(byte[] tokenizerJson, boolean lowercase) throws IOException {
        return new Tokenizer(tokenizerJson, lowercase);
    }

    /**
     * Encodes one text with its special tokens, cut to {@code maxTokens} (specials kept); only the
     * first {@code maxTokens} × {@value #MAX_CHARS_PER_TOKEN} characters are read.
     */
    public Encoded encode(String text, int maxTokens) {
        String read = clip(text, maxTokens);
        return wrap(pieces(read), maxTokens, read.length() < text.length());
    }

    /**
     * Wraps token ids of this tokenizer's vocabulary (no special tokens) in the special tokens, cut
     * to {@code maxTokens}; a 422 naming the first id outside the vocabulary.
     */
    public Encoded encodeIds(long[] body, int maxTokens) {
        for (int i = 0; i < body.length; i++) {
            if (body[i] < 0 || body[i] >= vocabularySize) {
                throw ModelException.invalid(
                        "token id "
                                + body[i]
                                + " at position "
                                + i
                                + " is outside the model's vocabulary of "
                                + vocabularySize);
            }
        }
        return wrap(body, maxTokens, false);
    }

    private Encoded wrap(long[] body, int maxTokens, boolean clipped) {
        int full = body.length + leading.length + trailing.length;
        int room = Math.max(0, maxTokens - leading.length - trailing.length);
        int kept = Math.min(body.length, room);
        long[] ids = new long[leading.length + kept + trailing.length];
        System.arraycopy(leading, 0, ids, 0, leading.length);
        System.arraycopy(body, 0, ids, leading.length, kept);
        System.arraycopy(trailing, 0, ids, leading.length + kept, trailing.length);
        return new Encoded(ids, new long[ids.length], full, clipped);
    }

    /** The token ids of a text without special tokens and without any cut. */
    public long[] pieces(String text) {
        return use(() -> tokenizer.encode(normalize(text), false, false).getIds());
    }

    /**
     * The token ids of at most the first {@code maxTokens} × {@value #MAX_CHARS_PER_TOKEN}
     * characters of a text, without special tokens (more than {@code maxTokens} may come back).
     */
    public long[] pieces(String text, int maxTokens) {
        return pieces(clip(text, maxTokens));
    }

    /** The token strings of a text without special tokens (for display and segmentation). */
    public String[] tokens(String text) {
        return use(() -> tokenizer.encode(normalize(text), false, false).getTokens());
    }

    /**
     * The id of a token string as the vocabulary spells it (an added token such as {@code [MASK]}
     * or a marker, or a plain piece such as {@code ","}), or -1 when it has no such entry.
     */
    public long vocabularyId(String token) {
        try {
            JsonNode root = ModelConfig.JSON.readTree(json);
            for (JsonNode added : root.path("added_tokens"))
                if (token.equals(added.path("content").asText(null)))
                    return added.path("id").asLong();
            JsonNode vocab = root.path("model").path("vocab");
            if (vocab.isObject() && vocab.has(token)) return vocab.get(token).asLong();
            if (vocab.isArray()) {
                for (int i = 0; i < vocab.size(); i++)
                    if (token.equals(vocab.get(i).path(0).asText(null))) return i;
            }
            return -1;
        } catch (IOException e) {
            throw new ModelException(
                    ModelException.Reason.RUNTIME, "tokenizer: " + e.getMessage(), e);
        }
    }

    /** How many ids the vocabulary has (the model's embedding table takes ids below it). */
    public int vocabularySize() {
        return vocabularySize;
    }

    /**
     * Whether {@code text} is longer than the characters {@code maxTokens} tokens are read from: an
     * input that must not be truncated is refused on this, before tokenizing.
     */
    public static boolean overCharacterBound(String text, int maxTokens) {
        return text.length() > characterBound(maxTokens);
    }

    /** The most characters read for {@code maxTokens} tokens. */
    public static long characterBound(int maxTokens) {
        return (long) Math.max(1, maxTokens) * MAX_CHARS_PER_TOKEN;
    }

    /**
     * The start of {@code text} that {@code maxTokens} tokens are read from (whole code points).
     */
    static String clip(String text, int maxTokens) {
        long bound = characterBound(maxTokens);
        if (text.length() <= bound) return text;
        int end = (int) bound;
        if (Character.isLowSurrogate(text.charAt(end)) && end > 0) end--;
        return text.substring(0, end);
    }

    /**
     * Encodes a (query, document) pair with the tokenizer's pair template ([CLS] q [SEP] d [SEP]),
     * cutting the document so the whole fits {@code maxTokens}; for cross-encoders.
     */
    public Encoded encodePair(String first, String second, int maxTokens) {
        return use(() -> {
            Encoding full = tokenizer.encode(normalize(first), normalize(second), true, false);
            if (full.getIds().length <= maxTokens)
                return new Encoded(full.getIds(), full.getTypeIds(), full.getIds().length, false);
            Encoding cut =
                    pairTokenizer(maxTokens)
                            .encode(normalize(first), normalize(second), true, false);
            return new Encoded(cut.getIds(), cut.getTypeIds(), full.getIds().length, false);
        });
    }

    /** Turns ids back into text, dropping special tokens. */
    public String decode(long[] ids) {
        return use(() -> tokenizer.decode(ids, true));
    }

    /** The id of a token string (a marker or mask token), or -1 when the vocabulary lacks it. */
    public long id(String token) {
        return use(() -> {
            Encoding e = tokenizer.encode(token, false, false);
            long[] ids = e.getIds();
            String[] tokens = e.getTokens();
            return ids.length == 1 && tokens[0].equals(token) ? ids[0] : -1L;
        });
    }

    /** The special tokens before a single text ({@code [CLS]}). */
    public long[] leading() {
        return leading.clone();
    }

    /** The special tokens after a single text ({@code [SEP]}). */
    public long[] trailing() {
        return trailing.clone();
    }

    /** Runs a call on the native tokenizer unless it is closed; close waits for it. */
    private <T> T use(Supplier<T> call) {
        use.readLock().lock();
        try {
            if (closed) throw ModelException.unavailable("the tokenizer is closed");
            return call.get();
        } finally {
            use.readLock().unlock();
        }
    }

    /**
     * The vocabulary's size from {@code tokenizer.json}: its model's vocabulary (a map for
     * WordPiece and BPE, a list for Unigram) and its added tokens, whichever reaches higher.
     */
    private static int vocabularySize(byte[] json) throws IOException {
        JsonNode root = ModelConfig.JSON.readTree(json);
        long size = 0;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isArray()) size = vocab.size();
        else if (vocab.isObject()) for (JsonNode id : vocab) size = Math.max(size, id.asLong() + 1);
        for (JsonNode added : root.path("added_tokens"))
            size = Math.max(size, added.path("id").asLong() + 1);
        return (int) Math.min(Integer.MAX_VALUE, size);
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

    /** Waits for calls in progress, then frees the native tokenizers; later calls are refused. */
    @Override
    public void close() {
        use.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            tokenizer.close();
            if (pairTokenizer != null) pairTokenizer.close();
        } finally {
            use.writeLock().unlock();
        }
    }
}
