package dev.plinth.reader.markdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

/**
 * The writer's cost is linear in the page: the page shapes that made a stage quadratic (sibling
 * joins, re-indenting nested containers at every level, searching subtrees per ancestor) written at
 * sizes where quadratic means minutes or hours and linear means a second or two. The limit is
 * generous because the machine is shared; output size is checked too, since indenting every line by
 * its depth makes the output itself quadratic.
 */
class MarkdownWriterBoundsTest {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    private static String write(Element root) {
        return assertTimeoutPreemptively(
                LIMIT, () -> MarkdownWriter.write(root, MarkdownOptions.DEFAULTS));
    }

    /**
     * A new child element; jsoup's {@code appendElement} (and {@code attr} on an attached element)
     * look up the document's parser settings through every ancestor, which is itself quadratic when
     * building a tree this deep.
     */
    private static Element child(Element parent, String tag) {
        Element child = new Element(tag);
        parent.appendChild(child);
        return child;
    }

    @Test
    void writesEightHundredThousandSiblingParagraphsInLinearTime() {
        Element body = Jsoup.parse("<p>x</p>".repeat(800_000)).body();
        String out = write(body);
        assertEquals(800_000 * 3 - 2, out.length()); // "x" and a blank line each
    }

    @Test
    void writesFiftyThousandNestedListsFromAPageInLinearTime() {
        Element body = Jsoup.parse("<ul><li>item".repeat(50_000)).body();
        String out = write(body);
        assertTrue(out.startsWith("- item\n  - item\n    - item"), out.substring(0, 40));
        assertEquals(50_000, out.split("item", -1).length - 1);
        assertTrue(out.length() < 40 * 50_000, out.length() + " characters");
    }

    @Test
    void writesFiftyThousandLevelsOfNestingInLinearTime() {
        // Built by hand: the HTML parser stops nesting at 512 levels, a tree handed over need not.
        int n = 50_000;
        Document doc = Document.createShell("https://example.com/");
        Element at = doc.body();
        for (int i = 0; i < n; i++) {
            at = child(child(at, "ul"), "li").appendText("item ");
        }
        String out = write(doc.body());
        assertEquals(n, out.split("item", -1).length - 1);
        assertTrue(out.length() < 60 * n, out.length() + " characters");
    }

    @Test
    void writesOneHundredThousandNestedElementsInLinearTime() {
        // Every kind of container and inline element the writer keeps state for; no <code> or
        // <pre>, which would take the rest of the chain as their text.
        String[] tags =
                "div blockquote ol li em a section ul li b h3 dl dd span s table tr td q p"
                        .split(" ");
        int n = 100_000;
        Document doc = Document.createShell("https://example.com/");
        Element at = doc.body();
        for (int i = 0; i < n; i++) {
            Element e = new Element(tags[i % tags.length]);
            if (e.normalName().equals("a")) {
                e.attr("href", "/p" + i); // before it is attached, as child() explains
            }
            at.appendChild(e);
            at = e.appendText("w ");
        }
        String out = write(doc.body());
        assertTrue(out.contains("w"), out.length() + " characters");
        assertTrue(out.length() < 100 * n, out.length() + " characters");
    }

    @Test
    void writesDeeplyNestedTablesAndCodeInLinearTime() {
        // Asking each table "do you hold a table?" and each <code> "do you hold a <pre>?" by
        // searching its subtree is quadratic in the depth.
        int n = 30_000;
        Document doc = Document.createShell("https://example.com/");
        Element at = doc.body();
        for (int i = 0; i < n; i++) {
            at = child(child(child(at, "table"), "tr"), "td").appendText("cell ");
        }
        for (int i = 0; i < n; i++) {
            at = child(at, "code").appendText("k ");
        }
        child(at, "pre").appendText("block");
        String out = write(doc.body());
        assertEquals(n, out.split("cell", -1).length - 1);
        assertTrue(out.endsWith("```\nblock\n```"), out.substring(out.length() - 30));
    }
}
