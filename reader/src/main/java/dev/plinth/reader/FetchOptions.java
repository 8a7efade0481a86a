package dev.plinth.reader;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import java.util.List;

/**
 * Everything that changes what a {@link PageSource} returns for a URL: who loads it, what the
 * request says about itself, what the browser waits for and captures. Two reads with equal fetch
 * options get the same page, which is why {@link CachingSource} keys on the whole record: a new
 * field here is part of the key without anyone remembering it. What only shapes the output (format,
 * selectors, Markdown style, token limits) lives in {@link Options} instead, so that one cached
 * page serves every format.
 *
 * @param engine who loads the page; <b>{@code AUTO}</b>: direct, and the browser when the page
 *     looks script-rendered and a browser is available
 * @param timeout deadline for loading the page; null = the source's default (30 s)
 * @param userAgent User-Agent; null = plinth's browser-like default
 * @param locale Accept-Language and browser locale; null = the default
 * @param referer Referer header; null = none
 * @param cookies {@code Set-Cookie}-style cookies sent with the request; pages loaded with cookies
 *     are never cached
 * @param proxyUrl proxy to fetch through; null = direct
 * @param robotsTxt user agent to check robots.txt as; null = no check
 * @param waitForSelector CSS selectors the browser waits for
 * @param withShadowDom expand open shadow roots (browser)
 * @param withIframe inline same-origin iframes (browser)
 * @param viewportWidth browser viewport width in CSS pixels; <b>1280</b>
 * @param viewportHeight browser viewport height in CSS pixels; <b>800</b>
 * @param capture what picture the browser takes of the page; <b>{@code NONE}</b>
 * @param cacheTolerance oldest cached page a read accepts; {@link Duration#ZERO} never uses the
 *     cache (the fresh page is still stored); <b>1 hour</b>
 */
public record FetchOptions(
        Engine engine,
        Duration timeout,
        String userAgent,
        String locale,
        String referer,
        List<String> cookies,
        String proxyUrl,
        String robotsTxt,
        List<String> waitForSelector,
        boolean withShadowDom,
        boolean withIframe,
        int viewportWidth,
        int viewportHeight,
        Capture capture,
        @NotInCacheKey Duration cacheTolerance) {

    /** Who loads the page. */
    public enum Engine {
        /** Plain HTTP. */
        DIRECT,
        /** Headless Chromium runs the page's scripts. */
        BROWSER,
        /** Plain HTTP, and the browser when the page looks script-rendered. */
        AUTO
    }

    /** A picture of the page the browser takes while loading it. */
    public enum Capture {
        NONE,
        /** The first screen. */
        SCREENSHOT,
        /** The whole page. */
        PAGESHOT
    }

    /**
     * Marks a component that says how a page may be obtained, not what it is, so it stays out of
     * cache keys.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.METHOD})
    public @interface NotInCacheKey {}

    /** The defaults. */
    public static final FetchOptions DEFAULTS = builder().build();

    public FetchOptions {
        cookies = List.copyOf(cookies);
        waitForSelector = List.copyOf(waitForSelector);
    }

    /** True when only a browser can load the page as asked, whatever the engine says. */
    public boolean needsBrowser() {
        return engine == Engine.BROWSER
                || capture != Capture.NONE
                || !waitForSelector.isEmpty()
                || withShadowDom
                || withIframe;
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
        private Engine engine = Engine.AUTO;
        private Duration timeout;
        private String userAgent;
        private String locale;
        private String referer;
        private List<String> cookies = List.of();
        private String proxyUrl;
        private String robotsTxt;
        private List<String> waitForSelector = List.of();
        private boolean withShadowDom;
        private boolean withIframe;
        private int viewportWidth = 1280;
        private int viewportHeight = 800;
        private Capture capture = Capture.NONE;
        private Duration cacheTolerance = Duration.ofHours(1);

        private Builder(FetchOptions o) {
            if (o != null) {
                engine = o.engine;
                timeout = o.timeout;
                userAgent = o.userAgent;
                locale = o.locale;
                referer = o.referer;
                cookies = o.cookies;
                proxyUrl = o.proxyUrl;
                robotsTxt = o.robotsTxt;
                waitForSelector = o.waitForSelector;
                withShadowDom = o.withShadowDom;
                withIframe = o.withIframe;
                viewportWidth = o.viewportWidth;
                viewportHeight = o.viewportHeight;
                capture = o.capture;
                cacheTolerance = o.cacheTolerance;
            }
        }

        public Builder engine(Engine v) {
            engine = v;
            return this;
        }

        public Builder timeout(Duration v) {
            timeout = v;
            return this;
        }

        public Builder userAgent(String v) {
            userAgent = v;
            return this;
        }

        public Builder locale(String v) {
            locale = v;
            return this;
        }

        public Builder referer(String v) {
            referer = v;
            return this;
        }

        public Builder cookies(List<String> v) {
            cookies = v;
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

        public Builder waitForSelector(List<String> v) {
            waitForSelector = v;
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

        public Builder viewport(int width, int height) {
            viewportWidth = width;
            viewportHeight = height;
            return this;
        }

        public Builder capture(Capture v) {
            capture = v;
            return this;
        }

        public Builder cacheTolerance(Duration v) {
            cacheTolerance = v;
            return this;
        }

        public FetchOptions build() {
            return new FetchOptions(
                    engine,
                    timeout,
                    userAgent,
                    locale,
                    referer,
                    cookies,
                    proxyUrl,
                    robotsTxt,
                    waitForSelector,
                    withShadowDom,
                    withIframe,
                    viewportWidth,
                    viewportHeight,
                    capture,
                    cacheTolerance);
        }
    }
}
