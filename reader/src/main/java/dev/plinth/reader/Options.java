package dev.plinth.reader;

import dev.plinth.reader.markdown.MarkdownOptions;
import java.time.Duration;
import java.util.List;

/**
 * How one page is read: what to return, which part of the page, how to fetch it and how to write
 * Markdown. Every field has a default ({@link #DEFAULTS}); build variations with {@link
 * #builder()}.
 *
 * @param respondWith what the result's content is; <b>{@code CONTENT}</b> by default
 * @param engine who loads the page; <b>{@code DIRECT}</b> (plain HTTP) by default
 * @param targetSelector CSS selectors whose matches become the content (extraction skipped); empty
 *     = none
 * @param removeSelector CSS selectors removed before anything else
 * @param waitForSelector CSS selectors the browser waits for
 * @param timeout deadline for loading the page; null = the fetcher's default (30 s)
 * @param withLinksSummary append (text) or include (JSON) all links of the content
 * @param withImagesSummary append or include all images of the content
 * @param withShadowDom expand open shadow roots (browser)
 * @param withIframe inline same-origin iframes (browser)
 * @param cookies {@code Set-Cookie}-style cookies sent with the request
 * @param locale Accept-Language / browser locale; null = default
 * @param userAgent User-Agent; null = plinth's browser-like default
 * @param referer Referer header; null = none
 * @param proxyUrl proxy to fetch through, in a form {@link dev.plinth.reader.fetch.ProxyUrl} reads
 *     (http, https or socks5, with credentials); null = direct
 * @param robotsTxt user agent to check robots.txt as; null = no check
 * @param base which URL relative links resolve against; <b>{@code INITIAL}</b>
 * @param maxTokens trim the content to this many cl100k tokens; 0 = no limit
 * @param viewportWidth browser viewport width in CSS pixels
 * @param viewportHeight browser viewport height in CSS pixels
 * @param pages PDF page selection such as {@code 3} or {@code 2-5}; null = all
 * @param markdown Markdown style, including which images and links are kept
 */
public record Options(
        Format respondWith,
        Engine engine,
        List<String> targetSelector,
        List<String> removeSelector,
        List<String> waitForSelector,
        Duration timeout,
        boolean withLinksSummary,
        boolean withImagesSummary,
        boolean withShadowDom,
        boolean withIframe,
        List<String> cookies,
        String locale,
        String userAgent,
        String referer,
        String proxyUrl,
        String robotsTxt,
        Base base,
        int maxTokens,
        int viewportWidth,
        int viewportHeight,
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

    /** Who loads the page. */
    public enum Engine {
        DIRECT,
        BROWSER,
        AUTO
    }

    /** Which URL relative links resolve against: the one asked for, or the one after redirects. */
    public enum Base {
        INITIAL,
        FINAL
    }

    /** The defaults: main content as Markdown, fetched directly. */
    public static final Options DEFAULTS = builder().build();

    public Options {
        targetSelector = List.copyOf(targetSelector);
        removeSelector = List.copyOf(removeSelector);
        waitForSelector = List.copyOf(waitForSelector);
        cookies = List.copyOf(cookies);
    }

    /** True when the page must be loaded by a browser whatever the engine says. */
    public boolean needsBrowser() {
        return engine == Engine.BROWSER
                || respondWith == Format.SCREENSHOT
                || respondWith == Format.PAGESHOT
                || !waitForSelector.isEmpty()
                || withShadowDom
                || withIframe;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.respondWith = respondWith;
        b.engine = engine;
        b.targetSelector = targetSelector;
        b.removeSelector = removeSelector;
        b.waitForSelector = waitForSelector;
        b.timeout = timeout;
        b.withLinksSummary = withLinksSummary;
        b.withImagesSummary = withImagesSummary;
        b.withShadowDom = withShadowDom;
        b.withIframe = withIframe;
        b.cookies = cookies;
        b.locale = locale;
        b.userAgent = userAgent;
        b.referer = referer;
        b.proxyUrl = proxyUrl;
        b.robotsTxt = robotsTxt;
        b.base = base;
        b.maxTokens = maxTokens;
        b.viewportWidth = viewportWidth;
        b.viewportHeight = viewportHeight;
        b.pages = pages;
        b.markdown = markdown;
        return b;
    }

    /**
     * Mutable builder; {@link #build()} validates nothing beyond nulls, the server validates input.
     */
    public static final class Builder {
        private Format respondWith = Format.CONTENT;
        private Engine engine = Engine.DIRECT;
        private List<String> targetSelector = List.of();
        private List<String> removeSelector = List.of();
        private List<String> waitForSelector = List.of();
        private Duration timeout;
        private boolean withLinksSummary;
        private boolean withImagesSummary;
        private boolean withShadowDom;
        private boolean withIframe;
        private List<String> cookies = List.of();
        private String locale;
        private String userAgent;
        private String referer;
        private String proxyUrl;
        private String robotsTxt;
        private Base base = Base.INITIAL;
        private int maxTokens;
        private int viewportWidth = 1280;
        private int viewportHeight = 800;
        private String pages;
        private MarkdownOptions markdown = MarkdownOptions.DEFAULTS;

        private Builder() {}

        public Builder respondWith(Format v) {
            respondWith = v;
            return this;
        }

        public Builder engine(Engine v) {
            engine = v;
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

        public Builder waitForSelector(List<String> v) {
            waitForSelector = v;
            return this;
        }

        public Builder timeout(Duration v) {
            timeout = v;
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

        public Builder withShadowDom(boolean v) {
            withShadowDom = v;
            return this;
        }

        public Builder withIframe(boolean v) {
            withIframe = v;
            return this;
        }

        public Builder cookies(List<String> v) {
            cookies = v;
            return this;
        }

        public Builder locale(String v) {
            locale = v;
            return this;
        }

        public Builder userAgent(String v) {
            userAgent = v;
            return this;
        }

        public Builder referer(String v) {
            referer = v;
            return this;
        }

        public Builder proxyUrl(String v) {
            proxyUrl = v;
            return this;
        }

        public Builder robotsTxt(String v) {
            robotsTxt = v;
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

        public Builder viewport(int width, int height) {
            viewportWidth = width;
            viewportHeight = height;
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
                    respondWith,
                    engine,
                    targetSelector,
                    removeSelector,
                    waitForSelector,
                    timeout,
                    withLinksSummary,
                    withImagesSummary,
                    withShadowDom,
                    withIframe,
                    cookies,
                    locale,
                    userAgent,
                    referer,
                    proxyUrl,
                    robotsTxt,
                    base,
                    maxTokens,
                    viewportWidth,
                    viewportHeight,
                    pages,
                    markdown);
        }
    }
}
