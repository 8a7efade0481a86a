package dev.plinth.reader.markdown;

/**
 * How Markdown is written. The knobs mirror Turndown's options (and so the reader's {@code X-Md-*}
 * headers) and the output options of Jina's reader ({@code X-Retain-Images}, {@code
 * X-Keep-Img-Data-Url}, {@code X-No-Gfm}); the defaults are plinth's for the Turndown knobs (ATX
 * headings, fenced code, {@code -} bullets, inlined links) and Jina's for the rest (numbered
 * images, data URIs replaced, GFM tables). A Turndown-style writer that numbers nothing is {@code
 * builder().numberImages(false).keepDataUris(true)}.
 *
 * @param headingStyle <b>{@code ATX}</b> ({@code # Title}) or {@code SETEXT} (underlined h1/h2)
 * @param hr thematic break; <b>{@code ---}</b>
 * @param bulletListMarker <b>{@code -}</b>, {@code *} or {@code +}
 * @param codeBlockStyle <b>{@code FENCED}</b> or {@code INDENTED}
 * @param fence <b>{@code ```}</b> or {@code ~~~}; lengthened when the code contains it
 * @param emDelimiter <b>{@code _}</b> or {@code *}
 * @param strongDelimiter <b>{@code **}</b> or {@code __}
 * @param linkStyle <b>{@code INLINED}</b>, {@code REFERENCED} (definitions at the end) or {@code
 *     DISCARDED} (link text only)
 * @param linkReferenceStyle for referenced links: <b>{@code FULL}</b> {@code [text][1]}, {@code
 *     COLLAPSED} {@code [text][]} or {@code SHORTCUT} {@code [text]}
 * @param br what a line break becomes before the newline; <b>two spaces</b>
 * @param preformattedCode keep {@code <code>} whitespace as is instead of collapsing it
 * @param gfm GitHub extensions: tables, strikethrough, task lists; <b>on</b>
 * @param images which images are kept and how ({@code X-Retain-Images}); <b>{@code ALL}</b>
 * @param links how links are written; <b>{@code ALL}</b>
 * @param keepDataUris keep {@code data:} image URIs as written ({@code X-Keep-Img-Data-Url: true});
 *     <b>off</b>: each is replaced by the short pseudo object URL Jina's reader writes, {@code
 *     blob:http://localhost/<md5 of the data URI>}, the same for the same image
 * @param strikethroughDelimiter GFM strikethrough; <b>{@code ~~}</b> (what every GFM renderer
 *     reads) or {@code ~} (GitHub only)
 * @param numberImages label images {@code Image 1}, {@code Image 2}… in document order, as Jina's
 *     reader does: {@code ![Image 1: alt](src)}, {@code ![Image 2](src)} when the alt is empty,
 *     {@code (Image 3: alt)} in the alt modes; <b>on</b>. Off: {@code ![alt](src)} and the bare alt
 *     text, as Turndown writes them
 * @param tablesAsHtml write tables as HTML (their cells' markup cleaned, links absolute) instead of
 *     GFM tables, with the rest of GFM still on ({@code X-No-Gfm: table}); <b>off</b>. {@code
 *     X-No-Gfm: true} is {@code gfm(false)}: no GFM at all, tables read as text
 */
public record MarkdownOptions(
        HeadingStyle headingStyle,
        String hr,
        String bulletListMarker,
        CodeBlockStyle codeBlockStyle,
        String fence,
        String emDelimiter,
        String strongDelimiter,
        LinkStyle linkStyle,
        LinkReferenceStyle linkReferenceStyle,
        String br,
        boolean preformattedCode,
        boolean gfm,
        Images images,
        Links links,
        boolean keepDataUris,
        String strikethroughDelimiter,
        boolean numberImages,
        boolean tablesAsHtml) {

    public enum HeadingStyle {
        ATX,
        SETEXT
    }

    public enum CodeBlockStyle {
        FENCED,
        INDENTED
    }

    public enum LinkStyle {
        INLINED,
        REFERENCED,
        DISCARDED
    }

    public enum LinkReferenceStyle {
        FULL,
        COLLAPSED,
        SHORTCUT
    }

    /**
     * Which images the output keeps ({@code X-Retain-Images}). With {@link #numberImages} each
     * image that is written counts towards the {@code Image N} labels.
     */
    public enum Images {
        /** {@code ![Image N: alt](src)}; images without a source are left out. */
        ALL,
        /** No images. */
        NONE,
        /**
         * Alt text only: {@code (Image N: alt)}, numbered over the images that have an alt; images
         * without one are left out.
         */
        ALT,
        /**
         * Jina's {@code all_p}: {@code ALL} with alt text a captioning model wrote for images that
         * lack one. plinth has no such model yet, so the page's own alt text is written: the output
         * is exactly {@code ALL}'s.
         */
        ALL_P,
        /**
         * Jina's {@code alt_p}: alt text only, {@code (Image N: alt)}, with a captioning model's
         * alt for images that lack one. Unlike {@code ALT}, N counts every image with a source, so
         * the numbers match {@code ALL_P}'s; images without an alt (and, for now, without a model)
         * are left out.
         */
        ALT_P
    }

    /** How links are written: as links, as their text only, or not at all. */
    public enum Links {
        ALL,
        TEXT,
        NONE
    }

    /** plinth's defaults. */
    public static final MarkdownOptions DEFAULTS = builder().build();

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.headingStyle = headingStyle;
        b.hr = hr;
        b.bulletListMarker = bulletListMarker;
        b.codeBlockStyle = codeBlockStyle;
        b.fence = fence;
        b.emDelimiter = emDelimiter;
        b.strongDelimiter = strongDelimiter;
        b.linkStyle = linkStyle;
        b.linkReferenceStyle = linkReferenceStyle;
        b.br = br;
        b.preformattedCode = preformattedCode;
        b.gfm = gfm;
        b.images = images;
        b.links = links;
        b.keepDataUris = keepDataUris;
        b.strikethroughDelimiter = strikethroughDelimiter;
        b.numberImages = numberImages;
        b.tablesAsHtml = tablesAsHtml;
        return b;
    }

    public static final class Builder {
        private HeadingStyle headingStyle = HeadingStyle.ATX;
        private String hr = "---";
        private String bulletListMarker = "-";
        private CodeBlockStyle codeBlockStyle = CodeBlockStyle.FENCED;
        private String fence = "```";
        private String emDelimiter = "_";
        private String strongDelimiter = "**";
        private LinkStyle linkStyle = LinkStyle.INLINED;
        private LinkReferenceStyle linkReferenceStyle = LinkReferenceStyle.FULL;
        private String br = "  ";
        private boolean preformattedCode;
        private boolean gfm = true;
        private Images images = Images.ALL;
        private Links links = Links.ALL;
        private boolean keepDataUris;
        private String strikethroughDelimiter = "~~";
        private boolean numberImages = true;
        private boolean tablesAsHtml;

        private Builder() {}

        public Builder headingStyle(HeadingStyle v) {
            headingStyle = v;
            return this;
        }

        public Builder hr(String v) {
            hr = v;
            return this;
        }

        public Builder bulletListMarker(String v) {
            bulletListMarker = v;
            return this;
        }

        public Builder codeBlockStyle(CodeBlockStyle v) {
            codeBlockStyle = v;
            return this;
        }

        public Builder fence(String v) {
            fence = v;
            return this;
        }

        public Builder emDelimiter(String v) {
            emDelimiter = v;
            return this;
        }

        public Builder strongDelimiter(String v) {
            strongDelimiter = v;
            return this;
        }

        public Builder linkStyle(LinkStyle v) {
            linkStyle = v;
            return this;
        }

        public Builder linkReferenceStyle(LinkReferenceStyle v) {
            linkReferenceStyle = v;
            return this;
        }

        public Builder br(String v) {
            br = v;
            return this;
        }

        public Builder preformattedCode(boolean v) {
            preformattedCode = v;
            return this;
        }

        public Builder gfm(boolean v) {
            gfm = v;
            return this;
        }

        public Builder images(Images v) {
            images = v;
            return this;
        }

        public Builder links(Links v) {
            links = v;
            return this;
        }

        public Builder keepDataUris(boolean v) {
            keepDataUris = v;
            return this;
        }

        public Builder strikethroughDelimiter(String v) {
            strikethroughDelimiter = v;
            return this;
        }

        public Builder numberImages(boolean v) {
            numberImages = v;
            return this;
        }

        public Builder tablesAsHtml(boolean v) {
            tablesAsHtml = v;
            return this;
        }

        public MarkdownOptions build() {
            return new MarkdownOptions(
                    headingStyle,
                    hr,
                    bulletListMarker,
                    codeBlockStyle,
                    fence,
                    emDelimiter,
                    strongDelimiter,
                    linkStyle,
                    linkReferenceStyle,
                    br,
                    preformattedCode,
                    gfm,
                    images,
                    links,
                    keepDataUris,
                    strikethroughDelimiter,
                    numberImages,
                    tablesAsHtml);
        }
    }
}
