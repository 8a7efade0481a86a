package dev.plinth.reader.markdown;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.plinth.reader.FuzzBounds;
import dev.plinth.reader.extract.Extractor;
import dev.plinth.reader.extract.PlainText;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

/**
 * Any HTML goes through the reader's HTML path — jsoup's parser, main-content extraction, the
 * Markdown writer for the extract and for the whole page, the plain-text writer — without an
 * exception, within the deadline, and allocating a bounded multiple of its size.
 *
 * <p>Two targets over one corpus: the whole path, and the Markdown writer alone on the parsed page,
 * which runs many times faster and so explores the writer further in a campaign of the same length.
 * Regression inputs: {@code HtmlToMarkdownFuzzTestInputs/} beside this class in the test resources
 * (plain HTML files, shared by both). The Markdown options vary with the input's hash, so the
 * corpus covers the writer's knobs without a second format.
 */
class HtmlToMarkdownFuzzTest {

    /**
     * Base allowance plus a multiple of the input: the stages copy the text a few times over (tree,
     * extract clone, blocks, output), so a linear pipeline stays well under this.
     */
    private static final long FIXED_ALLOCATION = 64L << 20;

    private static final long ALLOCATION_PER_INPUT_BYTE = 4096;

    @FuzzTest
    void convertsAnyHtmlWithinBounds(byte[] input) {
        String html = new String(input, StandardCharsets.UTF_8);
        MarkdownOptions options = optionsFor(input);
        FuzzBounds.check(
                input,
                FIXED_ALLOCATION + ALLOCATION_PER_INPUT_BYTE * input.length,
                () -> {
                    Document page = Jsoup.parse(html, "https://example.com/dir/page.html");
                    Extractor.Extraction extraction = Extractor.extract(page);
                    assertNotNull(MarkdownWriter.write(extraction.content(), options));
                    assertNotNull(PlainText.of(extraction.content()));
                    Document whole = Jsoup.parse(html, "https://example.com/dir/page.html");
                    assertNotNull(MarkdownWriter.write(whole.body(), options));
                    return null;
                });
    }

    @FuzzTest
    void writesMarkdownForAnyHtmlWithinBounds(byte[] input) {
        String html = new String(input, StandardCharsets.UTF_8);
        MarkdownOptions options = optionsFor(input);
        FuzzBounds.check(
                input,
                FIXED_ALLOCATION + ALLOCATION_PER_INPUT_BYTE * input.length,
                () ->
                        MarkdownWriter.write(
                                Jsoup.parse(html, "https://example.com/").body(), options));
    }

    /** One of a few option sets, chosen by the input so that one corpus covers all of them. */
    private static MarkdownOptions optionsFor(byte[] input) {
        return switch (Math.floorMod(Arrays.hashCode(input), 4)) {
            case 0 -> MarkdownOptions.DEFAULTS;
            case 1 ->
                    MarkdownOptions.builder()
                            .headingStyle(MarkdownOptions.HeadingStyle.SETEXT)
                            .codeBlockStyle(MarkdownOptions.CodeBlockStyle.INDENTED)
                            .linkStyle(MarkdownOptions.LinkStyle.REFERENCED)
                            .linkReferenceStyle(MarkdownOptions.LinkReferenceStyle.SHORTCUT)
                            .build();
            case 2 ->
                    MarkdownOptions.builder()
                            .gfm(false)
                            .preformattedCode(true)
                            .bulletListMarker("*")
                            .emDelimiter("*")
                            .strongDelimiter("__")
                            .fence("~~~")
                            .build();
            default ->
                    MarkdownOptions.builder()
                            .linkStyle(MarkdownOptions.LinkStyle.DISCARDED)
                            .images(MarkdownOptions.Images.NONE)
                            .keepDataUris(true)
                            .strikethroughDelimiter("~")
                            .build();
        };
    }
}
