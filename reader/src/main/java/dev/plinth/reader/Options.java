package dev.plinth.reader;

import dev.plinth.reader.markdown.MarkdownOptions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * How one page is read: how it is loaded ({@link FetchOptions}) and what is made of it — the
 * formats, which part of the page, how Markdown is written. Conversion options never change what is
 * fetched, so one loaded (or cached) page serves them all. Every field has a default ({@link
 * #DEFAULTS}); build variations with {@link #builder()}.
 *
 * @param fetch how the page is loaded
 * @param formats what the result holds, one or several; <b>{@code CONTENT}</b>
 * @param targetSelector CSS selector lists whose matches become the page (the rest is dropped)
 * @param removeSelector CSS selector lists removed before anything else
 * @param linksSummary the page's links, beside the content; <b>{@code NONE}</b>
 * @param withImagesSummary the content's images, beside it
 * @param base which URL relative links resolve against; <b>{@code INITIAL}</b>
 * @param maxTokens trim each output to this many cl100k tokens; 0 = no limit
 * @param pages PDF page selection such as {@code 3} or {@code 2-5}; null = all
 * @param markdown Markdown style, including which images and links are kept
 * @param instruction what a language model is asked to extract (with {@code jsonSchema})
 * @param jsonSchema the JSON Schema a language model's answer must follow; null = Markdown
 * @param withGeneratedAlt caption images that have no alt text with a vision model
 */
public record Options(
        FetchOptions fetch,
        Set<Format> formats,
        List<String> targetSelector,
        List<String> removeSelector,
        Links linksSummary,
        boolean withImagesSummary,
        Base base,
        int maxTokens,
        String pages,
        MarkdownOptions markdown,
        String instruction,
        String jsonSchema,
        boolean withGeneratedAlt) {

    /**
     * What a read returns, with Jina's reader's meanings; several may be asked at once. {@code
     * CONTENT_HTML} and {@code CONTENT_TEXT} are plinth's own: the main content, where Jina's
     * {@code html} and {@code text} are the whole page.
     */
    public enum Format {
        /** The main content as Markdown. */
        CONTENT("content"),
        /** The whole page as Markdown. */
        MARKDOWN("markdown"),
        /** The whole page's HTML. */
        HTML("html"),
        /** The whole page's text. */
        TEXT("text"),
        /** The main content's cleaned HTML. */
        CONTENT_HTML("content-html"),
        /** The main content as plain text. */
        CONTENT_TEXT("content-text"),
        /** A picture of the first screen. */
        SCREENSHOT("screenshot"),
        /** A picture of the whole page. */
        PAGESHOT("pageshot"),
        /** The page turned into Markdown (or JSON) by ReaderLM-v2. */
        READERLM_V2("readerlm-v2"),
        /** The page read by a vision model from its picture. */
        VLM("vlm");

        private final String wire;

        Format(String wire) {
            this.wire = wire;
        }

        /** The name clients send ({@code content}, {@code readerlm-v2}…). */
        public String wire() {
            return wire;
        }

        /** The format named {@code name} on the wire, or null. */
        public static Format of(String name) {
            for (Format f : values()) {
                if (f.wire.equalsIgnoreCase(name.strip())) {
                    return f;
                }
            }
            return null;
        }

        /** Whether this format's output is the {@code content} of a result. */
        public boolean isContent() {
            return this == CONTENT
                    || this == MARKDOWN
                    || this == CONTENT_HTML
                    || this == CONTENT_TEXT
                    || this == READERLM_V2
                    || this == VLM;
        }
    }

    /** Which links a links summary lists. */
    public enum Links {
        NONE,
        /** Each address once, named by its first text. */
        UNIQUE,
        /** Every link in page order, duplicates included (Jina's {@code all}). */
        ALL
    }

    /** Which URL relative links resolve against: the one asked for, or the one after redirects. */
    public enum Base {
        INITIAL,
        FINAL
    }

    /** The defaults: main content as Markdown, loaded by the AUTO engine. */
    public static final Options DEFAULTS = builder().build();

    public Options {
        if (formats.isEmpty()) {
            throw new IllegalArgumentException("a read needs at least one format");
        }
        formats = Set.copyOf(EnumSet.copyOf(formats));
        // A picture can only be taken while loading: asking for one as output asks the fetch too.
        FetchOptions.Capture wanted =
                formats.contains(Format.PAGESHOT)
                        ? FetchOptions.Capture.PAGESHOT
                        : formats.contains(Format.SCREENSHOT) || formats.contains(Format.VLM)
                                ? FetchOptions.Capture.SCREENSHOT
                                : fetch.capture();
        if (wanted != fetch.capture()) {
            fetch = fetch.toBuilder().capture(wanted).build();
        }
        targetSelector = List.copyOf(targetSelector);
        removeSelector = List.copyOf(removeSelector);
    }

    /** Whether {@code format} is asked for. */
    public boolean has(Format format) {
        return formats.contains(format);
    }

    /** The format whose output is the result's {@code content}, or null when none is asked. */
    public Format contentFormat() {
        for (Format f : Format.values()) {
            if (f.isContent() && formats.contains(f)) {
                return f;
            }
        }
        return null;
    }

    public static Builder builder() {
        return new Builder(null);
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable builder; values are validated where they are parsed, not here. */
    public static final class Builder {
        private FetchOptions fetch = FetchOptions.DEFAULTS;
        private Set<Format> formats = Set.of(Format.CONTENT);
        private List<String> targetSelector = List.of();
        private List<String> removeSelector = List.of();
        private Links linksSummary = Links.NONE;
        private boolean withImagesSummary;
        private Base base = Base.INITIAL;
        private int maxTokens;
        private String pages;
        private MarkdownOptions markdown = MarkdownOptions.DEFAULTS;
        private String instruction;
        private String jsonSchema;
        private boolean withGeneratedAlt;

        private Builder(Options o) {
            if (o != null) {
                fetch = o.fetch;
                formats = o.formats;
                targetSelector = o.targetSelector;
                removeSelector = o.removeSelector;
                linksSummary = o.linksSummary;
                withImagesSummary = o.withImagesSummary;
                base = o.base;
                maxTokens = o.maxTokens;
                pages = o.pages;
                markdown = o.markdown;
                instruction = o.instruction;
                jsonSchema = o.jsonSchema;
                withGeneratedAlt = o.withGeneratedAlt;
            }
        }

        public Builder fetch(FetchOptions v) {
            fetch = v;
            return this;
        }

        /** Changes the fetch options: {@code fetch(f -> f.engine(BROWSER))}. */
        public Builder fetch(UnaryOperator<FetchOptions.Builder> change) {
            fetch = change.apply(fetch.toBuilder()).build();
            return this;
        }

        public Builder formats(Set<Format> v) {
            formats = v;
            return this;
        }

        /** One format. */
        public Builder respondWith(Format v) {
            formats = Set.of(v);
            return this;
        }

        public Builder targetSelector(List<String> v) {
            targetSelector = v;
            return this;
        }

        public Builder removeSelector(List<String> v) {
            removeSelector = v;
            return this;
        }

        public Builder linksSummary(Links v) {
            linksSummary = v;
            return this;
        }

        /** Each linked address once (true) or no links summary (false). */
        public Builder withLinksSummary(boolean v) {
            linksSummary = v ? Links.UNIQUE : Links.NONE;
            return this;
        }

        public Builder withImagesSummary(boolean v) {
            withImagesSummary = v;
            return this;
        }

        public Builder base(Base v) {
            base = v;
            return this;
        }

        public Builder maxTokens(int v) {
            maxTokens = v;
            return this;
        }

        public Builder pages(String v) {
            pages = v;
            return this;
        }

        public Builder markdown(MarkdownOptions v) {
            markdown = v;
            return this;
        }

        public Builder instruction(String v) {
            instruction = v;
            return this;
        }

        public Builder jsonSchema(String v) {
            jsonSchema = v;
            return this;
        }

        public Builder withGeneratedAlt(boolean v) {
            withGeneratedAlt = v;
            return this;
        }

        public Options build() {
            return new Options(
                    fetch,
                    formats,
                    targetSelector,
                    removeSelector,
                    linksSummary,
                    withImagesSummary,
                    base,
                    maxTokens,
                    pages,
                    markdown,
                    instruction,
                    jsonSchema,
                    withGeneratedAlt);
        }
    }
}
