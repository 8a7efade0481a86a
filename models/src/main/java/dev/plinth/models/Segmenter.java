package dev.plinth.models;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts tokens and cuts text into chunks: the engine behind {@code POST /v1/segment}.
 *
 * <p>Notes. Tokens come from a named tokenizer: OpenAI's byte-level BPE encodings through jtokkit
 * ({@code cl100k_base} by default, what LLM users budget with), or a loaded model's own tokenizer.
 * Byte-level BPE tokens can end in the middle of a UTF-8 character (an emoji is often three
 * tokens), so ids are grouped until their bytes decode: every reported token is {@code [text,
 * [ids]]} with text that is a real substring of the input, and the texts concatenate back to it.
 * Counts ({@code num_tokens}, {@code head}, {@code tail}) are in ids, as an LLM would count them;
 * {@code head}/{@code tail} never split a character, so they may keep a few ids fewer than asked.
 *
 * <p>Chunks follow the text's own structure: every paragraph (a run of lines between blank lines)
 * is a chunk of its own; a paragraph longer than {@code max_chunk_length} characters is cut at
 * sentence ends ({@link BreakIterator}, which knows CJK full stops too), sentences packed greedily;
 * a sentence still too long is cut between words, and a word too long at the limit (never inside a
 * surrogate pair). Chunks are trimmed of surrounding whitespace and their positions are {@code
 * [start, end)} character offsets into the input, so {@code content.substring(start, end)} is the
 * chunk.
 */
public final class Segmenter {

    /** The tokenizer used when a request names none. */
    public static final String DEFAULT_TOKENIZER = "cl100k_base";

    /** The longest chunk, in characters, when a request sets no limit. */
    public static final int DEFAULT_MAX_CHUNK_LENGTH = 1000;

    /** The longest content accepted, in characters; longer content is refused, never truncated. */
    public static final int MAX_CONTENT_LENGTH = 4_000_000;

    /**
     * What to compute. {@code head} and {@code tail} keep only the first or last N tokens (at most
     * one of them); null means the whole content.
     */
    public record Options(
            String tokenizer,
            boolean returnTokens,
            boolean returnChunks,
            int maxChunkLength,
            Integer head,
            Integer tail) {
        public Options {
            if (tokenizer == null || tokenizer.isBlank()) tokenizer = DEFAULT_TOKENIZER;
            if (maxChunkLength < 1) {
                throw new IllegalArgumentException(
                        "max_chunk_length must be at least 1, got " + maxChunkLength);
            }
            if (head != null && tail != null) {
                throw new IllegalArgumentException("head and tail cannot be used together");
            }
            if (head != null && head < 1)
                throw new IllegalArgumentException("head must be at least 1, got " + head);
            if (tail != null && tail < 1)
                throw new IllegalArgumentException("tail must be at least 1, got " + tail);
        }

        /** Token count only, with {@code cl100k_base}. */
        public static Options defaults() {
            return new Options(
                    DEFAULT_TOKENIZER, false, false, DEFAULT_MAX_CHUNK_LENGTH, null, null);
        }
    }

    /** One token as clients see it: its text and the id(s) that spell it. */
    public record Token(String text, List<Integer> ids) {}

    /** A chunk: {@code content.substring(start, end)}. */
    public record Chunk(int start, int end, String text) {}

    /**
     * The answer. {@code numTokens} counts the whole content; {@code tokens} is null unless asked,
     * one list with every kept token, or one list per chunk when chunks were asked too; {@code
     * chunks} is null unless asked.
     */
    public record Segmentation(
            String tokenizer, int numTokens, List<List<Token>> tokens, List<Chunk> chunks) {}

    /** A token with its character span in the text it came from. */
    public record Piece(int start, int end, int[] ids) {}

    /** A tokenizer as the segmenter needs it: text to pieces that tile it in order. */
    @FunctionalInterface
    public interface Tokenizer {
        /** Splits {@code text} into pieces, in order, without special tokens. */
        List<Piece> pieces(String text);
    }

    private static final EncodingRegistry ENCODINGS = Encodings.newLazyEncodingRegistry();

    private final Function<String, Optional<Tokenizer>> models;

    /** A segmenter that knows only the jtokkit encodings. */
    public Segmenter() {
        this(name -> Optional.empty());
    }

    /** A segmenter that also resolves model tokenizers by name (e.g. {@code bge-small-en-v1.5}). */
    public Segmenter(Function<String, Optional<Tokenizer>> models) {
        this.models = models;
    }

    /**
     * A segmenter that also knows the tokenizer of every model in {@code registry}, by model name.
     */
    public static Segmenter withModels(ModelRegistry registry) {
        return new Segmenter(name -> ModelPieces.of(registry, name));
    }

    /**
     * Decodes ids of a jtokkit encoding ({@code cl100k_base}, …) back to text; a 422 naming {@code
     * where} for an id the encoding lacks.
     */
    static String decode(String encodingName, long[] ids, String where) {
        Encoding encoding =
                ENCODINGS.getEncoding(
                        EncodingType.fromName(encodingName)
                                .orElseThrow(() ->
                                        new IllegalArgumentException(
                                                "unknown encoding " + encodingName)));
        IntArrayList list = new IntArrayList(ids.length);
        for (long id : ids) {
            if (id < 0 || id > Integer.MAX_VALUE)
                throw ModelException.invalid(
                        where + ": token id " + id + " is not a " + encodingName + " id");
            list.add((int) id);
        }
        try {
            return encoding.decode(list);
        } catch (RuntimeException e) {
            throw ModelException.invalid(
                    where + ": not " + encodingName + " token ids (" + e.getMessage() + ")");
        }
    }

    /** The jtokkit encodings accepted as tokenizer names. */
    public static List<String> encodingNames() {
        return Arrays.stream(EncodingType.values()).map(EncodingType::getName).toList();
    }

    /**
     * Tokenizes and chunks {@code content}.
     *
     * @throws IllegalArgumentException for an unknown tokenizer or content over {@link
     *     #MAX_CONTENT_LENGTH}
     */
    public Segmentation segment(String content, Options options) {
        if (content == null) throw new IllegalArgumentException("content is required");
        if (content.length() > MAX_CONTENT_LENGTH) {
            throw new IllegalArgumentException(
                    "content has "
                            + content.length()
                            + " characters, more than the limit of "
                            + MAX_CONTENT_LENGTH);
        }
        Tokenizer tokenizer = tokenizer(options.tokenizer());
        List<Piece> pieces = tokenizer.pieces(content);

        List<Piece> kept = pieces;
        int from = 0;
        int to = content.length();
        if (options.head() != null) {
            kept = pieces.subList(0, piecesWithin(pieces, options.head(), false));
            to = kept.isEmpty() ? 0 : kept.getLast().end();
        }
        if (options.tail() != null) {
            kept =
                    pieces.subList(
                            pieces.size() - piecesWithin(pieces, options.tail(), true),
                            pieces.size());
            from = kept.isEmpty() ? content.length() : kept.getFirst().start();
        }

        List<Chunk> chunks =
                options.returnChunks() ? chunk(content, from, to, options.maxChunkLength()) : null;
        List<List<Token>> tokens = null;
        if (options.returnTokens()) {
            tokens =
                    chunks == null
                            ? List.of(tokens(content, kept))
                            : tokensPerChunk(content, kept, chunks);
        }
        return new Segmentation(options.tokenizer(), idCount(pieces), tokens, chunks);
    }

    /** Counts the tokens of {@code content} with the named tokenizer. */
    public int count(String content, String tokenizerName) {
        return idCount(tokenizer(tokenizerName).pieces(content));
    }

    private static int idCount(List<Piece> pieces) {
        int count = 0;
        for (Piece piece : pieces) count += piece.ids().length;
        return count;
    }

    /**
     * How many pieces from the start (or the end) fit in {@code limit} token ids; a character is
     * never split.
     */
    private static int piecesWithin(List<Piece> pieces, int limit, boolean fromEnd) {
        int used = 0;
        int n = 0;
        while (n < pieces.size()) {
            Piece piece = pieces.get(fromEnd ? pieces.size() - 1 - n : n);
            if (used + piece.ids().length > limit) break;
            used += piece.ids().length;
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------
    // Tokenizers

    private Tokenizer tokenizer(String name) {
        String key = name.trim().toLowerCase(Locale.ROOT);
        Optional<EncodingType> type = EncodingType.fromName(key);
        if (type.isPresent()) return new BytePairTokenizer(ENCODINGS.getEncoding(type.get()));
        return models.apply(name.trim())
                .orElseThrow(() ->
                        new IllegalArgumentException(
                                "unknown tokenizer '"
                                        + name
                                        + "'; use one of "
                                        + encodingNames()
                                        + " or a loaded model's name"));
    }

    /** jtokkit's byte-level BPE, with ids grouped until their bytes form whole characters. */
    private record BytePairTokenizer(Encoding encoding) implements Tokenizer {
        @Override
        public List<Piece> pieces(String text) {
            IntArrayList ids = encoding.encodeOrdinary(text);
            List<Piece> pieces = new ArrayList<>(ids.size());
            IntArrayList one = new IntArrayList(1);
            one.add(0);
            byte[] pending = new byte[0];
            int pendingFrom = 0;
            int position = 0;
            for (int i = 0; i < ids.size(); i++) {
                one.set(0, ids.get(i));
                byte[] bytes = encoding.decodeBytes(one);
                byte[] joined = Arrays.copyOf(pending, pending.length + bytes.length);
                System.arraycopy(bytes, 0, joined, pending.length, bytes.length);
                if (!Utf8.complete(joined) && i + 1 < ids.size()) {
                    pending = joined;
                    continue;
                }
                int length = Utf8.charLength(joined);
                int end = Math.min(text.length(), position + length);
                int[] group = new int[i + 1 - pendingFrom];
                for (int k = 0; k < group.length; k++) group[k] = ids.get(pendingFrom + k);
                pieces.add(new Piece(position, end, group));
                position = end;
                pending = new byte[0];
                pendingFrom = i + 1;
            }
            return pieces;
        }
    }

    /** Just enough UTF-8 to know where characters end. */
    private static final class Utf8 {
        /** Whether {@code bytes} ends on a character boundary. */
        static boolean complete(byte[] bytes) {
            int i = 0;
            while (i < bytes.length) {
                int need = sequenceLength(bytes[i]);
                if (i + need > bytes.length) return false;
                i += need;
            }
            return true;
        }

        /** The number of UTF-16 chars the bytes decode to. */
        static int charLength(byte[] bytes) {
            int chars = 0;
            int i = 0;
            while (i < bytes.length) {
                int need = sequenceLength(bytes[i]);
                chars += need == 4 ? 2 : 1;
                i += need;
            }
            return chars;
        }

        private static int sequenceLength(byte lead) {
            int b = lead & 0xFF;
            if (b < 0x80) return 1;
            if (b >= 0xF0) return 4;
            if (b >= 0xE0) return 3;
            if (b >= 0xC0) return 2;
            return 1; // a stray continuation byte decodes to one replacement char
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Tokens

    private static List<Token> tokens(String content, List<Piece> pieces) {
        List<Token> tokens = new ArrayList<>(pieces.size());
        for (Piece piece : pieces) tokens.add(token(content, piece));
        return tokens;
    }

    /**
     * Each token goes to the first chunk it overlaps; tokens wholly between chunks (whitespace) to
     * none.
     */
    private static List<List<Token>> tokensPerChunk(
            String content, List<Piece> pieces, List<Chunk> chunks) {
        List<List<Token>> perChunk = new ArrayList<>(chunks.size());
        for (int c = 0; c < chunks.size(); c++) perChunk.add(new ArrayList<>());
        int c = 0;
        for (Piece piece : pieces) {
            while (c < chunks.size() && chunks.get(c).end() <= piece.start()) c++;
            if (c == chunks.size()) break;
            if (piece.end() > chunks.get(c).start()) perChunk.get(c).add(token(content, piece));
        }
        return perChunk;
    }

    private static Token token(String content, Piece piece) {
        List<Integer> ids = new ArrayList<>(piece.ids().length);
        for (int id : piece.ids()) ids.add(id);
        return new Token(content.substring(piece.start(), piece.end()), List.copyOf(ids));
    }

    // ---------------------------------------------------------------------------------------------
    // Chunks

    /** Cuts {@code content[from, to)} into chunks of at most {@code max} characters. */
    static List<Chunk> chunk(String content, int from, int to, int max) {
        List<Chunk> chunks = new ArrayList<>();
        for (int[] paragraph : paragraphs(content, from, to)) {
            cut(content, paragraph[0], paragraph[1], max, Level.SENTENCE, chunks);
        }
        return chunks;
    }

    private enum Level {
        SENTENCE,
        WORD,
        CHARACTER
    }

    /** A line break, any blank lines, and the line break that ends them. */
    private static final Pattern BLANK_LINES =
            Pattern.compile("\\n[ \\t\\x0B\\f\\r]*\\n(?:[ \\t\\x0B\\f\\r]*\\n)*");

    /** Spans between blank lines, trimmed; blank paragraphs are skipped. */
    private static List<int[]> paragraphs(String content, int from, int to) {
        List<int[]> spans = new ArrayList<>();
        Matcher blank = BLANK_LINES.matcher(content).region(from, to);
        int start = from;
        while (blank.find()) {
            addTrimmed(content, start, blank.start(), spans);
            start = blank.end();
        }
        addTrimmed(content, start, to, spans);
        return spans;
    }

    /**
     * Emits {@code [start, end)} as one chunk when it fits, otherwise packs its units at {@code
     * level} greedily and cuts any unit still too long one level down.
     */
    private static void cut(
            String content, int start, int end, int max, Level level, List<Chunk> out) {
        int[] span = trim(content, start, end);
        if (span == null) return;
        start = span[0];
        end = span[1];
        if (end - start <= max) {
            out.add(new Chunk(start, end, content.substring(start, end)));
            return;
        }
        if (level == Level.CHARACTER) {
            for (int at = start; at < end; ) {
                int stop = Math.min(end, at + max);
                if (stop < end
                        && Character.isHighSurrogate(content.charAt(stop - 1))
                        && stop - 1 > at) stop--;
                int[] piece = trim(content, at, stop);
                if (piece != null)
                    out.add(new Chunk(piece[0], piece[1], content.substring(piece[0], piece[1])));
                at = stop;
            }
            return;
        }
        BreakIterator units =
                level == Level.SENTENCE
                        ? BreakIterator.getSentenceInstance(Locale.ROOT)
                        : BreakIterator.getLineInstance(Locale.ROOT);
        units.setText(content.substring(start, end));
        Level lower = level == Level.SENTENCE ? Level.WORD : Level.CHARACTER;
        int packStart = start;
        int packEnd = start;
        for (int b = units.next(); b != BreakIterator.DONE; b = units.next()) {
            int unitEnd = start + b;
            if (unitEnd - packStart <= max) {
                packEnd = unitEnd;
                continue;
            }
            if (packEnd > packStart) {
                cut(content, packStart, packEnd, max, lower, out);
                packStart = packEnd;
            }
            if (unitEnd - packStart > max) {
                cut(content, packStart, unitEnd, max, lower, out);
                packStart = unitEnd;
            }
            packEnd = unitEnd;
        }
        if (packEnd > packStart) cut(content, packStart, packEnd, max, lower, out);
    }

    private static void addTrimmed(String content, int start, int end, List<int[]> spans) {
        int[] span = trim(content, start, end);
        if (span != null) spans.add(span);
    }

    /** {@code [start, end)} without surrounding whitespace, or null when nothing is left. */
    private static int[] trim(String content, int start, int end) {
        while (start < end && Character.isWhitespace(content.charAt(start))) start++;
        while (end > start && Character.isWhitespace(content.charAt(end - 1))) end--;
        return start < end ? new int[] {start, end} : null;
    }
}
