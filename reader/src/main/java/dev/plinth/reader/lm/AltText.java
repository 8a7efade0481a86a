package dev.plinth.reader.lm;

import java.io.IOException;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jsoup.nodes.Element;

/**
 * Alt text for images that have none, written by a vision-language model.
 *
 * <p>The flow per page: the {@code <img>} elements without a meaningful alt, in document order,
 * distinct by URL, at most {@code maxImages} of them; each image is obtained through the caller's
 * {@link ReaderLm.ImageLoader} (the server passes its SSRF-guarded fetcher with its size caps; a
 * {@code data:} image is decoded in place), checked against the byte cap and for a raster type a
 * VLM can read, and looked up by the SHA-256 of its bytes in a bounded LRU cache — the same logo on
 * a thousand pages is described once, and an image changed behind the same URL is described anew.
 * Misses go to the VLM in parallel (the client's own gate bounds how many at once). The captions
 * are written into the {@code alt} attributes. Nothing here fails the page: an image that cannot be
 * loaded or described is left as it was, with a warning.
 */
final class AltText {

    /** What the VLM is asked. */
    static final String PROMPT =
            "Describe this image for alt text: one short sentence in the third person, with no"
                    + " preamble.";

    /** What the VLM is asked for a page's picture. */
    static final String PAGE_PROMPT =
            "Transcribe the main content of this web page screenshot into Markdown: headings,"
                    + " paragraphs, lists, tables and links as they read; leave out navigation and"
                    + " ads; answer with the Markdown only.";

    /** Alt values that say nothing about the image, as CMSs fill them in by default. */
    private static final Set<String> GENERIC =
            Set.of("image", "img", "photo", "picture", "pic", "figure", "fig", "alt", "graphic");

    /** Raster types vision models accept. */
    private static final Set<String> RASTER =
            Set.of("image/png", "image/jpeg", "image/gif", "image/webp");

    private static final int MAX_CAPTION_CHARS = 300;
    private static final int CAPTION_TOKENS = 96;

    private final ChatClient vlm;
    private final int maxImages;
    private final long maxImageBytes;
    private final Map<String, String> cache;

    AltText(ChatClient vlm, int maxImages, long maxImageBytes, int cacheEntries) {
        this.vlm = vlm;
        this.maxImages = maxImages;
        this.maxImageBytes = maxImageBytes;
        this.cache =
                new LinkedHashMap<>(16, 0.75f, true) {
                    @Override
                    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                        return size() > cacheEntries;
                    }
                };
    }

    /** Writes alt text into the images under {@code root} that lack it, by {@code deadline}. */
    ReaderLm.Captions describe(Element root, ReaderLm.ImageLoader loader, long deadline) {
        Map<String, List<Element>> bySource = new LinkedHashMap<>();
        int skipped = 0;
        for (Element img : root.select("img[src]")) {
            if (!lacksAlt(img)) {
                continue;
            }
            String src = img.absUrl("src");
            if (src.isEmpty()) {
                src = img.attr("src").strip();
            }
            if (!(src.startsWith("http://")
                    || src.startsWith("https://")
                    || src.startsWith("data:"))) {
                continue;
            }
            List<Element> same = bySource.get(src);
            if (same != null) {
                same.add(img);
            } else if (bySource.size() < maxImages) {
                bySource.put(src, new ArrayList<>(List.of(img)));
            } else {
                skipped++;
            }
        }
        List<String> warnings = new ArrayList<>();
        if (skipped > 0) {
            warnings.add(
                    "Alt text was generated for the first "
                            + maxImages
                            + " images without one; "
                            + skipped
                            + " more were left as they are");
        }
        ReaderLm.Usage usage = ReaderLm.Usage.NONE;
        int generated = 0;
        int cached = 0;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Map<String, Future<Outcome>> running = new LinkedHashMap<>();
            bySource.keySet()
                    .forEach(src ->
                            running.put(src, pool.submit(() -> caption(src, loader, deadline))));
            for (Map.Entry<String, Future<Outcome>> entry : running.entrySet()) {
                String src = entry.getKey();
                Outcome outcome;
                try {
                    long left = deadline - System.nanoTime();
                    outcome = entry.getValue().get(Math.max(0, left), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    entry.getValue().cancel(true);
                    outcome = Outcome.failed("the deadline passed first");
                } catch (ExecutionException e) {
                    outcome = Outcome.failed(String.valueOf(e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running.values().forEach(f -> f.cancel(true));
                    warnings.add("Alt text generation was interrupted");
                    break;
                }
                if (outcome.caption != null) {
                    for (Element img : bySource.get(src)) {
                        img.attr("alt", outcome.caption);
                    }
                    usage = usage.plus(outcome.usage);
                    if (outcome.fromCache) {
                        cached++;
                    } else {
                        generated++;
                    }
                } else {
                    warnings.add("No alt text for " + shortUrl(src) + ": " + outcome.problem);
                }
            }
            running.values().forEach(f -> f.cancel(true));
            pool.shutdownNow();
        }
        return new ReaderLm.Captions(generated, cached, usage, warnings);
    }

    /** One image's result: a caption (from the cache or the VLM), or the problem. */
    private record Outcome(
            String caption, boolean fromCache, ReaderLm.Usage usage, String problem) {
        static Outcome failed(String problem) {
            return new Outcome(null, false, ReaderLm.Usage.NONE, problem);
        }
    }

    private Outcome caption(String src, ReaderLm.ImageLoader loader, long deadline) {
        ReaderLm.Image image;
        try {
            image = src.startsWith("data:") ? decodeDataUrl(src) : load(src, loader, deadline);
        } catch (IOException | RuntimeException e) {
            return Outcome.failed("cannot load it (" + e.getMessage() + ")");
        }
        if (image == null) {
            return Outcome.failed("not a base64 data URL");
        }
        if (image.bytes().length > maxImageBytes) {
            return Outcome.failed(
                    "it is " + image.bytes().length + " bytes, over the cap of " + maxImageBytes);
        }
        String type = mediaType(image);
        if (!RASTER.contains(type)) {
            return Outcome.failed(
                    "it is "
                            + (type.isEmpty() ? "of unknown type" : type)
                            + ", not a raster image");
        }
        String key = sha256(image.bytes());
        synchronized (cache) {
            String hit = cache.get(key);
            if (hit != null) {
                return new Outcome(hit, true, ReaderLm.Usage.NONE, null);
            }
        }
        String dataUrl =
                "data:" + type + ";base64," + Base64.getEncoder().encodeToString(image.bytes());
        List<Map<String, Object>> messages =
                List.of(
                        Map.of(
                                "role",
                                "user",
                                "content",
                                List.of(
                                        Map.of("type", "text", "text", PROMPT),
                                        Map.of(
                                                "type",
                                                "image_url",
                                                "image_url",
                                                Map.of("url", dataUrl)))));
        ChatClient.Completion completion;
        try {
            completion = vlm.complete(messages, CAPTION_TOKENS, deadline);
        } catch (LmException e) {
            return Outcome.failed(e.getMessage());
        }
        String caption = tidy(completion.text());
        if (caption.isEmpty()) {
            return Outcome.failed("the VLM answered with no text");
        }
        synchronized (cache) {
            cache.put(key, caption);
        }
        return new Outcome(caption, false, completion.usage(), null);
    }

    /**
     * A page's picture read into Markdown by the VLM ({@code X-Respond-With: vlm}): one image, the
     * answer limited to {@code maxTokens}.
     */
    ChatClient.Completion transcribe(byte[] png, int maxTokens, long deadline) throws LmException {
        if (png.length > maxImageBytes) {
            throw new LmException(
                    LmException.Kind.TOO_LARGE,
                    "the page's picture is "
                            + png.length
                            + " bytes, over the VLM image cap of "
                            + maxImageBytes);
        }
        String dataUrl = "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
        List<Map<String, Object>> messages =
                List.of(
                        Map.of(
                                "role",
                                "user",
                                "content",
                                List.of(
                                        Map.of("type", "text", "text", PAGE_PROMPT),
                                        Map.of(
                                                "type",
                                                "image_url",
                                                "image_url",
                                                Map.of("url", dataUrl)))));
        return vlm.complete(messages, maxTokens, deadline);
    }

    /** Releases the VLM client. */
    void close() {
        vlm.close();
    }

    private static ReaderLm.Image load(String src, ReaderLm.ImageLoader loader, long deadline)
            throws IOException {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        ReaderLm.Image image = loader.load(URI.create(src), left);
        if (image == null || image.bytes() == null) {
            throw new IOException("the loader returned nothing");
        }
        return image;
    }

    /** Whether an image's alt is missing, blank or a word that only says "image". */
    static boolean lacksAlt(Element img) {
        String alt = img.attr("alt").strip().toLowerCase(Locale.ROOT);
        return alt.isEmpty() || GENERIC.contains(alt);
    }

    /** A caption as alt text: one line, no wrapping quotes, no final period, bounded. */
    static String tidy(String answer) {
        String s = answer.replaceAll("\\s+", " ").strip();
        while (s.length() >= 2
                && (s.charAt(0) == '"' || s.charAt(0) == '\'')
                && s.charAt(s.length() - 1) == s.charAt(0)) {
            s = s.substring(1, s.length() - 1).strip();
        }
        if (s.endsWith(".") && !s.endsWith("..")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.length() > MAX_CAPTION_CHARS) {
            int cut = s.lastIndexOf(' ', MAX_CAPTION_CHARS);
            s = s.substring(0, cut > MAX_CAPTION_CHARS / 2 ? cut : MAX_CAPTION_CHARS) + "…";
        }
        return s;
    }

    /** The declared type when it is a raster one, else the type the first bytes show. */
    static String mediaType(ReaderLm.Image image) {
        String declared =
                image.mediaType() == null
                        ? ""
                        : image.mediaType().split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (RASTER.contains(declared)) {
            return declared;
        }
        byte[] b = image.bytes();
        if (starts(b, 0x89, 'P', 'N', 'G')) {
            return "image/png";
        }
        if (starts(b, 0xFF, 0xD8, 0xFF)) {
            return "image/jpeg";
        }
        if (starts(b, 'G', 'I', 'F', '8')) {
            return "image/gif";
        }
        if (b.length >= 12
                && starts(b, 'R', 'I', 'F', 'F')
                && b[8] == 'W'
                && b[9] == 'E'
                && b[10] == 'B'
                && b[11] == 'P') {
            return "image/webp";
        }
        return declared;
    }

    private static boolean starts(byte[] b, int... prefix) {
        if (b.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((b[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The image inside a {@code data:image/…;base64,} URL; null for any other data URL. */
    private ReaderLm.Image decodeDataUrl(String src) throws IOException {
        int comma = src.indexOf(',');
        if (comma < 0) {
            return null;
        }
        String head = src.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!head.endsWith(";base64")) {
            return null;
        }
        // Checked before decoding: base64 is 4 characters per 3 bytes.
        if ((long) (src.length() - comma - 1) / 4 * 3 > maxImageBytes) {
            throw new IOException("the data URL is over the cap of " + maxImageBytes + " bytes");
        }
        byte[] bytes = Base64.getMimeDecoder().decode(src.substring(comma + 1));
        return new ReaderLm.Image(bytes, head.substring(0, head.length() - 7));
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String shortUrl(String src) {
        return src.length() <= 100 ? src : src.substring(0, 100) + "…";
    }
}
