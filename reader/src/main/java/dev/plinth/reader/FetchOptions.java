package dev.plinth.reader;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import java.util.List;

/**
 * Everything that changes what a {@link PageSource} returns for a URL: who loads it, what the
 * request says about itself, what the browser waits for, runs and captures. Two reads with equal
 * fetch options get the same page, which is why {@link CachingSource} keys on the whole record: a
 * new field here is part of the key without anyone remembering it. What only shapes the output
 * (format, selectors, Markdown style, token limits) lives in {@link Options} instead, so that one
 * cached page serves every format.
 *
 * @param engine who loads the page; <b>{@code AUTO}</b>: direct, and the browser when the page
 *     looks script-rendered and a browser is available
 * @param timeout deadline for loading the page; null = the source's default (30 s)
 * @param userAgent User-Agent; null = plinth's browser-like default
 * @param locale Accept-Language and browser locale; null = the default
 * @param referer Referer header; null = none
 * @param cookies {@code Set-Cookie}-style cookies sent with the request; pages loaded with cookies
 *     are never cached
 * @param proxyUrl proxy to fetch through, in a form {@link dev.plinth.reader.fetch.ProxyUrl} reads
 *     (http, https or socks5, with credentials); null = direct
 * @param robotsTxt user agent to check robots.txt as; null = no check
 * @param waitForSelector CSS selectors the browser waits for
 * @param withShadowDom expand open shadow roots (browser)
 * @param iframes what becomes of same-origin iframes (browser); <b>{@code NONE}</b>
 * @param viewport the browser's viewport; null = <b>1280 × 800</b>, and no browser needed for it
 * @param capture what picture the browser takes of the page; <b>{@code NONE}</b>
 * @param respondTiming when the browser reads the page; null = when the network and DOM settle
 * @param pageScripts JavaScript run in the page (browser) before it is read
 * @param cacheTolerance oldest cached page a read accepts; {@link Duration#ZERO} never uses the
 *     cache (the fresh page is still stored); <b>1 hour</b>
 * @param noStore keep the page out of the cache (the {@code DNT: 1} request header)
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
        Iframes iframes,
        Viewport viewport,
        Capture capture,
        RespondTiming respondTiming,
        List<String> pageScripts,
        @NotInCacheKey Duration cacheTolerance,
        @NotInCacheKey boolean noStore) {

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

    /** What becomes of a same-origin iframe. */
    public enum Iframes {
        /** Left as it is: an empty element. */
        NONE,
        /** Replaced by its document's body. */
        INLINE,
        /** Replaced by a block quote of its text. */
        QUOTED
    }

    /**
     * When the browser stops waiting and reads the page (Jina's {@code X-Respond-Timing}). Every
     * timing still ends at the deadline.
     */
    public enum RespondTiming {
        /** The HTML as served, before scripts change it. */
        HTML,
        /** As soon as the page has readable text. */
        VISIBLE_CONTENT,
        /** When the DOM has not changed for 0.2 s. */
        MUTATION_IDLE,
        /** When no document, script or style request has been in flight for 0.5 s. */
        RESOURCE_IDLE,
        /** As resource-idle, media (images, video, fonts) included. */
        MEDIA_IDLE,
        /** When the network has been silent for 0.5 s: everything the page asked for loaded. */
        NETWORK_IDLE
    }

    /**
     * A browser viewport.
     *
     * @param width CSS pixels
     * @param height CSS pixels
     * @param deviceScaleFactor device pixels per CSS pixel; 0 = the browser's default
     * @param mobile emulate a mobile device (meta viewport, touch events)
     * @param landscape landscape orientation
     * @param touch touch input
     */
    public record Viewport(
            int width,
            int height,
            double deviceScaleFactor,
            boolean mobile,
            boolean landscape,
            boolean touch) {
        /** The viewport of a read that names none. */
        public static final Viewport DEFAULT = new Viewport(1280, 800, 0, false, false, false);
    }

    /**
     * Marks a component that says how a page may be obtained or kept, not what it is, so it stays
     * out of cache keys.
     */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.RECORD_COMPONENT, ElementType.METHOD})
    public @interface NotInCacheKey {}

    /** The defaults. */
    public static final FetchOptions DEFAULTS = builder().build();

    /**
     * Most page scripts one read runs: each gets its own time limit, and the deadline must leave
     * room for all of them and the read.
     */
    public static final int MAX_PAGE_SCRIPTS = 16;

    /**
     * Most characters of page script one read sends: room for a small library, far below the
     * browser connection's message limit (a request body may be 32 MiB).
     */
    public static final int MAX_PAGE_SCRIPT_CHARS = 256 << 10;

    public FetchOptions {
        cookies = List.copyOf(cookies);
        waitForSelector = List.copyOf(waitForSelector);
        pageScripts = List.copyOf(pageScripts);
    }

    /** True when only a browser can load the page as asked, whatever the engine says. */
    public boolean needsBrowser() {
        return engine == Engine.BROWSER
                || capture != Capture.NONE
                || !waitForSelector.isEmpty()
                || withShadowDom
                || iframes != Iframes.NONE
                || viewport != null
                || !pageScripts.isEmpty()
                || (respondTiming != null
                        && respondTiming != RespondTiming.HTML
                        && respondTiming != RespondTiming.VISIBLE_CONTENT);
    }

    /** The viewport to render with. */
    public Viewport viewportOrDefault() {
        return viewport != null ? viewport : Viewport.DEFAULT;
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
        private Iframes iframes = Iframes.NONE;
        private Viewport viewport;
        private Capture capture = Capture.NONE;
        private RespondTiming respondTiming;
        private List<String> pageScripts = List.of();
        private Duration cacheTolerance = Duration.ofHours(1);
        private boolean noStore;

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
                iframes = o.iframes;
                viewport = o.viewport;
                capture = o.capture;
                respondTiming = o.respondTiming;
                pageScripts = o.pageScripts;
                cacheTolerance = o.cacheTolerance;
                noStore = o.noStore;
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

        public Builder iframes(Iframes v) {
            iframes = v;
            return this;
        }

        /** A same-origin iframe's body inlined (true) or left alone (false). */
        public Builder withIframe(boolean v) {
            iframes = v ? Iframes.INLINE : Iframes.NONE;
            return this;
        }

        public Builder viewport(Viewport v) {
            viewport = v;
            return this;
        }

        public Builder viewport(int width, int height) {
            viewport = new Viewport(width, height, 0, false, false, false);
            return this;
        }

        public Builder capture(Capture v) {
            capture = v;
            return this;
        }

        public Builder respondTiming(RespondTiming v) {
            respondTiming = v;
            return this;
        }

        public Builder pageScripts(List<String> v) {
            pageScripts = v;
            return this;
        }

        public Builder cacheTolerance(Duration v) {
            cacheTolerance = v;
            return this;
        }

        public Builder noStore(boolean v) {
            noStore = v;
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
                    iframes,
                    viewport,
                    capture,
                    respondTiming,
                    pageScripts,
                    cacheTolerance,
                    noStore);
        }
    }
}
