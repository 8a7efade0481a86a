package dev.plinth.reader.lm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jsoup.nodes.Comment;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;

/**
 * The HTML cleaning that ReaderLM-v2's model card prescribes before a page is put in a prompt:
 * {@code <script>}, {@code <style>}, {@code <meta>} and {@code <link>} elements and comments are
 * removed; an inline {@code <svg>} keeps its tag but its drawing becomes the placeholder text the
 * card uses; an image whose source is a base64 {@code data:} URL becomes {@code <img src="#">}.
 *
 * <p>The card does this with regular expressions over the raw text; here it is done on the parsed
 * tree, so a {@code <script>} inside an attribute or a comment inside a script cannot confuse it,
 * and the work is one linear walk. The result is serialized without pretty-printing, keeping the
 * page's own whitespace as the card's text substitutions do. One addition: relative {@code href}
 * and {@code src} values are made absolute against the page URL, so the links in the model's
 * Markdown work where the Markdown is read (the model copies URLs as it sees them).
 */
final class HtmlCleaner {

    /** The text the model card puts inside an {@code <svg>} in place of its drawing. */
    static final String SVG_PLACEHOLDER = "this is a placeholder";

    /** The source the model card gives an image whose data was inline. */
    static final String BASE64_IMAGE_SOURCE = "#";

    private HtmlCleaner() {}

    /** Cleans the subtree under {@code root} in place. */
    static void clean(Element root, boolean absoluteUrls) {
        List<Node> remove = new ArrayList<>();
        List<Element> svgs = new ArrayList<>();
        List<Element> inlineImages = new ArrayList<>();
        List<Element> linked = new ArrayList<>();
        NodeTraversor.traverse(
                (NodeVisitor)
                        (node, depth) -> {
                            if (node instanceof Comment) {
                                remove.add(node);
                            } else if (node instanceof Element e) {
                                switch (e.normalName()) {
                                    case "script", "style", "meta", "link" -> remove.add(e);
                                    case "svg" -> svgs.add(e);
                                    case "img" -> {
                                        if (isBase64Image(e.attr("src"))) {
                                            inlineImages.add(e);
                                        } else {
                                            linked.add(e);
                                        }
                                    }
                                    case "a" -> linked.add(e);
                                    default -> {}
                                }
                            }
                        },
                root);
        // Removed after the walk: removing during it would skip the next sibling.
        for (Node node : remove) {
            if (node.parentNode() != null) {
                node.remove();
            }
        }
        for (Element svg : svgs) {
            if (svg.parentNode() != null || svg == root) {
                svg.empty();
                svg.appendChild(new TextNode(SVG_PLACEHOLDER));
            }
        }
        for (Element img : inlineImages) {
            // The card replaces the whole tag, alt and all: the model was shown exactly this.
            img.clearAttributes();
            img.attr("src", BASE64_IMAGE_SOURCE);
        }
        if (absoluteUrls) {
            for (Element e : linked) {
                String key = e.normalName().equals("a") ? "href" : "src";
                if (e.hasAttr(key)) {
                    String absolute = e.absUrl(key);
                    if (!absolute.isEmpty()) {
                        e.attr(key, absolute);
                    }
                }
            }
        }
    }

    /**
     * Whether {@code src} holds the image itself, base64-encoded, as the card's pattern sees it.
     */
    static boolean isBase64Image(String src) {
        String s = src.strip();
        if (!s.regionMatches(true, 0, "data:image/", 0, 11)) {
            return false;
        }
        int comma = s.indexOf(',');
        return comma > 0 && s.substring(0, comma).toLowerCase(Locale.ROOT).endsWith(";base64");
    }
}
