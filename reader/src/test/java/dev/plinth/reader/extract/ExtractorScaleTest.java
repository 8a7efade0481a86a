package dev.plinth.reader.extract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;

/**
 * Extraction stays linear in the page's size on the inputs that once made it quadratic: hundreds of
 * thousands of siblings (each removed or moved one at a time, jsoup shifts the whole child list)
 * and deep nesting (a selector or {@code text()} per element reads each subtree again). Each page
 * is a few MB, under the reader's 10 MiB cap.
 *
 * <p>Time is the test thread's CPU time, so a machine busy with other builds does not fail the
 * test; the bounds are about ten times what the linear code takes, and far below what the quadratic
 * code took (40 s for the sibling paragraphs, 25 s for the nested lists). Memory is the bytes the
 * thread allocated while extracting, a deterministic figure, bounded at a small multiple of the
 * page's size. A wall-clock limit stops a hang.
 */
class ExtractorScaleTest {

    /**
     * What one extraction cost: CPU seconds, bytes allocated per node of the page, and the text it
     * kept.
     */
    private record Cost(double cpuSeconds, double bytesPerNode, String text) {}

    /** Allocation allowed per node of the page (element or text): a few copies of the tree. */
    private static final int BYTES_PER_NODE = 4096;

    private static Cost extract(String html) {
        return assertTimeoutPreemptively(
                Duration.ofMinutes(3),
                () -> {
                    var threads =
                            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                    Document doc = Jsoup.parse(html, "https://example.org/");
                    int[] nodes = {0};
                    doc.body().traverse((node, depth) -> nodes[0]++);
                    long cpu = threads.getCurrentThreadCpuTime();
                    long allocated = threads.getCurrentThreadAllocatedBytes();
                    Element content = Extractor.extract(doc).content();
                    String text = PlainText.of(content);
                    Cost cost =
                            new Cost(
                                    (threads.getCurrentThreadCpuTime() - cpu) / 1e9,
                                    (threads.getCurrentThreadAllocatedBytes() - allocated)
                                            / (double) nodes[0],
                                    text);
                    System.out.printf(
                            "%.1f MB of HTML, %d nodes: %.2f s CPU, %.0f bytes allocated a node%n",
                            html.length() / 1e6, nodes[0], cost.cpuSeconds(), cost.bytesPerNode());
                    return cost;
                });
    }

    @Test
    void extractsEightHundredThousandSiblingParagraphsInLinearTime() {
        String html = "<html><body>" + "<p>x</p>".repeat(800_000) + "</body></html>";

        Cost cost = extract(html);

        // Trimming may take a few short lines off the end; the rest is the article.
        assertTrue(cost.text().split("\n\n").length > 799_990, cost.toString());
        assertTrue(cost.cpuSeconds() < 25, cost.toString());
        assertTrue(cost.bytesPerNode() < BYTES_PER_NODE, cost.toString());
    }

    @Test
    void removesOneHundredThousandSiblingAsidesInLinearTime() {
        String html =
                "<html><body>"
                        + "<p>One line of the story, long enough to count as prose here.</p><aside>ad</aside>"
                                .repeat(100_000)
                        + "</body></html>";

        Cost cost = extract(html);

        assertTrue(cost.text().startsWith("One line of the story"), cost.text());
        assertTrue(!cost.text().contains("ad\n"), "asides were kept");
        assertTrue(cost.cpuSeconds() < 15, cost.toString());
        assertTrue(cost.bytesPerNode() < BYTES_PER_NODE, cost.toString());
    }

    @Test
    void extractsATableRowOfHundredThousandCellsInLinearTime() {
        String html =
                "<html><body><table><tr>"
                        + "<td>cell</td>".repeat(100_000)
                        + "</tr></table></body></html>";

        Cost cost = extract(html);

        assertTrue(cost.text().startsWith("cell\tcell\t"), cost.text().substring(0, 100));
        assertTrue(cost.cpuSeconds() < 8, cost.toString());
        assertTrue(cost.bytesPerNode() < BYTES_PER_NODE, cost.toString());
    }

    @Test
    void extractsHundredThousandNestedElementsInLinearTime() {
        String html = "<html><body>" + "<div>".repeat(100_000) + "deep text</body></html>";

        Cost cost = extract(html);

        assertEquals("deep text", cost.text());
        assertTrue(cost.cpuSeconds() < 8, cost.toString());
        assertTrue(cost.bytesPerNode() < BYTES_PER_NODE, cost.toString());
    }

    @Test
    void extractsFiftyThousandNestedListsInLinearTime() {
        String html = "<html><body>" + "<ul><li>item ".repeat(50_000) + "</body></html>";

        Cost cost = extract(html);

        assertTrue(cost.text().split("item").length > 49_990, cost.toString());
        assertTrue(cost.cpuSeconds() < 8, cost.toString());
        assertTrue(cost.bytesPerNode() < BYTES_PER_NODE, cost.toString());
    }
}
