package dev.plinth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.reader.Options;
import dev.plinth.reader.Result;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A read result in the hosted reader's wire formats: the text layout ({@code Title:}, {@code URL
 * Source:}, {@code Markdown Content:}, then the {@code Images:} and {@code Links/Buttons:}
 * summaries), and the JSON {@code data} object that the envelope and the SSE {@code data} event
 * carry: one field per format asked for ({@code content}, {@code html}, {@code text}, {@code
 * screenshotUrl}, {@code pageshotUrl}). Summaries use the hosted reader's shapes: {@code links}
 * maps link text to URL (a list of {@code [text, url]} pairs for {@code all}), {@code images} maps
 * {@code "Image 1,3: alt"} to URL.
 */
final class ReaderOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReaderOutput() {}

    /**
     * The plain-text answer. Without a content format it is the one other output asked for (the
     * picture's URL, the page's HTML or text), as the hosted reader answers; with one, the layout.
     */
    static String text(Result r, Options options, String pictureUrl) {
        if (r.content() == null) {
            if (pictureUrl != null) {
                return pictureUrl + "\n";
            }
            return r.html() != null ? r.html() : r.text() != null ? r.text() : "";
        }
        StringBuilder out = new StringBuilder();
        out.append("Title: ").append(r.title()).append("\n\n");
        out.append("URL Source: ").append(r.url() == null ? "" : r.url()).append('\n');
        List<String> mixins = new ArrayList<>();
        if (r.publishedTime() != null && !r.publishedTime().isBlank()) {
            mixins.add("Published Time: " + r.publishedTime());
        }
        if (!r.warnings().isEmpty()) {
            mixins.add(
                    r.warnings().stream()
                            .map(w -> "Warning: " + w)
                            .collect(Collectors.joining("\n")));
        }
        if (r.numPages() != null) {
            mixins.add("Number of Pages: " + r.numPages());
        }
        if (!mixins.isEmpty()) {
            out.append('\n').append(String.join("\n\n", mixins)).append('\n');
        }
        out.append("\nMarkdown Content:\n").append(r.content()).append('\n');
        List<String> summaries = new ArrayList<>();
        if (options.withImagesSummary()) {
            StringBuilder images = new StringBuilder("Images:");
            images(r.images())
                    .forEach((k, v) ->
                            images.append("\n- ![").append(k).append("](").append(v).append(')'));
            if (r.images().isEmpty()) {
                images.append("\nThis page does not seem to contain any images.");
            }
            summaries.add(images.toString());
        }
        if (options.linksSummary() != Options.Links.NONE) {
            StringBuilder links = new StringBuilder("Links/Buttons:");
            for (Result.Link link : named(r.links())) {
                links.append("\n- [")
                        .append(link.text())
                        .append("](")
                        .append(link.url())
                        .append(')');
            }
            if (r.links().isEmpty()) {
                links.append("\nThis page does not seem to contain any buttons/links.");
            }
            summaries.add(links.toString());
        }
        if (!summaries.isEmpty()) {
            out.append('\n').append(String.join("\n\n", summaries)).append('\n');
        }
        return out.toString();
    }

    /** The JSON {@code data} object; {@code pictureUrl} is where a screenshot asked for lives. */
    static ObjectNode data(
            Result r, int tokens, Options options, List<String> chunks, String pictureUrl) {
        ObjectNode data = JSON.createObjectNode();
        data.put("title", r.title());
        data.put("description", r.description() == null ? "" : r.description());
        data.put("url", r.url());
        if (r.content() != null) {
            data.put("content", r.content());
        }
        if (r.html() != null) {
            data.put("html", r.html());
        }
        if (r.text() != null) {
            data.put("text", r.text());
        }
        if (r.json() != null) {
            data.set("json", parse(r.json()));
        }
        if (pictureUrl != null) {
            if (options.has(Options.Format.SCREENSHOT)) {
                data.put("screenshotUrl", pictureUrl);
            }
            if (options.has(Options.Format.PAGESHOT)) {
                data.put("pageshotUrl", pictureUrl);
            }
        }
        if (r.publishedTime() != null && !r.publishedTime().isBlank()) {
            data.put("publishedTime", r.publishedTime());
        }
        data.set("metadata", JSON.valueToTree(r.metadata()));
        if (options.linksSummary() == Options.Links.ALL) {
            ArrayNode pairs = data.putArray("links");
            for (Result.Link link : r.links()) {
                pairs.addArray().add(link.text()).add(link.url());
            }
        } else if (options.linksSummary() == Options.Links.UNIQUE) {
            ObjectNode links = data.putObject("links");
            for (Result.Link link : named(r.links())) {
                links.put(link.text(), link.url());
            }
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
        data.put("engine", r.engine());
        usage(data.putObject("usage"), r, tokens);
        return data;
    }

    /**
     * {@code tokens} of the output and, when language models answered, what they spent: the model
     * and its prompt and completion tokens ({@code estimated} when the backend did not say).
     */
    static void usage(ObjectNode usage, Result r, int tokens) {
        usage.put("tokens", tokens);
        if (r.lm() != null) {
            usage.put("model", r.lm().model());
            usage.put("promptTokens", r.lm().promptTokens());
            usage.put("completionTokens", r.lm().completionTokens());
            usage.put("totalTokens", r.lm().total());
            if (r.lm().estimated()) {
                usage.put("estimated", true);
            }
        }
    }

    /**
     * The JSON envelope around {@code data}: {@code code}, {@code status: 20000} and {@code
     * meta.usage}.
     */
    static ObjectNode envelope(ObjectNode data, Result r, int tokens) {
        ObjectNode root = JSON.createObjectNode();
        root.put("code", 200);
        root.put("status", 20000);
        root.set("data", data);
        usage(root.putObject("meta").putObject("usage"), r, tokens);
        return root;
    }

    /** Links named by their text (their URL when they have none), in the summary's form. */
    private static List<Result.Link> named(List<Result.Link> links) {
        List<Result.Link> out = new ArrayList<>();
        for (Result.Link link : links) {
            String text =
                    link.text() == null || link.text().isBlank() ? link.url() : link.text().strip();
            out.add(new Result.Link(text, link.url()));
        }
        return out;
    }

    /** {@code Image 1,3: alt} → URL: the numbers the Markdown wrote the image with. */
    private static Map<String, String> images(List<Result.Image> images) {
        Map<String, String> out = new LinkedHashMap<>();
        int n = 0;
        for (Result.Image image : images) {
            n++;
            String numbers =
                    image.numbers().isEmpty()
                            ? Integer.toString(n)
                            : image.numbers().stream()
                                    .map(String::valueOf)
                                    .collect(Collectors.joining(","));
            String alt = image.alt() == null ? "" : image.alt().strip();
            out.put("Image " + numbers + (alt.isEmpty() ? "" : ": " + alt), image.url());
        }
        return out;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            return JSON.getNodeFactory().textNode(json);
        }
    }
}
