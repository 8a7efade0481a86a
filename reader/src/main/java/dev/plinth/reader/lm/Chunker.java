package dev.plinth.reader.lm;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeFilter;
import org.jsoup.select.NodeTraversor;

/**
 * Splits a cleaned page into pieces of HTML that each fit the model's context, cutting only between
 * elements.
 *
 * <p>The idea: an element whose whole serialization fits the budget travels as one unit; one that
 * does not is opened and its children are considered in turn (its own tags are dropped — the model
 * reads content, and a {@code <div>} wrapper tells it nothing). Units are packed greedily in
 * document order, so each piece is a run of whole, consecutive elements. A text node too long for
 * any piece is the one thing cut inside, at whitespace.
 *
 * <p>Sizes are measured once, bottom-up, as characters of serialized HTML (an element is its tag
 * and attributes plus its children), so the split is linear in the page however deep it nests;
 * opening an oversized element costs nothing extra. The caller turns its token budget into
 * characters with the page's own characters-per-token ratio and checks the real token count of each
 * piece it keeps.
 */
final class Chunker {

    /** The pieces, in document order, and how many units had to be cut inside. */
    record Split(List<String> pieces, int cutUnits) {}

    private Chunker() {}

    /** Splits the subtree under {@code root} into pieces of at most about {@code budget} chars. */
    static Split split(Element root, int budget) {
        Map<Node, Integer> sizes = sizes(root);
        List<String> pieces = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int[] cut = {0};
        NodeTraversor.filter(
                new NodeFilter() {
                    @Override
                    public FilterResult head(Node node, int depth) {
                        int size = sizes.getOrDefault(node, 0);
                        if (size <= budget) {
                            add(node.outerHtml());
                            return FilterResult.SKIP_ENTIRELY;
                        }
                        if (node instanceof TextNode text) {
                            for (String part : splitText(text.getWholeText(), budget)) {
                                add(new TextNode(part).outerHtml());
                            }
                            cut[0]++;
                            return FilterResult.SKIP_ENTIRELY;
                        }
                        if (node.childNodeSize() == 0) {
                            // An empty element bigger than a whole piece is all attributes:
                            // nothing the model could render, so it is left out.
                            cut[0]++;
                            return FilterResult.SKIP_ENTIRELY;
                        }
                        return FilterResult.CONTINUE;
                    }

                    private void add(String html) {
                        if (!current.isEmpty() && current.length() + html.length() > budget) {
                            pieces.add(current.toString());
                            current.setLength(0);
                        }
                        current.append(html);
                    }
                },
                root);
        if (!current.isEmpty()) {
            pieces.add(current.toString());
        }
        return new Split(pieces, cut[0]);
    }

    /** Serialized sizes of every node under {@code root}, computed children first. */
    private static Map<Node, Integer> sizes(Element root) {
        Map<Node, Integer> sizes = new IdentityHashMap<>();
        NodeTraversor.traverse(
                new org.jsoup.select.NodeVisitor() {
                    @Override
                    public void head(Node node, int depth) {}

                    @Override
                    public void tail(Node node, int depth) {
                        long size;
                        if (node instanceof Element e) {
                            // <name attrs></name>: the name twice, five brackets and a slash.
                            size = 2L * e.tagName().length() + 5 + e.attributes().html().length();
                            for (Node child : e.childNodes()) {
                                size += sizes.getOrDefault(child, 0);
                            }
                        } else {
                            size = node.outerHtml().length();
                        }
                        sizes.put(node, (int) Math.min(Integer.MAX_VALUE, size));
                    }
                },
                root);
        return sizes;
    }

    /**
     * {@code text} in parts of at most {@code budget} chars, cut at whitespace where there is any.
     */
    static List<String> splitText(String text, int budget) {
        // Escaping (&amp; &lt;) grows text a little: leave room for it.
        int max = Math.max(1, budget - budget / 8);
        List<String> parts = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = Math.min(text.length(), start + max);
            if (end < text.length()) {
                int space = end;
                while (space > start + max / 2 && !Character.isWhitespace(text.charAt(space - 1))) {
                    space--;
                }
                if (space > start + max / 2) {
                    end = space;
                } else if (Character.isHighSurrogate(text.charAt(end - 1))) {
                    end--;
                }
            }
            parts.add(text.substring(start, end));
            start = end;
        }
        return parts;
    }
}
