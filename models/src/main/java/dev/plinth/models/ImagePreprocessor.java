package dev.plinth.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Image bytes to a CLIP model's pixel tensor, as the model folder's {@code
 * preprocessor_config.json} says: decode, convert to RGB, resize, center-crop, rescale, normalize.
 *
 * <p>Notes. The result must equal what the model was trained on, and that is the reference
 * pipeline's output: HuggingFace's {@code CLIPImageProcessor} and open_clip's transforms (which
 * jina-clip's processor uses) both resize with Pillow. So the resize here is Pillow's: a separable
 * convolution, horizontal pass then vertical, whose kernel (bicubic with a = −0.5, or bilinear) is
 * widened by the downscale factor so every source pixel counts (antialiasing), computed in Pillow's
 * 22-bit fixed point and rounded to 8 bits after each pass. Plain Java2D scaling samples a few
 * neighbours and aliases badly on the 10× reductions CLIP inputs take. Both config dialects are
 * read: HuggingFace's ({@code size: {shortest_edge}}, {@code crop_size}, {@code do_*}, {@code
 * image_mean}, {@code resample}) and open_clip's ({@code size}, {@code resize_mode}, {@code mean},
 * {@code interpolation}); they differ in how an odd crop margin rounds (floor against Python's
 * round-half-even), which is kept. Alpha is dropped, not composited, as Pillow's {@code
 * convert("RGB")} does; grayscale is replicated to three channels.
 *
 * <p>Decoding is bounded: the header is read first, and an image over {@value #MAX_PIXELS} pixels
 * is decoded subsampled (every k-th pixel, k the smallest that fits), so a 100-megapixel JPEG costs
 * at most 64 MB, never its full size; the model sees a few hundred pixels a side anyway. JPEG, PNG,
 * GIF (first frame), BMP and WebP are read (WebP and CMYK JPEG through TwelveMonkeys).
 */
public final class ImagePreprocessor {

    /** The most pixels decoded at full resolution; larger images are subsampled while decoding. */
    public static final long MAX_PIXELS = 16L << 20;

    /** OpenAI CLIP's channel means, the default when a config names none. */
    private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};

    /** OpenAI CLIP's channel deviations. */
    private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** How the image is resized before the crop. */
    enum Resize {
        /** The shorter side to {@code size}, the longer in proportion (truncated). */
        SHORTEST,
        /** Exactly {@code height × width}. */
        EXACT,
        /** Not resized. */
        NONE
    }

    /** Pillow's resampling filters that plinth reproduces. */
    enum Filter {
        BILINEAR(1.0),
        BICUBIC(2.0);

        final double support;

        Filter(double support) {
            this.support = support;
        }

        double weight(double x) {
            x = Math.abs(x);
            return switch (this) {
                case BILINEAR -> x < 1.0 ? 1.0 - x : 0.0;
                case BICUBIC -> {
                    double a = -0.5;
                    if (x < 1.0) yield ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                    if (x < 2.0) yield (((x - 5) * x + 8) * x - 4) * a;
                    yield 0.0;
                }
            };
        }
    }

    private final Resize resize;
    private final int size;
    private final int resizeHeight;
    private final int resizeWidth;
    private final Filter filter;
    private final boolean crop;
    private final int cropHeight;
    private final int cropWidth;
    private final boolean roundHalfEven;
    private final float rescale;
    private final float[] mean;
    private final float[] std;

    private ImagePreprocessor(JsonNode c) {
        boolean openClip = c.has("mean") || c.has("resize_mode") || c.has("interpolation");
        this.roundHalfEven = openClip;
        JsonNode sizeNode = c.path("size");
        boolean doResize = c.path("do_resize").asBoolean(true);
        int shortest = -1, height = -1, width = -1;
        if (sizeNode.isInt()) {
            String mode = c.path("resize_mode").asText("shortest");
            if (mode.equals("squash")) height = width = sizeNode.asInt();
            else if (mode.equals("shortest")) shortest = sizeNode.asInt();
            else throw unsupported("resize_mode " + mode);
        } else if (sizeNode.has("shortest_edge")) {
            shortest = sizeNode.get("shortest_edge").asInt();
        } else if (sizeNode.has("height")) {
            height = sizeNode.get("height").asInt();
            width = sizeNode.path("width").asInt(height);
        } else if (sizeNode.isArray() && sizeNode.size() == 2) {
            height = sizeNode.get(0).asInt();
            width = sizeNode.get(1).asInt();
        } else if (doResize) {
            throw unsupported("size " + sizeNode);
        }
        this.resize = !doResize ? Resize.NONE : shortest > 0 ? Resize.SHORTEST : Resize.EXACT;
        this.size = shortest;
        this.resizeHeight = height;
        this.resizeWidth = width;
        this.filter = filter(c);

        JsonNode cropNode = c.path("crop_size");
        int ch = -1, cw = -1;
        if (cropNode.isInt()) {
            ch = cw = cropNode.asInt();
        } else if (cropNode.has("height")) {
            ch = cropNode.get("height").asInt();
            cw = cropNode.path("width").asInt(ch);
        } else if (openClip && sizeNode.isInt()) {
            ch = cw = sizeNode.asInt(); // open_clip crops to the size it resized to
        }
        this.crop = c.path("do_center_crop").asBoolean(ch > 0) && ch > 0;
        this.cropHeight = ch;
        this.cropWidth = cw;
        if (!crop && resize == Resize.SHORTEST)
            throw unsupported("a shortest-edge resize without a center crop (no fixed size)");
        if (!crop && resize == Resize.NONE)
            throw unsupported("neither a fixed resize nor a crop (no fixed size)");

        this.rescale =
                c.path("do_rescale").asBoolean(true)
                        ? (float) c.path("rescale_factor").asDouble(1 / 255.0)
                        : 1f;
        boolean normalize = c.path("do_normalize").asBoolean(true);
        this.mean = normalize ? triple(c, "image_mean", "mean", CLIP_MEAN) : new float[3];
        this.std = normalize ? triple(c, "image_std", "std", CLIP_STD) : new float[] {1, 1, 1};
    }

    /** Reads a {@code preprocessor_config.json}; a clear error for settings plinth cannot match. */
    public static ImagePreprocessor read(InputStream json) throws IOException {
        return new ImagePreprocessor(ModelConfig.JSON.readTree(json));
    }

    /** The pixel tensor's height. */
    public int height() {
        return crop ? cropHeight : resizeHeight;
    }

    /** The pixel tensor's width. */
    public int width() {
        return crop ? cropWidth : resizeWidth;
    }

    /**
     * Decodes and preprocesses one image: {@code [3, height, width]} floats, channel-major; a
     * 422-style error when the bytes are not an image plinth can read.
     */
    public float[] pixels(byte[] image) {
        Rgb rgb = decode(image);
        return tensor(rgb);
    }

    /** Preprocesses already decoded RGB pixels (for tests and callers that decode themselves). */
    float[] tensor(Rgb rgb) {
        Rgb resized =
                switch (resize) {
                    case NONE -> rgb;
                    case EXACT -> resample(rgb, resizeWidth, resizeHeight);
                    case SHORTEST -> {
                        int w = rgb.width, h = rgb.height;
                        int shortSide = Math.min(w, h), longSide = Math.max(w, h);
                        int newLong = (int) ((long) size * longSide / shortSide);
                        yield w <= h ? resample(rgb, size, newLong) : resample(rgb, newLong, size);
                    }
                };
        int h = height(), w = width();
        int top = crop ? offset(resized.height, h) : 0;
        int left = crop ? offset(resized.width, w) : 0;
        float[] out = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            byte[] plane = resized.planes[c];
            int base = c * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y + top;
                for (int x = 0; x < w; x++) {
                    int sx = x + left;
                    // Outside the resized image (smaller than the crop): Pillow's fill, black.
                    int v =
                            sy < 0 || sy >= resized.height || sx < 0 || sx >= resized.width
                                    ? 0
                                    : plane[sy * resized.width + sx] & 0xff;
                    out[base + y * w + x] = (v * rescale - mean[c]) / std[c];
                }
            }
        }
        return out;
    }

    /** Where a centered crop of {@code crop} starts in {@code length} (negative: padding). */
    private int offset(int length, int crop) {
        double half = (length - crop) / 2.0;
        return roundHalfEven ? (int) Math.rint(half) : Math.floorDiv(length - crop, 2);
    }

    // ---- decoding ----

    /** Three 8-bit planes, row-major. */
    record Rgb(int width, int height, byte[][] planes) {}

    /** Decodes image bytes to RGB, subsampling past {@link #MAX_PIXELS}. */
    static Rgb decode(byte[] bytes) {
        try (ImageInputStream in =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext())
                throw ModelException.invalid(
                        "the image is not in a format plinth reads (JPEG, PNG, GIF, BMP, WebP); it"
                                + " starts with "
                                + hexStart(bytes));
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0), h = reader.getHeight(0);
                if (w <= 0 || h <= 0)
                    throw ModelException.invalid("the image has no pixels (" + w + "×" + h + ")");
                ImageReadParam param = reader.getDefaultReadParam();
                int k = 1;
                while ((w / k) * (h / k) > MAX_PIXELS) k++;
                if (k > 1) param.setSourceSubsampling(k, k, 0, 0);
                return rgb(reader.read(0, param));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelException m) throw m;
            throw ModelException.invalid(
                    "the image cannot be decoded: "
                            + (e.getMessage() == null
                                    ? e.getClass().getSimpleName()
                                    : e.getMessage()));
        }
    }

    private static Rgb rgb(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        byte[][] planes = {new byte[w * h], new byte[w * h], new byte[w * h]};
        boolean gray =
                image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY
                        && image.getRaster().getNumBands() <= 2;
        if (gray) {
            // The samples themselves: Java would pass linear gray through a gamma to sRGB.
            Raster raster = image.getRaster();
            int bits = image.getColorModel().getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v =
                            bits > 8
                                    ? row[x] >>> (bits - 8)
                                    : bits < 8 ? row[x] * 255 / ((1 << bits) - 1) : row[x];
                    planes[0][y * w + x] = planes[1][y * w + x] = planes[2][y * w + x] = (byte) v;
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = row[x];
                    planes[0][y * w + x] = (byte) (p >> 16);
                    planes[1][y * w + x] = (byte) (p >> 8);
                    planes[2][y * w + x] = (byte) p;
                }
            }
        }
        return new Rgb(w, h, planes);
    }

    // ---- Pillow's resampling ----

    /** Resizes to {@code width × height}: horizontal pass, then vertical, 8-bit between. */
    Rgb resample(Rgb in, int width, int height) {
        Rgb out = in;
        if (width != in.width) out = horizontal(out, width);
        if (height != in.height) out = vertical(out, height);
        return out;
    }

    private Rgb horizontal(Rgb in, int width) {
        Coefficients k = coefficients(in.width, width);
        byte[][] planes = new byte[3][width * in.height];
        for (int c = 0; c < 3; c++) {
            byte[] src = in.planes[c], dst = planes[c];
            for (int y = 0; y < in.height; y++) {
                int row = y * in.width;
                for (int x = 0; x < width; x++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    int from = k.bounds[2 * x], n = k.bounds[2 * x + 1];
                    for (int i = 0; i < n; i++)
                        ss += (src[row + from + i] & 0xff) * k.weights[x * k.size + i];
                    dst[y * width + x] = clip8(ss);
                }
            }
        }
        return new Rgb(width, in.height, planes);
    }

    private Rgb vertical(Rgb in, int height) {
        Coefficients k = coefficients(in.height, height);
        byte[][] planes = new byte[3][in.width * height];
        for (int c = 0; c < 3; c++) {
            byte[] src = in.planes[c], dst = planes[c];
            for (int y = 0; y < height; y++) {
                int from = k.bounds[2 * y], n = k.bounds[2 * y + 1];
                for (int x = 0; x < in.width; x++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int i = 0; i < n; i++)
                        ss += (src[(from + i) * in.width + x] & 0xff) * k.weights[y * k.size + i];
                    dst[y * in.width + x] = clip8(ss);
                }
            }
        }
        return new Rgb(in.width, height, planes);
    }

    /** Per output pixel: the first source pixel, how many, and their fixed-point weights. */
    private record Coefficients(int size, int[] bounds, int[] weights) {}

    private Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[2 * outSize];
        int[] weights = new int[outSize * ksize];
        double[] k = new double[ksize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double ww = 0;
            double ss = 1.0 / filterScale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            for (int x = 0; x < xmax; x++) {
                double w = filter.weight((x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++) {
                double w = ww != 0 ? k[x] / ww : k[x];
                weights[xx * ksize + x] =
                        (int)
                                (w < 0
                                        ? -0.5 + w * (1 << PRECISION_BITS)
                                        : 0.5 + w * (1 << PRECISION_BITS));
            }
            bounds[2 * xx] = xmin;
            bounds[2 * xx + 1] = xmax;
        }
        return new Coefficients(ksize, bounds, weights);
    }

    private static byte clip8(int in) {
        if (in >= (1 << PRECISION_BITS << 8)) return (byte) 255;
        if (in <= 0) return 0;
        return (byte) (in >> PRECISION_BITS);
    }

    // ---- config helpers ----

    private static Filter filter(JsonNode c) {
        if (c.has("resample")) {
            return switch (c.get("resample").asInt()) {
                case 2 -> Filter.BILINEAR;
                case 3 -> Filter.BICUBIC;
                default -> throw unsupported("resample " + c.get("resample").asInt());
            };
        }
        String name = c.path("interpolation").asText("bicubic").toLowerCase(Locale.ROOT);
        return switch (name) {
            case "bicubic" -> Filter.BICUBIC;
            case "bilinear" -> Filter.BILINEAR;
            default -> throw unsupported("interpolation " + name);
        };
    }

    private static float[] triple(JsonNode c, String hf, String openClip, float[] fallback) {
        JsonNode v = c.has(hf) ? c.get(hf) : c.get(openClip);
        if (v == null || v.isNull()) return fallback.clone();
        if (v.isNumber()) return new float[] {v.floatValue(), v.floatValue(), v.floatValue()};
        if (!v.isArray() || v.size() != 3) throw unsupported(hf + " " + v);
        return new float[] {v.get(0).floatValue(), v.get(1).floatValue(), v.get(2).floatValue()};
    }

    private static IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException(
                "preprocessor_config.json: plinth cannot reproduce " + what);
    }

    private static String hexStart(byte[] bytes) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(8, bytes.length); i++)
            b.append(String.format("%02x", bytes[i] & 0xff));
        return bytes.length == 0 ? "(empty)" : b.toString();
    }
}
