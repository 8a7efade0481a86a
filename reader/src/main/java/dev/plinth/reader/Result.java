package dev.plinth.reader;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A page read into LLM-ready form. Absent values are null; lists and maps are never null.
 *
 * @param title the page's (or document's) title
 * @param description its summary
 * @param url the URL the content came from (after redirects when the base is final)
 * @param content the content format asked for (Markdown of the main content or the page, the main
 *     content's HTML or text, a language model's answer); null when none was asked
 * @param html the whole page's HTML when asked for, else null
 * @param text the whole page's text when asked for, else null
 * @param json a language model's answer to a JSON schema, as JSON text, else null
 * @param publishedTime publication time as the page gives it
 * @param metadata page metadata: lang, siteName, byline, {@code <meta>} tags…
 * @param links the page's links in document order (filled when a summary was asked for)
 * @param images the content's images in document order (filled when a summary was asked for)
 * @param warnings what went wrong without stopping the read (deadline hit, HTTP error status…)
 * @param numPages pages of a PDF, else null
 * @param screenshot PNG bytes for screenshot/pageshot output, else null
 * @param origin how the page was loaded; null for content the caller gave
 * @param engine what wrote the content: {@code heuristic} (the extractor and Markdown writer),
 *     {@code readerlm-v2} or {@code vlm} (a language model)
 * @param lm the tokens language models spent on this read (the answer, generated alt text); null
 *     when none was called
 */
public record Result(
        String title,
        String description,
        String url,
        String content,
        String html,
        String text,
        String json,
        String publishedTime,
        Map<String, String> metadata,
        List<Link> links,
        List<Image> images,
        List<String> warnings,
        Integer numPages,
        byte[] screenshot,
        Origin origin,
        String engine,
        LmUsage lm) {

    /** The engine name of content written without a language model. */
    public static final String HEURISTIC = "heuristic";

    /**
     * Tokens language models spent on a read, as the backend reported them ({@code estimated} when
     * it did not and they were counted here).
     */
    public record LmUsage(String model, int promptTokens, int completionTokens, boolean estimated) {
        /** Prompt plus completion tokens. */
        public int total() {
            return promptTokens + completionTokens;
        }
    }

    /** A link: its text and absolute URL. */
    public record Link(String text, String url) {}

    /**
     * An image: its alt text, absolute URL, and the numbers it was written with in the Markdown
     * ({@code Image 1,3}); empty when the image is not in the Markdown.
     */
    public record Image(String alt, String url, List<Integer> numbers) {
        public Image {
            numbers = List.copyOf(numbers);
        }
    }

    /**
     * How the page behind a result was loaded.
     *
     * @param engine {@code DIRECT} or {@code BROWSER}
     * @param loadedAt when it was loaded from its origin
     * @param cached whether it came from a cache
     */
    public record Origin(FetchOptions.Engine engine, Instant loadedAt, boolean cached) {}

    /** Whether the page came from a cache. */
    public boolean cached() {
        return origin != null && origin.cached();
    }

    public Result {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        links = links == null ? List.of() : List.copyOf(links);
        images = images == null ? List.of() : List.copyOf(images);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        engine = engine == null ? HEURISTIC : engine;
    }

    /**
     * cl100k_base tokens of the output (the content, else the page's HTML or text), counted on each
     * call: a tenth of a read's CPU, so only outputs that report it pay for it.
     */
    public int tokens() {
        return Tokens.count(content != null ? content : html != null ? html : text);
    }
}
