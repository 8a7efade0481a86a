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
 * @param content the output the options asked for: Markdown, HTML or plain text
 * @param publishedTime publication time as the page gives it
 * @param metadata page metadata: lang, siteName, byline, {@code <meta>} tags…
 * @param links links of the content in document order (filled when a summary was asked for)
 * @param images images of the content in document order (filled when a summary was asked for)
 * @param warnings what went wrong without stopping the read (deadline hit, HTTP error status…)
 * @param numPages pages of a PDF, else null
 * @param screenshot PNG bytes for screenshot/pageshot output, else null
 * @param origin how the page was loaded; null for content the caller gave
 */
public record Result(
        String title,
        String description,
        String url,
        String content,
        String publishedTime,
        Map<String, String> metadata,
        List<Link> links,
        List<Image> images,
        List<String> warnings,
        Integer numPages,
        byte[] screenshot,
        Origin origin) {

    /** A link: its text and absolute URL. */
    public record Link(String text, String url) {}

    /** An image: its alt text and absolute URL. */
    public record Image(String alt, String url) {}

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
    }

    /**
     * cl100k_base tokens in {@code content}, counted on each call: a tenth of a read's CPU, so only
     * outputs that report it pay for it.
     */
    public int tokens() {
        return Tokens.count(content);
    }
}
