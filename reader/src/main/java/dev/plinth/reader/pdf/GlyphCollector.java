package dev.plinth.reader.pdf;

import java.awt.geom.Point2D;
import java.io.IOException;
import java.io.StringWriter;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.pdfbox.contentstream.operator.Operator;
import org.apache.pdfbox.cos.COSBase;
import org.apache.pdfbox.cos.COSNumber;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.apache.pdfbox.pdmodel.font.PDFont;
import org.apache.pdfbox.pdmodel.font.PDFontDescriptor;
import org.apache.pdfbox.pdmodel.interactive.action.PDAction;
import org.apache.pdfbox.pdmodel.interactive.action.PDActionURI;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotation;
import org.apache.pdfbox.pdmodel.interactive.annotation.PDAnnotationLink;
import org.apache.pdfbox.text.PDFTextStripper;
import org.apache.pdfbox.text.TextPosition;

/**
 * Feeds PDFBox's text positions to {@link PdfLayout}: one {@link PdfLayout.Glyph} per character, in
 * content-stream order, with its font size, weight, pitch and the link annotation it sits under;
 * plus the painted marks the layout reads as table borders and bullets.
 *
 * <p>PDFBox's own line and word assembly is bypassed (positions are collected, never written),
 * because the layout needs raw geometry to find columns and tables itself. The collector also
 * enforces the deadline: it is checked every few hundred content-stream operators, so no page,
 * however hostile, keeps PDFBox busy past it.
 */
final class GlyphCollector extends PDFTextStripper {

    /** Thrown from inside PDFBox's stream engine when the deadline passes. */
    static final class DeadlineExceeded extends IOException {
        DeadlineExceeded() {
            super("deadline exceeded");
        }
    }

    private final long deadlineNanos;
    private final Consumer<PdfLayout.PageGlyphs> sink;
    private final Map<PDFont, Style> styles = new HashMap<>();
    private List<PdfLayout.Glyph> glyphs = new ArrayList<>();
    private List<PdfLayout.Rule> rules = new ArrayList<>();
    private final List<PdfLayout.Rule> path = new ArrayList<>();
    private List<LinkArea> links = List.of();
    private PDRectangle crop = PDRectangle.LETTER;
    private List<PdfLayout.Box> dots = new ArrayList<>();
    private Point2D.Float pathPoint;
    // The bounds of the path being built, in page coordinates.
    private float pathLeft = Float.MAX_VALUE;
    private float pathTop = Float.MAX_VALUE;
    private float pathRight = -Float.MAX_VALUE;
    private float pathBottom = -Float.MAX_VALUE;
    private int operators;

    private record Style(boolean bold, boolean mono) {}

    /** Font names of common fixed-pitch families, for PDFs whose font descriptors do not say so. */
    private static final Pattern MONO_NAMES =
            Pattern.compile(
                    "mono|courier|typewriter|nimbusmon|consol|menlo|code|(^|\\+)cmtt|(^|\\+)sfr?tt|lmtt");

    private record LinkArea(float left, float top, float right, float bottom, String href) {}

    GlyphCollector(long deadlineNanos, Consumer<PdfLayout.PageGlyphs> sink) {
        this.deadlineNanos = deadlineNanos;
        this.sink = sink;
        setSortByPosition(false);
    }

    /** Runs the collector over pages {@code first..last} (1-based, inclusive). */
    void collect(PDDocument document, int first, int last) throws IOException {
        setStartPage(first);
        setEndPage(last);
        writeText(document, new StringWriter());
    }

    @Override
    protected void processOperator(Operator operator, List<COSBase> operands) throws IOException {
        if ((++operators & 0xFF) == 0) {
            checkDeadline();
        }
        trackPaths(operator.getName(), operands);
        super.processOperator(operator, operands);
    }

    /**
     * Follows painted paths for two kinds of marks the layout needs: thin vertical strokes and
     * rectangles (table borders, which tell cells apart when their text alone does not), and small
     * round or square blobs (list bullets, which browsers draw as shapes rather than glyphs).
     * PDFBox's text engine ignores paths, so they are tracked here from the raw operators.
     */
    private void trackPaths(String op, List<COSBase> operands) {
        switch (op) {
            case "re" -> {
                float[] v = numbers(operands, 4);
                if (v != null) {
                    Point2D.Float a = toPage(v[0], v[1]);
                    Point2D.Float b = toPage(v[0] + v[2], v[1] + v[3]);
                    addSegment(a, b, 3);
                    extend(a);
                    extend(b);
                }
            }
            case "m", "l" -> {
                float[] v = numbers(operands, 2);
                if (v != null) {
                    Point2D.Float to = toPage(v[0], v[1]);
                    if (op.equals("l") && pathPoint != null) {
                        addSegment(pathPoint, to, 1);
                    }
                    pathPoint = to;
                    extend(to);
                }
            }
            case "c", "v", "y" -> {
                float[] v = numbers(operands, operands.size());
                for (int i = 0; v != null && i + 1 < v.length; i += 2) {
                    pathPoint = toPage(v[i], v[i + 1]);
                    extend(pathPoint);
                }
            }
            case "S", "s", "f", "F", "f*", "B", "B*", "b", "b*" -> {
                if (rules.size() < 10_000) {
                    rules.addAll(path);
                }
                float w = pathRight - pathLeft;
                float h = pathBottom - pathTop;
                if (w >= 1.5f
                        && h >= 1.5f
                        && w <= 8
                        && h <= 8
                        && Math.max(w, h) <= 1.5f * Math.min(w, h)
                        && dots.size() < 10_000) {
                    dots.add(new PdfLayout.Box(pathLeft, pathTop, pathRight, pathBottom));
                }
                clearPath();
            }
            case "n" -> clearPath(); // a clipping path draws nothing
            default -> {}
        }
    }

    private static float[] numbers(List<COSBase> operands, int count) {
        if (operands.size() != count || count == 0) {
            return null;
        }
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            if (!(operands.get(i) instanceof COSNumber n)) {
                return null;
            }
            v[i] = n.floatValue();
        }
        return v;
    }

    private void extend(Point2D.Float p) {
        pathLeft = Math.min(pathLeft, p.x);
        pathTop = Math.min(pathTop, p.y);
        pathRight = Math.max(pathRight, p.x);
        pathBottom = Math.max(pathBottom, p.y);
    }

    private void clearPath() {
        path.clear();
        pathPoint = null;
        pathLeft = pathTop = Float.MAX_VALUE;
        pathRight = pathBottom = -Float.MAX_VALUE;
    }

    private void addSegment(Point2D.Float a, Point2D.Float b, float maxWidth) {
        float width = Math.abs(a.x - b.x);
        float height = Math.abs(a.y - b.y);
        if (width <= maxWidth && height > 4 && path.size() < 1000) {
            path.add(new PdfLayout.Rule((a.x + b.x) / 2, Math.min(a.y, b.y), Math.max(a.y, b.y)));
        }
    }

    /** User space to the top-left page coordinates text positions use. */
    private Point2D.Float toPage(float x, float y) {
        Point2D.Float p = getGraphicsState().getCurrentTransformationMatrix().transformPoint(x, y);
        return new Point2D.Float(p.x - crop.getLowerLeftX(), crop.getUpperRightY() - p.y);
    }

    void checkDeadline() throws DeadlineExceeded {
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new DeadlineExceeded();
        }
    }

    @Override
    protected void startPage(PDPage page) throws IOException {
        checkDeadline();
        glyphs = new ArrayList<>();
        rules = new ArrayList<>();
        dots = new ArrayList<>();
        clearPath();
        crop = page.getCropBox();
        links = linkAreas(page);
    }

    @Override
    protected void endPage(PDPage page) throws IOException {
        PDRectangle box = page.getCropBox();
        boolean quarter = page.getRotation() % 180 != 0;
        float width = quarter ? box.getHeight() : box.getWidth();
        float height = quarter ? box.getWidth() : box.getHeight();
        sink.accept(
                new PdfLayout.PageGlyphs(getCurrentPageNo(), width, height, glyphs, rules, dots));
        glyphs = new ArrayList<>();
        rules = new ArrayList<>();
        dots = new ArrayList<>();
    }

    @Override
    protected void processTextPosition(TextPosition text) {
        String unicode = text.getUnicode();
        if (unicode == null || unicode.isEmpty()) {
            return;
        }
        if (unicode.charAt(0) >= '\uFB00' && unicode.charAt(0) <= '\uFB06') {
            unicode = Normalizer.normalize(unicode, Normalizer.Form.NFKC); // ligatures: "ﬁ" is "fi"
        }
        float size = fontSize(text);
        if (!(size > 0) || Float.isInfinite(size)) {
            return;
        }
        Style style = styles.computeIfAbsent(text.getFont(), GlyphCollector::style);
        float space = text.getWidthOfSpace();
        if (!(space > 0) || space > size) {
            space = size * 0.25f;
        }
        PdfLayout.Glyph glyph =
                new PdfLayout.Glyph(
                        unicode,
                        text.getXDirAdj(),
                        text.getYDirAdj(),
                        Math.max(0, text.getWidthDirAdj()),
                        size,
                        style.bold(),
                        style.mono(),
                        space,
                        (int) text.getDir(),
                        href(text.getX() + text.getWidth() / 2, text.getY() - size * 0.3f),
                        glyphs.size());
        if (!isDuplicate(glyph)) {
            glyphs.add(glyph);
        }
    }

    /**
     * The size the glyph is drawn at, in page units: the text rendering matrix's vertical scale,
     * which folds in font size, text matrix and CTM. (PDFBox's "size in pt" leaves out the CTM, so
     * a browser's px-to-pt scaling would make it disagree with the coordinates.)
     */
    private static float fontSize(TextPosition text) {
        float scale = Math.abs(text.getYScale());
        return scale > 0.5f ? scale : text.getFontSizeInPt();
    }

    /** Fake bold draws each glyph twice at nearly the same spot; keep the first. */
    private boolean isDuplicate(PdfLayout.Glyph glyph) {
        for (int i = glyphs.size() - 1, seen = 0; i >= 0 && seen < 4; i--, seen++) {
            PdfLayout.Glyph other = glyphs.get(i);
            if (other.text().equals(glyph.text())
                    && Math.abs(other.x() - glyph.x()) < glyph.size() * 0.1f
                    && Math.abs(other.baseline() - glyph.baseline()) < glyph.size() * 0.1f
                    && !glyph.text().isBlank()) {
                return true;
            }
        }
        return false;
    }

    private static Style style(PDFont font) {
        String name = font.getName() == null ? "" : font.getName().toLowerCase(Locale.ROOT);
        PDFontDescriptor descriptor = font.getFontDescriptor();
        boolean bold =
                name.contains("bold")
                        || name.contains("black")
                        || name.contains("heavy")
                        || name.contains("semibold")
                        || name.contains("demi")
                        || descriptor != null
                                && (descriptor.isForceBold() || descriptor.getFontWeight() >= 600);
        boolean mono =
                MONO_NAMES.matcher(name).find() || descriptor != null && descriptor.isFixedPitch();
        return new Style(bold, mono);
    }

    private String href(float x, float y) {
        for (LinkArea link : links) {
            if (x >= link.left && x <= link.right && y >= link.top && y <= link.bottom) {
                return link.href;
            }
        }
        return null;
    }

    /** URI link annotations of {@code page}, in the top-left coordinates text positions use. */
    private static List<LinkArea> linkAreas(PDPage page) {
        List<LinkArea> areas = new ArrayList<>();
        try {
            PDRectangle crop = page.getCropBox();
            for (PDAnnotation annotation : page.getAnnotations()) {
                if (!(annotation instanceof PDAnnotationLink link) || link.getRectangle() == null) {
                    continue;
                }
                PDAction action = link.getAction();
                if (action instanceof PDActionURI uri
                        && uri.getURI() != null
                        && !uri.getURI().isBlank()) {
                    PDRectangle r = link.getRectangle();
                    areas.add(
                            new LinkArea(
                                    r.getLowerLeftX() - crop.getLowerLeftX(),
                                    crop.getUpperRightY() - r.getUpperRightY(),
                                    r.getUpperRightX() - crop.getLowerLeftX(),
                                    crop.getUpperRightY() - r.getLowerLeftY(),
                                    uri.getURI().strip()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // A broken annotation array loses the links, not the text.
        }
        return areas;
    }
}
