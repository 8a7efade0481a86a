package dev.plinth.reader;

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
 * @param tokens cl100k_base tokens in {@code content}
 * @param numPages pages of a PDF, else null
 * @param screenshot PNG bytes for screenshot/pageshot output, else null
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
        int tokens,
        Integer numPages,
        byte[] screenshot) {

    /** A link: its text and absolute URL. */
    public record Link(String text, String url) {}

    /** An image: its alt text and absolute URL. */
    public record Image(String alt, String url) {}

    public Result {
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        links = links == null ? List.of() : List.copyOf(links);
        images = images == null ? List.of() : List.copyOf(images);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }
}
