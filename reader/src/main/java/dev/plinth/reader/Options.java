package dev.plinth.reader;

import dev.plinth.reader.markdown.MarkdownOptions;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * How one page is read: how it is loaded ({@link FetchOptions}) and what is made of it — the
 * format, which part of the page, how Markdown is written. Conversion options never change what is
 * fetched, so one loaded (or cached) page serves them all. Every field has a default ({@link
 * #DEFAULTS}); build variations with {@link #builder()}.
 *
 * @param fetch how the page is loaded
 * @param respondWith what the result's content is; <b>{@code CONTENT}</b> by default
 * @param targetSelector CSS selectors whose matches become the content (extraction skipped); empty
 *     = none
 * @param removeSelector CSS selectors removed before anything else
 * @param withLinksSummary append (text) or include (JSON) all links of the content
 * @param withImagesSummary append or include all images of the content
 * @param base which URL relative links resolve against; <b>{@code INITIAL}</b>
 * @param maxTokens trim the content to this many cl100k tokens; 0 = no limit
 * @param pages PDF page selection such as {@code 3} or {@code 2-5}; null = all
 * @param markdown Markdown style, including which images and links are kept
 */
public record Options(
        FetchOptions fetch,
        Format respondWith,
        List<String> targetSelector,
        List<String> removeSelector,
        boolean withLinksSummary,
        boolean withImagesSummary,
        Base base,
        int maxTokens,
        String pages,
        MarkdownOptions markdown) {

    /** What a read returns. */
    public enum Format {
        CONTENT,
        MARKDOWN,
        HTML,
        TEXT,
        SCREENSHOT,
        PAGESHOT
    }

    /** Which URL relative links resolve against: the one asked for, or the one after redirects. */
    public enum Base {
        INITIAL,
        FINAL
    }

    /** The defaults: main content as Markdown, loaded by the AUTO engine. */
    public static final Options DEFAULTS = builder().build();

    public Options {
        // A picture can only be taken while loading: asking for one as output asks the fetch too.
        FetchOptions.Capture wanted =
                switch (respondWith) {
                    case SCREENSHOT -> FetchOptions.Capture.SCREENSHOT;
                    case PAGESHOT -> FetchOptions.Capture.PAGESHOT;
                    default -> fetch.capture();
                };
        if (wanted != fetch.capture()) {
            fetch = fetch.toBuilder().capture(wanted).build();
        }
        targetSelector = List.copyOf(targetSelector);
        removeSelector = List.copyOf(removeSelector);
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
        private Format respondWith = Format.CONTENT;
        private List<String> targetSelector = List.of();
        private List<String> removeSelector = List.of();
        private boolean withLinksSummary;
        private boolean withImagesSummary;
        private Base base = Base.INITIAL;
        private int maxTokens;
        private String pages;
        private MarkdownOptions markdown = MarkdownOptions.DEFAULTS;

        private Builder(Options o) {
            if (o != null) {
                fetch = o.fetch;
                respondWith = o.respondWith;
                targetSelector = o.targetSelector;
                removeSelector = o.removeSelector;
                withLinksSummary = o.withLinksSummary;
                withImagesSummary = o.withImagesSummary;
                base = o.base;
                maxTokens = o.maxTokens;
                pages = o.pages;
                markdown = o.markdown;
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

        public Builder respondWith(Format v) {
            respondWith = v;
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

        public Builder withLinksSummary(boolean v) {
            withLinksSummary = v;
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

        public Options build() {
            return new Options(
                    fetch,
                    respondWith,
                    targetSelector,
                    removeSelector,
                    withLinksSummary,
                    withImagesSummary,
                    base,
                    maxTokens,
                    pages,
                    markdown);
        }
    }
}
