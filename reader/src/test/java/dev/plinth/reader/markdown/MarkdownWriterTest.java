package dev.plinth.reader.markdown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;

class MarkdownWriterTest {

    private static final String BASE = "https://example.com/docs/page.html";

    private static String md(String html) {
        return md(html, MarkdownOptions.DEFAULTS);
    }

    private static String md(String html, MarkdownOptions options) {
        return MarkdownWriter.write(Jsoup.parseBodyFragment(html, BASE).body(), options);
    }

    private static MarkdownOptions.Builder options() {
        return MarkdownOptions.builder();
    }

    /** Markdown for a local file's HTML: the base is its file: URL, as the CLI gives it. */
    private static String local(String html) {
        return MarkdownWriter.write(
                Jsoup.parseBodyFragment(html, "file:/home/me/site/guide/page.html").body(),
                MarkdownOptions.DEFAULTS);
    }

    // Headings, paragraphs, breaks, rules

    @Test
    void writesAtxHeadingsByDefault() {
        assertEquals(
                "# Title\n\n## Sub `code`\n\n###### Six",
                md("<h1>Title</h1><h2>Sub <code>code</code></h2><h6>Six</h6>"));
    }

    @Test
    void writesSetextHeadingsWhenAsked() {
        MarkdownOptions setext =
                options().headingStyle(MarkdownOptions.HeadingStyle.SETEXT).build();
        assertEquals(
                "Title\n=====\n\nSub\n---\n\n### Third",
                md("<h1>Title</h1><h2>Sub</h2><h3>Third</h3>", setext));
    }

    @Test
    void flattensHeadingContentOntoOneLine() {
        assertEquals(
                "## First line second line", md("<h2>First line<br>second <div>line</div></h2>"));
    }

    @Test
    void dropsSymbolPermalinksFromHeadingsButKeepsEmptyAnchors() {
        // A ¶ or # after the title is a glyph for navigation; an empty anchor still says where
        // the section is, and the converters compared keep it.
        assertEquals(
                "## Options\n\n### [](https://example.com/docs/page.html#install)Install",
                md(
                        "<h2 id='options'>Options<a class='headerlink' href='#options'>¶</a></h2>"
                                + "<h3><a class='anchor' href='#install'><svg></svg></a>Install</h3>"));
        assertEquals(
                "## [Guide](https://example.com/docs/page.html#guide)",
                md("<h2><a href='#guide'>Guide</a></h2>"));
    }

    @Test
    void escapesClosingHashesInAtxHeading() {
        assertEquals("# Learn C \\#", md("<h1>Learn C #</h1>"));
        assertEquals("# C# in depth", md("<h1>C# in depth</h1>"));
    }

    @Test
    void separatesBlocksByExactlyOneBlankLine() {
        assertEquals(
                "One\n\nTwo\n\nThree",
                md(
                        "<p>One</p><div><div><p>Two</p></div></div>\n\n<p></p><p>&nbsp;</p><p>Three</p>"));
    }

    @Test
    void writesHardBreaksButNotAtParagraphEnds() {
        assertEquals("one  \ntwo", md("<p>one<br>two<br></p>"));
        assertEquals("one\\\ntwo", md("<p><br>one<br>two</p>", options().br("\\").build()));
        assertEquals("a\n\nb", md("<p>a<br><br><br>b</p>"));
    }

    @Test
    void writesThematicBreakWithConfiguredMarker() {
        assertEquals("a\n\n---\n\nb", md("a<hr>b"));
        assertEquals("* * *", md("<hr>", options().hr("* * *").build()));
    }

    // Whitespace

    @Test
    void collapsesWhitespaceLikeABrowser() {
        assertEquals("Hello big world", md("<p>\n  Hello   <span> big </span>\n\t world  </p>"));
    }

    @Test
    void keepsNonBreakingSpaces() {
        assertEquals("a\u00a0\u00a0b", md("a&nbsp;&nbsp;b"));
        assertEquals("\u00a0indented\n\nend", md("<p>&nbsp;indented&nbsp;</p><p>end&nbsp;</p>"));
    }

    @Test
    void movesWhitespaceOutsideEmphasis() {
        assertEquals("a _b_ **c** d", md("a<em> b </em><strong>c </strong>d"));
    }

    @Test
    void mergesAdjacentEmphasisOfTheSameKind() {
        assertEquals(
                "**Game Day** and **offseason.**",
                md("<b>Game D</b><b>ay</b> and <b>offseason</b><b>.</b>"));
    }

    @Test
    void dropsEmptyInlineElements() {
        assertEquals("a b", md("a <em> </em> <strong></strong>b"));
    }

    @Test
    void ignoresScriptsStylesAndTemplates() {
        assertEquals(
                "visible",
                md(
                        "<script>var x = '*';</script><style>p{}</style><template><p>t</p></template>"
                                + "<noscript>enable js</noscript><p>visible</p>"));
    }

    @Test
    void leavesVisibilityToExtraction() {
        // A page hidden until its script runs still has its article; extraction decides, the writer
        // writes.
        assertEquals(
                "shown\n\narticle",
                md("<p>shown</p><div style='display:none'><p>article</p></div>"));
    }

    // Emphasis and escaping

    @Test
    void usesConfiguredEmphasisDelimiters() {
        assertEquals(
                "*em* __strong__",
                md(
                        "<em>em</em> <b>strong</b>",
                        options().emDelimiter("*").strongDelimiter("__").build()));
    }

    @Test
    void switchesToAsterisksForEmphasisInsideAWord() {
        assertEquals(
                "un*believ*able and 中文**强调**中文",
                md(
                        "un<em>believ</em>able and 中文<strong>强调</strong>中文",
                        options().strongDelimiter("__").build()));
    }

    @Test
    void doesNotEscapeUnderscoresInsideWords() {
        assertEquals("call foo_bar_baz or snake_case", md("call foo_bar_baz or snake_case"));
    }

    @Test
    void escapesDelimitersThatWouldFormEmphasis() {
        assertEquals(
                "\\*not em\\* and \\_not em\\_ and 2\\*3\\*4",
                md("*not em* and _not em_ and 2*3*4"));
        assertEquals("5 * 3 = 15", md("5 * 3 = 15"));
        assertEquals("\\_\\_init\\_\\_.py", md("__init__.py"));
    }

    @Test
    void leavesDelimitersWithoutAPartnerAlone() {
        assertEquals(
                "*Price with promo code\n\nfile_ and footnote* then *another",
                md("<p>*Price with promo code</p><p>file_ and footnote* then *another</p>"));
        assertEquals("\\*a\\* then b_", md("*a* then b_"));
    }

    @Test
    void escapesBlockSyntaxOnlyAtLineStart() {
        assertEquals("\\# not a heading", md("<p># not a heading</p>"));
        assertEquals("1984\\. was a year", md("<p>1984. was a year</p>"));
        assertEquals(
                "\\- item\n\n\\+ item\n\n\\> quote",
                md("<p>- item</p><p>+ item</p><p>&gt; quote</p>"));
        assertEquals("a # b, 3 - 2 > 0, 1. c", md("a # b, 3 - 2 &gt; 0, 1. c"));
        assertEquals("line  \n\\- after a break", md("line<br>- after a break"));
        assertEquals("\\---", md("<p>---</p>"));
        assertEquals("\\===", md("<p>===</p>"));
    }

    @Test
    void escapesBracketsBackticksAndHtmlLikeText() {
        assertEquals(
                "\\[1\\] \\`x\\` \\<div> a < b AT&T \\&amp;",
                md("[1] `x` &lt;div&gt; a &lt; b AT&amp;T &amp;amp;"));
    }

    @Test
    void escapesBackslashOnlyBeforePunctuation() {
        assertEquals("C:\\Users\\me and \\\\!", md("C:\\Users\\me and \\!"));
        assertEquals("a \\\\*b", md("a \\*b"));
    }

    @Test
    void escapesDollarSignsOnlyOnPagesWithMath() {
        assertEquals("costs $5", md("costs $5"));
        assertEquals("costs \\$5 $x$", md("costs $5 <script type='math/tex'>x</script>"));
    }

    // Links and images

    @Test
    void resolvesLinksAgainstTheBaseUri() {
        assertEquals(
                "[up](https://example.com/index.html) [here](https://example.com/docs/page.html#s)",
                md("<a href='../index.html'>up</a> <a href='#s'>here</a>"));
    }

    @Test
    void writesLinkTitlesAndEscapesDestinations() {
        assertEquals(
                "[a](https://example.com/w/Foo_\\(bar\\) \"say \\\"hi\\\"\")",
                md("<a href='https://example.com/w/Foo_(bar)' title='say \"hi\"'>a</a>"));
        assertEquals(
                "[a](<https://example.com/a b>)", md("<a href='https://example.com/a b'>a</a>"));
    }

    @Test
    void writesReferencedLinksInEachStyle() {
        String html = "<a href='/a'>one</a> <a href='/b'>two</a> <a href='/a'>again</a>";
        assertEquals(
                "[one][1] [two][2] [again][1]\n\n[1]: https://example.com/a\n[2]: https://example.com/b",
                md(html, options().linkStyle(MarkdownOptions.LinkStyle.REFERENCED).build()));
        assertEquals(
                "[one][] [two][] [again][]\n\n[one]: https://example.com/a\n[two]: https://example.com/b\n"
                        + "[again]: https://example.com/a",
                md(
                        html,
                        options()
                                .linkStyle(MarkdownOptions.LinkStyle.REFERENCED)
                                .linkReferenceStyle(MarkdownOptions.LinkReferenceStyle.COLLAPSED)
                                .build()));
        assertEquals(
                "[one] [two]\n\n[one]: https://example.com/a\n[two]: https://example.com/b",
                md(
                        "<a href='/a'>one</a> <a href='/b'>two</a>",
                        options()
                                .linkStyle(MarkdownOptions.LinkStyle.REFERENCED)
                                .linkReferenceStyle(MarkdownOptions.LinkReferenceStyle.SHORTCUT)
                                .build()));
    }

    @Test
    void honoursLinkModes() {
        String html = "see <a href='/x'>the docs</a> now";
        assertEquals(
                "see the docs now", md(html, options().links(MarkdownOptions.Links.TEXT).build()));
        assertEquals("see now", md(html, options().links(MarkdownOptions.Links.NONE).build()));
        assertEquals(
                "see the docs now",
                md(html, options().linkStyle(MarkdownOptions.LinkStyle.DISCARDED).build()));
        assertEquals(
                "run [share](https://example.com/docs/page.html#)",
                md("<a href='javascript:void(0)'>run</a> <a href='#'>share</a>"));
    }

    @Test
    void keepsLinksAroundBlocksInsideThem() {
        assertEquals(
                "### [Title](https://example.com/post)\n\n[An excerpt.](https://example.com/post)",
                md("<a href='/post'><h3>Title</h3><p>An excerpt.</p></a>"));
    }

    @Test
    void resolvesLazyImageSources() {
        MarkdownOptions plain = options().numberImages(false).build();
        assertEquals(
                "![cat](https://example.com/img/cat.jpg)",
                md(
                        "<img alt='cat' src='data:image/gif;base64,R0lGOD' data-src='/img/cat.jpg'>",
                        plain));
        assertEquals(
                "![](https://example.com/docs/big.jpg)",
                md("<img srcset='small.jpg 320w, big.jpg 1280w, mid.jpg 640w'>", plain));
        assertEquals(
                "![](https://cdn.example.com/w_100,h_100/x.jpg)",
                md("<img data-srcset='https://cdn.example.com/w_100,h_100/x.jpg 2x'>", plain));
        assertEquals(
                "![p](https://example.com/docs/b.webp)",
                md(
                        "<picture><source srcset='a.webp 1x, b.webp 2x' type='image/webp'><img alt='p'></picture>",
                        plain));
    }

    @Test
    void replacesDataUrisWithJinasPseudoObjectUrlUnlessAskedToKeepThem() {
        String html = "<img alt='dot' src='data:image/png;base64,iVBORw0KGgo='>";
        // MD5 of the data URI, as Jina's reader names it (md5 -s 'data:image/png;base64,…').
        assertEquals(
                "![Image 1: dot](blob:http://localhost/1ad7058e90d7db22a25c7579186c04ad)",
                md(html));
        assertEquals(
                "![Image 1: dot](data:image/png;base64,iVBORw0KGgo=)",
                md(html, options().keepDataUris(true).build()));
        String svg = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
        assertEquals(
                "![](<" + svg + ">)",
                md(
                        "<img src=\"" + svg + "\">",
                        options().keepDataUris(true).numberImages(false).build()));
    }

    @Test
    void honoursImageModesWithoutNumbering() {
        MarkdownOptions.Builder plain = options().numberImages(false);
        String html = "<p>a <img alt='A *cat*' src='/c.png'> b</p>";
        assertEquals("a ![A \\*cat\\*](https://example.com/c.png) b", md(html, plain.build()));
        assertEquals("a A \\*cat\\* b", md(html, plain.images(MarkdownOptions.Images.ALT).build()));
        assertEquals(
                "one two",
                md(
                        "<img alt='one'><img alt='two'>",
                        plain.images(MarkdownOptions.Images.ALT).build()));
        assertEquals("a b", md(html, plain.images(MarkdownOptions.Images.NONE).build()));
        assertEquals("", md("<img alt='no source'>", options().numberImages(false).build()));
    }

    // Lists

    @Test
    void convertsNestedListsToMarkdown() {
        String html =
                "<ul><li>one<ul><li>one.a</li><li>one.b<ol><li>deep</li></ol></li></ul></li><li>two</li></ul>";
        assertEquals("- one\n  - one.a\n  - one.b\n    1. deep\n- two", md(html));
    }

    @Test
    void keepsOrderedListStartAndIndentsContinuationToTheContentColumn() {
        String html =
                "<ol start='9'><li><p>nine</p><p>more</p></li><li><p>ten</p><pre><code>x</code></pre></li></ol>";
        assertEquals("9. nine\n\n   more\n\n10. ten\n\n    ```\n    x\n    ```", md(html));
    }

    @Test
    void keepsAdjacentListsApartWithAnotherMarker() {
        assertEquals(
                "- a\n\n* b\n\n1. c\n\n1) d",
                md("<ul><li>a</li></ul><ul><li>b</li></ul><ol><li>c</li></ol><ol><li>d</li></ol>"));
    }

    @Test
    void attachesStrayNestedListToThePreviousItem() {
        assertEquals("- a\n  - b\n- c", md("<ul><li>a</li><ul><li>b</li></ul><li>c</li></ul>"));
    }

    @Test
    void writesTaskListsOnlyWithGfm() {
        String html =
                "<ul><li><input type='checkbox' checked> done</li><li><input type='checkbox'>todo</li></ul>";
        assertEquals("- [x] done\n- [ ] todo", md(html));
        assertEquals("- done\n- todo", md(html, options().gfm(false).build()));
    }

    @Test
    void nestsBlockquotes() {
        assertEquals(
                "> outer\n>\n> > inner\n>\n> - item",
                md(
                        "<blockquote><p>outer</p><blockquote>inner</blockquote><ul><li>item</li></ul></blockquote>"));
    }

    @Test
    void writesDefinitionLists() {
        assertEquals(
                "**Term**\n: First\n: Second\n\n**Other**\n: Meaning",
                md(
                        "<dl><dt>Term</dt><dd>First</dd><dd>Second</dd><dt><b>Other</b></dt><dd>Meaning</dd></dl>"));
    }

    // Code

    @Test
    void writesFencedCodeWithLanguageFromClasses() {
        assertEquals(
                "```python\nprint(1)\n```",
                md("<pre><code class='language-python'>print(1)\n</code></pre>"));
        assertEquals(
                "```ruby\nputs 1\n```",
                md(
                        "<div class='language-ruby highlighter-rouge'><div class='highlight'><pre class='highlight'><code>puts 1</code></pre></div></div>"));
        assertEquals(
                "```js\nf()\n```",
                md("<div class='highlight highlight-source-js'><pre><span>f</span>()</pre></div>"));
        assertEquals("```go\nx\n```", md("<pre class='lang-go'>x</pre>"));
    }

    @Test
    void keepsPreformattedTextVerbatim() {
        assertEquals(
                "```\n  a  *b*\n\n\n    c <d>\n```",
                md("<pre>  a  *b*\n\n\n    c &lt;d&gt;</pre>"));
        assertEquals("```\nline 1\nline 2\n```", md("<pre>line 1<br>line 2</pre>"));
    }

    @Test
    void lengthensFenceBeyondBacktickRuns() {
        assertEquals("````\n```\ninner\n```\n````", md("<pre><code>```\ninner\n```</code></pre>"));
        assertEquals("~~~~\n~~~\n~~~~", md("<pre>~~~</pre>", options().fence("~~~").build()));
    }

    @Test
    void writesIndentedCodeWhenAskedUnlessALanguageIsKnown() {
        MarkdownOptions indented =
                options().codeBlockStyle(MarkdownOptions.CodeBlockStyle.INDENTED).build();
        assertEquals("    a\n\n    b", md("<pre>a\n\nb</pre>", indented));
        assertEquals(
                "```sh\nls\n```", md("<pre><code class='language-sh'>ls</code></pre>", indented));
    }

    @Test
    void usesEnoughBackticksForInlineCode() {
        assertEquals("``a ` b``", md("<code>a ` b</code>"));
        assertEquals("`` `tick ``", md("<code>`tick</code>"));
        assertEquals("`a_b*c`", md("<code>a_b*c</code>"));
        assertEquals("x `y` z", md("x<code> y </code>z"));
    }

    // Tables

    @Test
    void writesGfmTablesWithAlignment() {
        String html =
                "<table><thead><tr><th align='left'>Name</th><th style='text-align: right'>Qty</th></tr></thead>"
                        + "<tbody><tr><td>Apple</td><td>3</td></tr></tbody></table>";
        assertEquals("| Name | Qty |\n| :-- | --: |\n| Apple | 3 |", md(html));
    }

    @Test
    void infersHeaderRowWithoutTh() {
        assertEquals(
                "| a | b |\n| --- | --- |\n| 1 | 2 |",
                md("<table><tr><td>a</td><td>b</td></tr><tr><td>1</td><td>2</td></tr></table>"));
    }

    @Test
    void dropsAFooterThatRepeatsTheHeader() {
        String html =
                "<table><thead><tr><th>k</th><th>v</th></tr></thead><tfoot><tr><th>k</th><th>v</th></tr></tfoot>"
                        + "<tbody><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></tbody></table>";
        assertEquals("| k | v |\n| --- | --- |\n| a | 1 |\n| b | 2 |", md(html));
    }

    @Test
    void writesAColspanOnceAndLeavesTheColumnsItSpansEmpty() {
        String html =
                "<table><tr><th colspan='2'>Both</th><th>C</th></tr><tr><td>1</td><td>2</td><td>3</td></tr></table>";
        assertEquals("| Both |  | C |\n| --- | --- | --- |\n| 1 | 2 | 3 |", md(html));
        String label =
                "<table><tr><th>a</th><th>b</th></tr><tr><td colspan='2'>Group 1</td></tr><tr><td>1</td><td>2</td></tr></table>";
        assertEquals("| a | b |\n| --- | --- |\n| Group 1 |  |\n| 1 | 2 |", md(label));
    }

    @Test
    void expandsRowspanIntoGrid() {
        String html =
                "<table><tr><th>K</th><th>V</th></tr><tr><td rowspan='2'>k</td><td>1</td></tr><tr><td>2</td></tr>"
                        + "<tr><td>x</td></tr></table>";
        assertEquals("| K | V |\n| --- | --- |\n| k | 1 |\n| k | 2 |\n| x |  |", md(html));
    }

    @Test
    void capsAbsurdSpans() {
        String out =
                md(
                        "<table><tr><td colspan='100000'>a</td><td rowspan='99999'>b</td></tr><tr><td>c</td></tr></table>");
        assertTrue(out.length() < 5_000, out.length() + " characters");
    }

    @Test
    void readsTablesTooBigForAGridAsBlocks() {
        String html =
                "<table><tr><td colspan='200'>wide</td></tr>"
                        + "<tr><td>r</td></tr>".repeat(2_000)
                        + "</table>";
        String out = md(html);
        assertFalse(out.contains("|"), out.substring(0, 200));
        assertTrue(out.startsWith("wide\n\nr\n\nr"), out.substring(0, 20));
    }

    @Test
    void flattensCellContentAndEscapesPipes() {
        String html =
                "<table><tr><th>h</th></tr><tr><td><p>a | b</p><ul><li>x</li><li>y</li></ul><pre>p\nq</pre></td></tr></table>";
        assertEquals("| h |\n| --- |\n| a \\| b - x - y `p q` |", md(html));
        assertEquals(
                "| h |\n| --- |\n| Title quoted |",
                md(
                        "<table><tr><th>h</th></tr><tr><td><h3>Title</h3><hr>"
                                + "<blockquote>quoted</blockquote></td></tr></table>"));
    }

    @Test
    void readsLayoutTablesAsBlocks() {
        String html =
                "<table role='presentation'><tr><td><h2>Title</h2><p>Body</p></td><td>Side</td></tr></table>";
        assertEquals("## Title\n\nBody\n\nSide", md(html));
    }

    @Test
    void writesTablesAsBlocksWithoutGfm() {
        assertFalse(
                md("<table><tr><td>a</td><td>b</td></tr></table>", options().gfm(false).build())
                        .contains("|"));
    }

    // GFM inline extensions, sup/sub, math

    @Test
    void writesStrikethroughOnlyWithGfm() {
        assertEquals("~~old~~ new", md("<del>old</del> new"));
        assertEquals("old new", md("<s>old</s> new", options().gfm(false).build()));
    }

    @Test
    void writesSuperscriptAndSubscriptAsText() {
        // No Markdown for them; the converters compared (and Jina's reader) write their text.
        assertEquals(
                "x2 H2O and [1](#fn1)",
                local("x<sup>2</sup> H<sub>2</sub>O and <sup><a href='#fn1'>1</a></sup>"));
    }

    @Test
    void convertsKatexToTex() {
        String html =
                "<p>Energy <span class='katex'><span class='katex-mathml'><math><semantics><mrow><mi>E</mi></mrow>"
                        + "<annotation encoding='application/x-tex'>E=mc^2</annotation></semantics></math></span>"
                        + "<span class='katex-html'>E=mc2</span></span> holds.</p>"
                        + "<span class='katex-display'><span class='katex'><math><semantics><annotation encoding='application/x-tex'>"
                        + "\\int_0^1 x\\,dx</annotation></semantics></math></span></span>";
        assertEquals("Energy $E=mc^2$ holds.\n\n$$\n\\int_0^1 x\\,dx\n$$", md(html));
    }

    @Test
    void convertsMathJaxScriptsAndSkipsTheirRendering() {
        String html =
                "<p>Let <span class='MathJax_Preview'>a_1</span><span class='MathJax'>a1</span>"
                        + "<script type='math/tex'>a_1</script> be given.</p>"
                        + "<div class='MathJax_Display'>junk</div><script type='math/tex; mode=display'>\\sum_i a_i</script>";
        assertEquals("Let $a_1$ be given.\n\n$$\n\\sum_i a_i\n$$", md(html));
    }

    @Test
    void readsMathJaxAssistiveMathMlWhenTheSourceIsGone() {
        assertEquals(
                "so $x^{2}$ and\n\n$$\ny\n$$",
                md(
                        "so <mjx-container class='MathJax' jax='CHTML'><mjx-math>glyphs</mjx-math>"
                                + "<mjx-assistive-mml><math><msup><mi>x</mi><mn>2</mn></msup></math></mjx-assistive-mml></mjx-container> and"
                                + "<div class='MathJax_Display'><span class='MathJax'>junk<span class='MJX_Assistive_MathML'>"
                                + "<math><mi>y</mi></math></span></span></div>"));
    }

    @Test
    void convertsMathMlWithAltTextOrAnnotation() {
        assertEquals(
                "where $x^2$ and",
                md("where <math alttext='x^2'><msup><mi>x</mi><mn>2</mn></msup></math> and"));
        assertEquals(
                "$$\n\\frac{a}{b}\n$$",
                md(
                        "<math display='block'><semantics><mfrac><mi>a</mi><mi>b</mi></mfrac>"
                                + "<annotation encoding='application/x-tex'>\\frac{a}{b}</annotation></semantics></math>"));
    }

    @Test
    void convertsPlainMathMlToTex() {
        String html =
                "<math><mrow><msup><mi>x</mi><mn>2</mn></msup><mo>+</mo><mfrac><mn>1</mn><msqrt><mi>y</mi></msqrt></mfrac>"
                        + "<mo>\u2264</mo><munderover><mo>\u2211</mo><mrow><mi>i</mi><mo>=</mo><mn>1</mn></mrow><mi>n</mi></munderover>"
                        + "<mi>sin</mi><mo>\u2061</mo><mi>i</mi></mrow></math>";
        assertEquals("$x^{2}+\\frac{1}{\\sqrt{y}}\\le \\sum_{i=1}^{n}\\sin i$", md(html));
    }

    // Local files, empty and unusual links

    @Test
    void keepsALocalFilesLinksAsWritten() {
        assertEquals(
                "[Intro](#intro) [up](../index.html) ![Image 1: map](img/map.png) "
                        + "![Image 2](img/big.png) [site](https://example.org/a) [mail](mailto:a@b.c)",
                local(
                        "<a href='#intro'>Intro</a> <a href='../index.html'>up</a> "
                                + "<img src='img/map.png' alt='map'> <img srcset='img/small.png 1x, img/big.png 2x'> "
                                + "<a href='https://example.org/a'>site</a> <a href='mailto:a@b.c'>mail</a>"));
    }

    @Test
    void resolvesALocalFilesLinksAgainstItsBaseElement() {
        Document page =
                Jsoup.parse(
                        "<head><base href='https://example.org/docs/page'></head>"
                                + "<body><a href='a.html'>a</a> <a href='#b'>b</a></body>",
                        "file:/home/me/site/page.html");
        assertEquals(
                "[a](https://example.org/docs/a.html) [b](https://example.org/docs/page#b)",
                MarkdownWriter.write(page.body(), MarkdownOptions.DEFAULTS));
    }

    @Test
    void keepsLinksWithoutText() {
        assertEquals("[](https://example.com/x)", md("<a href='/x'></a>"));
        assertEquals(
                "[](https://example.com/x)", md("<a href='/x'><svg><path d='M0 0'/></svg></a>"));
        assertEquals("[](https://example.com/x)", md("<a href='/x'><img alt=''></a>"));
        assertEquals(
                "[Home](https://example.com/ \"Home\") [Search \\[beta\\]](https://example.com/s)",
                md("<a href='/' title='Home'></a> <a href='/s' aria-label='Search [beta]'> </a>"));
        assertEquals(
                "[![Image 1](https://example.com/docs/logo.png)](https://example.com/)",
                md("<a href='/'><img src='logo.png'></a>"));
    }

    @Test
    void keepsAnchorsInHeadingsOfLocalFiles() {
        assertEquals(
                "# [](#intro)Introduction\n\n[top](#)",
                local("<h1><a href='#intro'></a>Introduction</h1><p><a href='#'>top</a></p>"));
    }

    @Test
    void writesNoEmptyLinkWhenTheContentWentIntoBlocks() {
        assertEquals(
                "text\n\n[inner](https://example.com/x)",
                md("text <a href='/x'><div>inner</div></a>"));
    }

    // Media

    @Test
    void writesMediaAsPosterAndALinkWithTheFallbackText() {
        assertEquals(
                "![Image 1](https://example.com/docs/poster.jpg) "
                        + "[Your browser cannot play this video.](https://example.com/docs/clip.mp4)",
                md(
                        "<video src='clip.mp4' poster='poster.jpg' controls>"
                                + "Your browser cannot play this video.</video>"));
        assertEquals(
                "Listen: [talk 2.mp3](https://example.com/media/talk%202.mp3)",
                md(
                        "<p>Listen: <audio controls><source src='/media/talk%202.mp3' type='audio/mpeg'>"
                                + "<track src='talk.vtt'></audio></p>"));
        assertEquals(
                "No audio here, [download it](https://example.com/docs/a.ogg).",
                md("<audio src='a.ogg'>No audio here, <a href='a.ogg'>download it</a>.</audio>"));
    }

    // Inline code

    @Test
    void joinsTouchingCodeSpans() {
        assertEquals("`AB`", md("<code>A</code><code>B</code>"));
        assertEquals("`` a`b` ``", md("<code>a`</code><code>b`</code>"));
        assertEquals("`A` `B`", md("<code>A</code> <code>B</code>"));
    }

    @Test
    void keepsStrongAroundCodeBetweenWords() {
        assertEquals("foo<strong>`bar`</strong>baz", md("foo<b><code>bar</code></b>baz"));
        assertEquals("foo **`bar`** baz", md("foo <b><code>bar</code></b> baz"));
    }

    @Test
    void writesPreInsideCodeAsACodeBlock() {
        assertEquals(
                "Run:\n\n```\nx = 1\ny = 2\n```",
                md("<p>Run:</p><code><pre>x = 1\ny = 2</pre></code>"));
    }

    // Strikethrough

    @Test
    void escapesTildesInsideStrikethrough() {
        assertEquals("~~\\~\\~A\\~\\~B\\~\\~~~", md("<s>~~A~~B~~</s>"));
        assertEquals("~~a\\~b~~ and ~~a ~ b~~", md("<del>a~b</del> and <del>a ~ b</del>"));
    }

    @Test
    void joinsTouchingStrikethrough() {
        assertEquals("~~AB~~ and ~~C~~ ~~D~~", md("<s>A</s><s>B</s> and <s>C</s> <del>D</del>"));
    }

    // Lists and blocks

    @Test
    void ignoresAListStartMarkdownCannotWrite() {
        assertEquals("1. a\n2. b", md("<ol start='-1'><li>a</li><li>b</li></ol>"));
        assertEquals("0. a\n1. b", md("<ol start='0'><li>a</li><li>b</li></ol>"));
    }

    @Test
    void splitsAHeadingAroundARule() {
        assertEquals("---\n\n#### More", md("<h4><hr>More</h4>"));
        assertEquals("## One\n\n---\n\n## Two", md("<h2>One<hr>Two</h2>"));
    }

    // Jina's image forms and GFM options

    @Test
    void numbersImagesInDocumentOrderAsJinaDoes() {
        String html =
                "<p><img src='a.png' alt='first'> <img alt='no source'> <a href='/x'><img src='b.png'></a></p>"
                        + "<table><tr><th>k</th><th>v</th></tr><tr><td><img src='c.png' alt='cell'></td><td>1</td></tr></table>"
                        + "<p><img src='d.png' alt='last'></p>";
        assertEquals(
                "![Image 1: first](https://example.com/docs/a.png) "
                        + "[![Image 2](https://example.com/docs/b.png)](https://example.com/x)\n\n"
                        + "| k | v |\n| --- | --- |\n| ![Image 3: cell](https://example.com/docs/c.png) | 1 |\n\n"
                        + "![Image 4: last](https://example.com/docs/d.png)",
                md(html));
        assertEquals(md(html), md(html, options().images(MarkdownOptions.Images.ALL_P).build()));
    }

    @Test
    void writesJinasAltForms() {
        String html =
                "<p><img src='a.png' alt='one'> <img src='b.png'> <img alt='three'> <img src='d.png' alt='four'></p>";
        // alt: only images with an alt, numbered among themselves.
        assertEquals(
                "(Image 1: one) (Image 2: three) (Image 3: four)",
                md(html, options().images(MarkdownOptions.Images.ALT).build()));
        // alt_p: numbered over the images with a source, those without an alt left out.
        assertEquals(
                "(Image 1: one) (Image 3: four)",
                md(html, options().images(MarkdownOptions.Images.ALT_P).build()));
        assertEquals("", md(html, options().images(MarkdownOptions.Images.NONE).build()));
    }

    @Test
    void writesTablesAsHtmlWhenAsked() {
        String html =
                "<table class='data' style='width:100%'>\n<thead><tr><th onclick='x()'>Name</th><th>Note</th></tr></thead>\n\n"
                        + "<tbody><tr><td><a href='/a' class='x'>A</a></td><td colspan='1'>line<pre>p\n\nq</pre></td></tr></tbody>"
                        + "<!-- c --><script>s()</script></table><p><s>old</s></p>";
        assertEquals(
                "<table><thead><tr><th>Name</th><th>Note</th></tr></thead><tbody><tr>"
                        + "<td><a href=\"https://example.com/a\">A</a></td><td colspan=\"1\">line<pre>p&#10;\nq</pre></td>"
                        + "</tr></tbody></table>\n\n~~old~~",
                md(html, options().tablesAsHtml(true).build()));
    }

    // Robustness

    @Test
    void neverThrowsOnMessyHtml() {
        String html =
                "<ul><li><table><tr><td><ol><li><blockquote><h1>x</li></ul><pre><b>y</i></table><a href='::'>z"
                        + "<em><strong>w</em></strong><td colspan=x rowspan=-1>v<dl><dd>q<dt>r";
        String out = md(html);
        assertTrue(out.contains("x") && out.contains("z") && out.contains("w"), out);
    }

    @Test
    void dropsPrivateUseCharactersThatWouldCollideWithStandIns() {
        assertEquals("icon text", md("\uE001icon text\uE010"));
    }

    @Test
    void survivesDeepNesting() {
        String html =
                "<div>".repeat(1_000) + "deep" + "</div>".repeat(1_000); // deeper than jsoup keeps
        assertEquals("deep", md(html));
    }
}
