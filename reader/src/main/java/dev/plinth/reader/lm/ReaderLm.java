package dev.plinth.reader.lm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.reader.Tokens;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * The LM engine of the reader: ReaderLM-v2 (or any model served the same way) behind an
 * OpenAI-compatible chat endpoint turns a page's HTML into Markdown or, given a JSON Schema, into
 * JSON; a vision model writes alt text for images that have none.
 *
 * <p>The flow of {@link #read}: parse → optional main-content pre-selection (a hook the caller
 * supplies, e.g. the heuristic extractor) → the model card's cleaning ({@link HtmlCleaner}) → fit
 * to the context: the page is measured in tokens and, when it does not fit next to the prompt and
 * the room kept for the answer, split on element boundaries ({@link Chunker}); Markdown takes up to
 * {@code maxChunks} pieces and joins the answers, JSON takes the first piece; whatever is left out
 * is reported as a warning → the card's exact prompt ({@link Prompts}) → the backend ({@link
 * ChatClient}) → post-processing: the code fence the model tends to wrap its answer in is removed
 * and the text trimmed; a JSON answer is parsed and checked against the schema ({@link
 * SchemaCheck}), and sent back once with the violations listed if it fails.
 *
 * <p>Tokens are counted in cl100k_base, not the model's own (Qwen2) vocabulary, which this module
 * does not carry; the two agree within a few percent on HTML, and the budget keeps a tenth in
 * reserve for the difference. A {@code ReaderLm} is thread-safe and meant to be shared; its
 * backends' concurrency limits are shared by every caller.
 */
public final class ReaderLm implements AutoCloseable {

    /** The engine name reported with every answer ({@code X-Respond-With: readerlm-v2}). */
    public static final String ENGINE = "readerlm-v2";

    /** The engine name of a page read from its picture by the vision model. */
    public static final String VLM_ENGINE = "vlm";

    /** Share of the token budget kept back for the tokenizer difference. */
    private static final double TOKEN_HEADROOM = 0.9;

    /** Smallest room for HTML worth a call, in tokens. */
    private static final int MIN_HTML_TOKENS = 256;

    /** Characters sampled to learn a page's characters per token. */
    private static final int RATIO_SAMPLE_CHARS = 100_000;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * An OpenAI-compatible endpoint: its base URL (e.g. {@code http://127.0.0.1:11434/v1}; {@code
     * /chat/completions} is appended unless already there), the model name it serves, and an
     * optional API key sent as a bearer token.
     */
    public record Backend(URI url, String model, String apiKey) {
        public Backend {
            Objects.requireNonNull(url, "url");
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
                throw new IllegalArgumentException(
                        "an LM backend URL must be http(s)://host…, not " + url);
            }
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("an LM backend needs a model name, for " + url);
            }
            apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        }

        /** A backend from its URL text, model name and API key (null or blank for none). */
        public static Backend of(String url, String model, String apiKey) {
            return new Backend(URI.create(url.strip()), model, apiKey);
        }

        /** Never prints the key. */
        @Override
        public String toString() {
            return "Backend[" + url + ", " + model + (apiKey == null ? "" : ", key set") + "]";
        }
    }

    /** Tokens one answer cost; {@code estimated} when the backend did not report them. */
    public record Usage(int promptTokens, int completionTokens, boolean estimated) {
        /** No tokens. */
        public static final Usage NONE = new Usage(0, 0, false);

        /** Prompt plus completion tokens. */
        public int total() {
            return promptTokens + completionTokens;
        }

        /** The sum of two usages, estimated if either was. */
        public Usage plus(Usage other) {
            return new Usage(
                    promptTokens + other.promptTokens,
                    completionTokens + other.completionTokens,
                    estimated || other.estimated);
        }
    }

    /**
     * Engine settings; {@link #builder(Backend)} gives the defaults.
     *
     * @param lm the backend serving ReaderLM-v2
     * @param vlm the backend serving a vision model for alt text, or null for none
     * @param concurrency most LM calls in flight at once
     * @param queue most LM calls waiting for a slot; one more is answered as an overload
     * @param retries retries after a first attempt that failed with 429, 5xx or a lost connection
     * @param stream ask the backends for server-sent chunks
     * @param contextTokens the model's context window as served (the whole of prompt and answer)
     * @param maxOutputTokens room kept for the answer, sent as {@code max_tokens}
     * @param maxChunks most pieces of one page sent for Markdown; the rest is cut with a warning
     * @param parameters sampling fields added to every LM request (temperature, penalties…)
     * @param vlmConcurrency most VLM calls in flight at once
     * @param vlmQueue most VLM calls waiting for a slot
     * @param maxImages most images captioned per page
     * @param maxImageBytes largest image sent to the VLM
     * @param captionCacheEntries captions kept, by image hash
     * @param maxResponseBytes largest answer read from a backend
     * @param maxHtmlChars largest page accepted, in characters of HTML
     */
    public record Settings(
            Backend lm,
            Backend vlm,
            int concurrency,
            int queue,
            int retries,
            boolean stream,
            int contextTokens,
            int maxOutputTokens,
            int maxChunks,
            Map<String, Object> parameters,
            int vlmConcurrency,
            int vlmQueue,
            int maxImages,
            long maxImageBytes,
            int captionCacheEntries,
            long maxResponseBytes,
            int maxHtmlChars) {

        /**
         * The model card's decoding: greedy, with the presence and repetition penalties it uses
         * against loops. Servers ignore the fields they do not know (llama.cpp, Ollama) or take
         * them as extensions (vLLM).
         */
        public static final Map<String, Object> READERLM_PARAMETERS =
                Map.of(
                        "temperature",
                        0,
                        "top_k",
                        1,
                        "presence_penalty",
                        0.25,
                        "repetition_penalty",
                        1.08);

        public Settings {
            Objects.requireNonNull(lm, "lm");
            parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
            positive("concurrency", concurrency);
            positive("vlmConcurrency", vlmConcurrency);
            atLeast("queue", queue, 0);
            atLeast("vlmQueue", vlmQueue, 0);
            atLeast("retries", retries, 0);
            positive("maxOutputTokens", maxOutputTokens);
            if (contextTokens <= maxOutputTokens) {
                throw new IllegalArgumentException(
                        "contextTokens ("
                                + contextTokens
                                + ") must be larger than maxOutputTokens ("
                                + maxOutputTokens
                                + ")");
            }
            positive("maxChunks", maxChunks);
            atLeast("maxImages", maxImages, 0);
            positive("maxImageBytes", maxImageBytes);
            positive("captionCacheEntries", captionCacheEntries);
            positive("maxResponseBytes", maxResponseBytes);
            positive("maxHtmlChars", maxHtmlChars);
        }

        /** Defaults for a ReaderLM-v2 served at {@code lm}, without a VLM. */
        public static Builder builder(Backend lm) {
            return new Builder(lm);
        }

        /** A builder starting from these settings. */
        public Builder toBuilder() {
            Builder b = new Builder(lm);
            b.vlm = vlm;
            b.concurrency = concurrency;
            b.queue = queue;
            b.retries = retries;
            b.stream = stream;
            b.contextTokens = contextTokens;
            b.maxOutputTokens = maxOutputTokens;
            b.maxChunks = maxChunks;
            b.parameters = parameters;
            b.vlmConcurrency = vlmConcurrency;
            b.vlmQueue = vlmQueue;
            b.maxImages = maxImages;
            b.maxImageBytes = maxImageBytes;
            b.captionCacheEntries = captionCacheEntries;
            b.maxResponseBytes = maxResponseBytes;
            b.maxHtmlChars = maxHtmlChars;
            return b;
        }

        private static void positive(String name, long value) {
            atLeast(name, value, 1);
        }

        private static void atLeast(String name, long value, long min) {
            if (value < min) {
                throw new IllegalArgumentException(
                        name + " must be at least " + min + ", not " + value);
            }
        }
    }

    /** Builds {@link Settings}; every field starts at its default. */
    public static final class Builder {
        private final Backend lm;
        private Backend vlm;
        private int concurrency = 2;
        private int queue = 16;
        private int retries = 2;
        private boolean stream = true;
        private int contextTokens = 32_768;
        private int maxOutputTokens = 8_192;
        private int maxChunks = 4;
        private Map<String, Object> parameters = Settings.READERLM_PARAMETERS;
        private int vlmConcurrency = 2;
        private int vlmQueue = 32;
        private int maxImages = 8;
        private long maxImageBytes = 5L << 20;
        private int captionCacheEntries = 4096;
        private long maxResponseBytes = 8L << 20;
        private int maxHtmlChars = 16 << 20;

        private Builder(Backend lm) {
            this.lm = lm;
        }

        /** The vision backend for alt text (default none). */
        public Builder vlm(Backend vlm) {
            this.vlm = vlm;
            return this;
        }

        /** LM calls in flight and waiting (default 2 and 16). */
        public Builder concurrency(int inFlight, int waiting) {
            this.concurrency = inFlight;
            this.queue = waiting;
            return this;
        }

        /** VLM calls in flight and waiting (default 2 and 32). */
        public Builder vlmConcurrency(int inFlight, int waiting) {
            this.vlmConcurrency = inFlight;
            this.vlmQueue = waiting;
            return this;
        }

        /** Retries after a failed first attempt (default 2). */
        public Builder retries(int retries) {
            this.retries = retries;
            return this;
        }

        /** Whether to ask for streamed answers (default true). */
        public Builder stream(boolean stream) {
            this.stream = stream;
            return this;
        }

        /** The context window as served and the room kept for the answer (default 32768, 8192). */
        public Builder context(int contextTokens, int maxOutputTokens) {
            this.contextTokens = contextTokens;
            this.maxOutputTokens = maxOutputTokens;
            return this;
        }

        /** Most pieces of one page sent for Markdown (default 4). */
        public Builder maxChunks(int maxChunks) {
            this.maxChunks = maxChunks;
            return this;
        }

        /** Sampling fields for every LM request (default {@link Settings#READERLM_PARAMETERS}). */
        public Builder parameters(Map<String, Object> parameters) {
            this.parameters = parameters;
            return this;
        }

        /** Images captioned per page, largest image, cache size (default 8, 5 MiB, 4096). */
        public Builder images(int maxImages, long maxImageBytes, int captionCacheEntries) {
            this.maxImages = maxImages;
            this.maxImageBytes = maxImageBytes;
            this.captionCacheEntries = captionCacheEntries;
            return this;
        }

        /** Largest answer read and largest page accepted (default 8 MiB, 16 Mi chars). */
        public Builder caps(long maxResponseBytes, int maxHtmlChars) {
            this.maxResponseBytes = maxResponseBytes;
            this.maxHtmlChars = maxHtmlChars;
            return this;
        }

        /** The settings. */
        public Settings build() {
            return new Settings(
                    lm,
                    vlm,
                    concurrency,
                    queue,
                    retries,
                    stream,
                    contextTokens,
                    maxOutputTokens,
                    maxChunks,
                    parameters,
                    vlmConcurrency,
                    vlmQueue,
                    maxImages,
                    maxImageBytes,
                    captionCacheEntries,
                    maxResponseBytes,
                    maxHtmlChars);
        }
    }

    /**
     * One page to read.
     *
     * @param html the page's HTML
     * @param url the page's URL, the base for its relative links (null if unknown)
     * @param instruction what to ask instead of the model card's default, or null
     * @param jsonSchema a JSON Schema: answer JSON following it instead of Markdown; or null
     * @param mainContent a hook that picks the element to send (the main content) from the parsed
     *     page, or null to send the whole page; returning null also sends the whole page
     */
    public record Input(
            String html,
            URI url,
            String instruction,
            String jsonSchema,
            Function<Document, Element> mainContent) {
        public Input {
            Objects.requireNonNull(html, "html");
        }

        /** The whole page as Markdown, with the default instruction. */
        public static Input markdown(String html, URI url) {
            return new Input(html, url, null, null, null);
        }

        /** JSON following {@code jsonSchema}, with {@code instruction} or the default one. */
        public static Input json(String html, URI url, String instruction, String jsonSchema) {
            return new Input(html, url, instruction, jsonSchema, null);
        }
    }

    /**
     * What the engine produced.
     *
     * @param markdown the Markdown (also the JSON's text in JSON mode)
     * @param json the parsed JSON answer in JSON mode, else null
     * @param usage tokens spent on every call, retries included
     * @param warnings what was cut or went wrong without failing the read
     * @param engine {@link #ENGINE}
     * @param model the model that answered, as configured
     * @param chunks how many pieces of the page were sent
     */
    public record Output(
            String markdown,
            JsonNode json,
            Usage usage,
            List<String> warnings,
            String engine,
            String model,
            int chunks) {
        public Output {
            warnings = List.copyOf(warnings);
        }
    }

    /** Alt text written into a page: how many from the VLM, how many from the cache. */
    public record Captions(int generated, int cached, Usage usage, List<String> warnings) {
        public Captions {
            warnings = List.copyOf(warnings);
        }
    }

    /** An image's bytes and its media type as served (may be null). */
    public record Image(byte[] bytes, String mediaType) {}

    /**
     * Loads an image for captioning. The server passes its guarded fetcher, so the same network
     * policy and size caps apply as to pages.
     */
    @FunctionalInterface
    public interface ImageLoader {
        /** The image at {@code url}, within {@code timeout}. */
        Image load(URI url, Duration timeout) throws IOException;
    }

    private final Settings settings;
    private final ChatClient lm;
    private final AltText altText;

    /** An engine with these settings; nothing is contacted until the first call. */
    public ReaderLm(Settings settings) {
        this.settings = settings;
        this.lm =
                new ChatClient(
                        settings.lm(),
                        settings.concurrency(),
                        settings.queue(),
                        settings.retries(),
                        settings.stream(),
                        settings.parameters(),
                        settings.maxResponseBytes());
        this.altText =
                settings.vlm() == null
                        ? null
                        : new AltText(
                                new ChatClient(
                                        settings.vlm(),
                                        settings.vlmConcurrency(),
                                        settings.vlmQueue(),
                                        settings.retries(),
                                        settings.stream(),
                                        Map.of("temperature", 0),
                                        settings.maxResponseBytes()),
                                settings.maxImages(),
                                settings.maxImageBytes(),
                                settings.captionCacheEntries());
    }

    /** The settings in force. */
    public Settings settings() {
        return settings;
    }

    /** Whether a vision backend is configured for alt text. */
    public boolean hasVision() {
        return altText != null;
    }

    /** Fails with a 400 naming the problem if {@code jsonSchema} cannot be used. */
    public static void checkSchema(String jsonSchema) throws LmException {
        SchemaCheck.parse(jsonSchema);
    }

    /** Reads {@code input} as Markdown, or as JSON when it has a schema, within {@code timeout}. */
    public Output read(Input input, Duration timeout) throws LmException {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (input.html().length() > settings.maxHtmlChars()) {
            throw new LmException(
                    LmException.Kind.TOO_LARGE,
                    "the page is "
                            + input.html().length()
                            + " characters of HTML, over the cap of "
                            + settings.maxHtmlChars());
        }
        SchemaCheck schema =
                input.jsonSchema() == null ? null : SchemaCheck.parse(input.jsonSchema());
        List<String> warnings = new ArrayList<>();
        List<String> pieces = prepare(input, schema, warnings);
        return schema == null
                ? markdown(input, pieces, warnings, deadline)
                : json(input, schema, pieces.get(0), warnings, deadline);
    }

    /**
     * Writes alt text into the images under {@code root} that have none, loading them through
     * {@code loader}, within {@code timeout}. Problems with single images are warnings.
     */
    public Captions describeImages(Element root, ImageLoader loader, Duration timeout)
            throws LmException {
        if (altText == null) {
            throw new LmException(
                    LmException.Kind.BAD_REQUEST,
                    "generated alt text needs a vision backend, and none is configured");
        }
        return altText.describe(root, loader, System.nanoTime() + timeout.toNanos());
    }

    /**
     * Reads a page's picture (a PNG screenshot) into Markdown with the vision backend, within
     * {@code timeout}: the {@code vlm} format.
     */
    public Output readScreenshot(byte[] png, Duration timeout) throws LmException {
        if (altText == null) {
            throw new LmException(
                    LmException.Kind.BAD_REQUEST,
                    "the vlm format needs a vision backend, and none is configured");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        ChatClient.Completion answer =
                altText.transcribe(png, settings.maxOutputTokens(), deadline);
        List<String> warnings = new ArrayList<>();
        if (answer.truncated()) {
            warnings.add(outputLimit(0, 1));
        }
        return new Output(
                stripFence(answer.text(), MARKDOWN_FENCES),
                null,
                answer.usage(),
                warnings,
                VLM_ENGINE,
                settings.vlm().model(),
                1);
    }

    @Override
    public void close() {
        lm.close();
        if (altText != null) {
            altText.close();
        }
    }

    // ---- the page: parse, pre-select, clean, fit ----

    /** The cleaned page as pieces that each fit the context; JSON mode gets exactly one. */
    private List<String> prepare(Input input, SchemaCheck schema, List<String> warnings)
            throws LmException {
        String base = input.url() == null ? "" : input.url().toString();
        Document document = Jsoup.parse(input.html(), base);
        // The card's substitutions keep the page's own whitespace; pretty-printing would not.
        document.outputSettings().prettyPrint(false);
        Element root = document;
        if (input.mainContent() != null) {
            try {
                Element picked = input.mainContent().apply(document);
                if (picked != null) {
                    root = picked;
                }
            } catch (RuntimeException e) {
                // A pre-selection is an optimisation: without it the whole page is read.
                warnings.add("Main-content pre-selection failed, the whole page was sent: " + e);
            }
        }
        HtmlCleaner.clean(root, !base.isEmpty());
        String html = root.outerHtml();

        int frame =
                Tokens.count(
                        Prompts.frame(input.instruction(), schema == null ? null : schema.text()));
        int budget =
                (int)
                        ((settings.contextTokens() - settings.maxOutputTokens() - frame)
                                * TOKEN_HEADROOM);
        if (budget < MIN_HTML_TOKENS) {
            throw new LmException(
                    LmException.Kind.BAD_REQUEST,
                    "the prompt leaves no room for the page: a context of "
                            + settings.contextTokens()
                            + " tokens, "
                            + settings.maxOutputTokens()
                            + " kept for the answer and "
                            + frame
                            + " for the instruction and schema");
        }
        // One tokenization of a sample gives the page's characters per token; a page no longer
        // than the sample is counted exactly by it.
        String sample =
                html.length() <= RATIO_SAMPLE_CHARS ? html : html.substring(0, RATIO_SAMPLE_CHARS);
        int sampleTokens = Tokens.count(sample);
        double charsPerToken =
                sampleTokens == 0 ? 4 : Math.max(0.5, (double) sample.length() / sampleTokens);
        if (sample.length() == html.length()
                ? sampleTokens <= budget
                : html.length() / charsPerToken <= budget * 1.5 && Tokens.count(html) <= budget) {
            return List.of(html);
        }
        int maxPieces = schema == null ? settings.maxChunks() : 1;
        Chunker.Split split = Chunker.split(root, (int) (budget * charsPerToken * 0.95));
        List<String> pieces = split.pieces();
        if (pieces.isEmpty()) {
            return List.of("");
        }
        List<String> kept = new ArrayList<>(pieces.subList(0, Math.min(maxPieces, pieces.size())));
        if (pieces.size() > kept.size()) {
            long left = 0;
            for (String piece : pieces.subList(kept.size(), pieces.size())) {
                left += piece.length();
            }
            warnings.add(
                    String.format(
                            Locale.ROOT,
                            "The page was cut to fit the model's context: %d of %d parts sent,"
                                    + " about %d tokens of HTML left out",
                            kept.size(),
                            pieces.size(),
                            Math.round(left / charsPerToken)));
        }
        if (split.cutUnits() > 0) {
            warnings.add(
                    split.cutUnits()
                            + " element(s) too large for the model's context were split or left"
                            + " out");
        }
        for (int i = 0; i < kept.size(); i++) {
            String piece = kept.get(i);
            if (Tokens.count(piece) > budget) {
                kept.set(i, Tokens.truncate(piece, budget));
                warnings.add("Part " + (i + 1) + " was cut to " + budget + " tokens of HTML");
            }
        }
        return kept;
    }

    // ---- Markdown ----

    private Output markdown(Input input, List<String> pieces, List<String> warnings, long deadline)
            throws LmException {
        StringBuilder joined = new StringBuilder();
        Usage usage = Usage.NONE;
        int sent = 0;
        for (int i = 0; i < pieces.size(); i++) {
            String prompt = Prompts.markdown(input.instruction(), pieces.get(i));
            ChatClient.Completion answer;
            try {
                answer =
                        lm.complete(
                                List.of(Prompts.message("user", prompt)),
                                settings.maxOutputTokens(),
                                deadline);
            } catch (LmException e) {
                if (i == 0) {
                    throw e;
                }
                // The parts already read are worth returning; the rest is reported, not lost
                // silently.
                warnings.add(
                        "Only "
                                + i
                                + " of "
                                + pieces.size()
                                + " parts of the page were read: "
                                + e.getMessage());
                break;
            }
            sent++;
            usage = usage.plus(answer.usage());
            if (answer.truncated()) {
                warnings.add(outputLimit(i, pieces.size()));
            }
            String text = stripFence(answer.text(), MARKDOWN_FENCES);
            if (!text.isEmpty()) {
                if (!joined.isEmpty()) {
                    joined.append("\n\n");
                }
                joined.append(text);
            }
        }
        return new Output(
                joined.toString(), null, usage, warnings, ENGINE, settings.lm().model(), sent);
    }

    // ---- JSON ----

    private Output json(
            Input input, SchemaCheck schema, String piece, List<String> warnings, long deadline)
            throws LmException {
        String prompt = Prompts.json(input.instruction(), piece, schema.text());
        List<Map<String, Object>> messages = new ArrayList<>();
        messages.add(Prompts.message("user", prompt));
        Usage usage = Usage.NONE;
        List<String> errors = List.of();
        for (int attempt = 1; attempt <= 2; attempt++) {
            ChatClient.Completion answer =
                    lm.complete(List.copyOf(messages), settings.maxOutputTokens(), deadline);
            usage = usage.plus(answer.usage());
            if (answer.truncated()) {
                warnings.add(outputLimit(0, 1));
            }
            String text = stripFence(answer.text(), JSON_FENCES);
            JsonNode value = parseJson(text);
            errors = value == null ? List.of(notJson(text)) : schema.errors(value);
            if (errors.isEmpty()) {
                if (attempt > 1) {
                    warnings.add(
                            "The first JSON answer did not match the schema; the second one did");
                }
                return new Output(text, value, usage, warnings, ENGINE, settings.lm().model(), 1);
            }
            messages.add(Prompts.message("assistant", answer.text()));
            messages.add(Prompts.message("user", Prompts.schemaRetry(errors)));
        }
        throw new LmException(
                LmException.Kind.SCHEMA_MISMATCH,
                "the model's JSON does not match jsonSchema, also after a retry: "
                        + String.join("; ", errors),
                null,
                0,
                errors);
    }

    /** The JSON value in {@code text}, or null; prose around one object or array is tolerated. */
    static JsonNode parseJson(String text) {
        JsonNode value = readJson(text);
        if (value != null) {
            return value;
        }
        int start = firstOf(text, '{', '[');
        int end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
        return start >= 0 && end > start ? readJson(text.substring(start, end + 1)) : null;
    }

    private static JsonNode readJson(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            return node == null || node.isMissingNode() ? null : node;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static int firstOf(String text, char a, char b) {
        int i = text.indexOf(a);
        int j = text.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    private static String notJson(String text) {
        String head = text.length() <= 80 ? text : text.substring(0, 80) + "…";
        return "the answer is not JSON: " + head.replaceAll("\\s+", " ");
    }

    // ---- post-processing ----

    private static final Set<String> MARKDOWN_FENCES = Set.of("", "markdown", "md");
    private static final Set<String> JSON_FENCES = Set.of("", "json");

    /**
     * The answer without the code fence the model wraps it in, when the fence's language is one of
     * {@code languages}; trimmed. An opening fence whose closing one was cut off (the answer hit
     * the output limit) is removed too.
     */
    static String stripFence(String answer, Set<String> languages) {
        String text = answer.strip();
        if (!text.startsWith("```")) {
            return text;
        }
        int newline = text.indexOf('\n');
        if (newline < 0) {
            return text;
        }
        String language = text.substring(3, newline).strip().toLowerCase(Locale.ROOT);
        if (!languages.contains(language)) {
            return text;
        }
        String body = text.substring(newline + 1);
        if (body.equals("```")) {
            return "";
        }
        if (body.endsWith("\n```")) {
            body = body.substring(0, body.length() - 4);
        }
        return body.strip();
    }

    private String outputLimit(int piece, int pieces) {
        return "The model stopped at the output limit of "
                + settings.maxOutputTokens()
                + " tokens"
                + (pieces > 1 ? " in part " + (piece + 1) + " of " + pieces : "")
                + "; the answer may be cut short";
    }

    /** For tests: the cleaned HTML pieces a page would be sent as. */
    List<String> pieces(Input input) throws LmException {
        SchemaCheck schema =
                input.jsonSchema() == null ? null : SchemaCheck.parse(input.jsonSchema());
        return prepare(input, schema, new ArrayList<>());
    }

    /** For tests: the chat endpoint in use. */
    URI endpoint() {
        return lm.endpoint();
    }
}
