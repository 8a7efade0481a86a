package dev.plinth.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.reader.Options;
import dev.plinth.reader.Result;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A read result in the hosted reader's wire formats: the text layout ({@code Title:}, {@code URL
 * Source:}, {@code Markdown Content:}, then the {@code Images:} and {@code Links/Buttons:}
 * summaries), and the JSON {@code data} object that the envelope and the SSE {@code data} event
 * carry. Summaries use the hosted reader's shapes: in JSON, {@code links} maps link text to URL and
 * {@code images} maps {@code "Image N: alt"} to URL.
 */
final class ReaderOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReaderOutput() {}

    /** The plain-text answer: raw HTML or text when asked for, else the layout. */
    static String text(Result r, Options options) {
        Options.Format format = options.respondWith();
        if (format == Options.Format.HTML || format == Options.Format.TEXT) {
            return r.content();
        }
        StringBuilder out = new StringBuilder();
        out.append("Title: ").append(r.title()).append("\n\n");
        out.append("URL Source: ").append(r.url() == null ? "" : r.url()).append("\n\n");
        if (r.publishedTime() != null && !r.publishedTime().isBlank()) {
            out.append("Published Time: ").append(r.publishedTime()).append("\n\n");
        }
        if (r.numPages() != null) {
            out.append("Number of Pages: ").append(r.numPages()).append("\n\n");
        }
        for (String warning : r.warnings()) {
            out.append("Warning: ").append(warning).append("\n\n");
        }
        out.append("Markdown Content:\n").append(r.content());
        if (options.withImagesSummary()) {
            out.append("\n\nImages:\n");
            int i = 0;
            for (Map.Entry<String, String> image : images(r.images()).entrySet()) {
                out.append(i++ == 0 ? "" : "\n")
                        .append("- ![")
                        .append(image.getKey())
                        .append("](")
                        .append(image.getValue())
                        .append(')');
            }
        }
        if (options.withLinksSummary()) {
            out.append("\n\nLinks/Buttons:\n");
            int i = 0;
            for (Map.Entry<String, String> link : links(r.links()).entrySet()) {
                out.append(i++ == 0 ? "" : "\n")
                        .append("- [")
                        .append(link.getKey())
                        .append("](")
                        .append(link.getValue())
                        .append(')');
            }
        }
        return out.append('\n').toString();
    }

    /** The JSON {@code data} object. */
    static ObjectNode data(Result r, int tokens, Options options, List<String> chunks) {
        ObjectNode data = JSON.createObjectNode();
        data.put("title", r.title());
        data.put("description", r.description() == null ? "" : r.description());
        data.put("url", r.url());
        data.put("content", r.content());
        switch (options.respondWith()) {
            case HTML -> data.put("html", r.content());
            case TEXT -> data.put("text", r.content());
            case SCREENSHOT, PAGESHOT -> {
                if (r.screenshot() != null) {
                    String field =
                            options.respondWith() == Options.Format.SCREENSHOT
                                    ? "screenshotUrl"
                                    : "pageshotUrl";
                    data.put(
                            field,
                            "data:image/png;base64,"
                                    + Base64.getEncoder().encodeToString(r.screenshot()));
                }
            }
            default -> {}
        }
        if (r.publishedTime() != null && !r.publishedTime().isBlank()) {
            data.put("publishedTime", r.publishedTime());
        }
        data.set("metadata", JSON.valueToTree(r.metadata()));
        if (options.withLinksSummary()) {
            data.set("links", JSON.valueToTree(links(r.links())));
        }
        if (options.withImagesSummary()) {
            data.set("images", JSON.valueToTree(images(r.images())));
        }
        if (r.numPages() != null) {
            data.put("numPages", r.numPages());
        }
        if (!r.warnings().isEmpty()) {
            data.put("warning", String.join("\n", r.warnings()));
        }
        if (chunks != null) {
            data.set("chunks", JSON.valueToTree(chunks));
        }
        data.putObject("usage").put("tokens", tokens);
        return data;
    }

    /**
     * The JSON envelope around {@code data}: {@code code}, {@code status: 20000} and {@code
     * meta.usage}.
     */
    static ObjectNode envelope(ObjectNode data, int tokens) {
        ObjectNode root = JSON.createObjectNode();
        root.put("code", 200);
        root.put("status", 20000);
        root.set("data", data);
        root.putObject("meta").putObject("usage").put("tokens", tokens);
        return root;
    }

    /** Link text → URL, first text wins; links without text are keyed by their URL. */
    private static Map<String, String> links(List<Result.Link> links) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Result.Link link : links) {
            String text =
                    link.text() == null || link.text().isBlank() ? link.url() : link.text().strip();
            out.putIfAbsent(text, link.url());
        }
        return out;
    }

    /** {@code Image N: alt} → URL, numbered from 1 in document order. */
    private static Map<String, String> images(List<Result.Image> images) {
        Map<String, String> out = new LinkedHashMap<>();
        int n = 1;
        for (Result.Image image : images) {
            String alt = image.alt() == null ? "" : image.alt().strip();
            out.put("Image " + n++ + (alt.isEmpty() ? "" : ": " + alt), image.url());
        }
        return out;
    }
}
