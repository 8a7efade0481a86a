package dev.plinth.reader.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CharsetsTest {

    static Stream<Arguments> undeclaredPages() {
        return Stream.of(
                Arguments.of("GBK", Samples.CHINESE_SIMPLIFIED),
                Arguments.of("GB18030", Samples.CHINESE_SIMPLIFIED),
                Arguments.of("Big5", Samples.CHINESE_TRADITIONAL),
                Arguments.of("Shift_JIS", Samples.JAPANESE),
                Arguments.of("EUC-JP", Samples.JAPANESE),
                Arguments.of("windows-1251", Samples.RUSSIAN),
                Arguments.of("KOI8-R", Samples.RUSSIAN),
                Arguments.of("windows-1252", Samples.FRENCH),
                Arguments.of("windows-1252", Samples.GERMAN),
                Arguments.of("UTF-8", Samples.JAPANESE),
                Arguments.of("UTF-8", Samples.RUSSIAN));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("undeclaredPages")
    void sniffsUndeclaredPages(String encoding, String text) {
        byte[] body = Samples.page(text, Charset.forName(encoding));
        Charset detected = Charsets.detect(body, "text/html");
        assertTrue(
                new String(body, detected).contains(text), () -> encoding + " read as " + detected);
    }

    @ParameterizedTest(name = "{0}: first sentence only")
    @MethodSource("undeclaredPages")
    void sniffsShortUndeclaredText(String encoding, String text) {
        String sentence = text.substring(0, Math.min(text.length(), 40));
        byte[] body = sentence.getBytes(Charset.forName(encoding));
        Charset detected = Charsets.detect(body, null);
        assertEquals(sentence, new String(body, detected), () -> encoding + " read as " + detected);
    }

    @Test
    void headerCharsetWins() {
        byte[] body = Samples.page(Samples.RUSSIAN, Charset.forName("KOI8-R"));
        assertEquals(
                Charset.forName("KOI8-R"), Charsets.detect(body, "text/html; charset=\"koi8-r\""));
    }

    @Test
    void byteOrderMarkWinsOverHeader() {
        byte[] text = Samples.page(Samples.FRENCH, StandardCharsets.UTF_8);
        byte[] body = new byte[text.length + 3];
        body[0] = (byte) 0xEF;
        body[1] = (byte) 0xBB;
        body[2] = (byte) 0xBF;
        System.arraycopy(text, 0, body, 3, text.length);
        assertEquals(
                StandardCharsets.UTF_8, Charsets.detect(body, "text/html; charset=windows-1251"));
        assertEquals(
                StandardCharsets.UTF_16LE,
                Charsets.detect(new byte[] {(byte) 0xFF, (byte) 0xFE, '<', 0}, null));
    }

    @Test
    void metaCharsetAndHttpEquivAreRead() {
        byte[] meta =
                Samples.html("<meta charset='shift_jis'>", Samples.JAPANESE)
                        .getBytes(Charset.forName("Shift_JIS"));
        assertEquals(Charset.forName("windows-31j"), Charsets.detect(meta, "text/html"));
        byte[] equiv =
                Samples.html(
                                "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\">",
                                Samples.CHINESE_TRADITIONAL)
                        .getBytes(Charset.forName("Big5"));
        assertTrue(
                new String(equiv, Charsets.detect(equiv, null))
                        .contains(Samples.CHINESE_TRADITIONAL));
    }

    @Test
    void metaInsideCommentIsIgnored() {
        byte[] body =
                Samples.html("<!-- <meta charset=koi8-r> -->", Samples.RUSSIAN)
                        .getBytes(Charset.forName("windows-1251"));
        assertEquals(Charset.forName("windows-1251"), Charsets.detect(body, null));
    }

    @Test
    void latinLabelsReadAsWindows1252() {
        assertEquals(Charset.forName("windows-1252"), Charsets.forLabel("ISO-8859-1"));
        assertEquals(Charset.forName("windows-1252"), Charsets.forLabel("us-ascii"));
        assertEquals(Charset.forName("GB18030"), Charsets.forLabel("gb2312"));
    }

    @Test
    void staleLatin1HeaderOnUtf8BodyReadsUtf8() {
        byte[] body = Samples.page(Samples.FRENCH, StandardCharsets.UTF_8);
        assertEquals(
                StandardCharsets.UTF_8, Charsets.detect(body, "text/html; charset=ISO-8859-1"));
    }

    @Test
    void utf8LabelOverALegacyBodyYieldsToAConfidentSniff() {
        byte[] gbk = Samples.page(Samples.CHINESE_SIMPLIFIED, Charset.forName("GBK"));
        assertEquals(Charset.forName("GB18030"), Charsets.detect(gbk, "text/html; charset=utf-8"));
        byte[] utf8 = Samples.page(Samples.JAPANESE, StandardCharsets.UTF_8);
        utf8[utf8.length / 2] = (byte) 0xFF; // one broken byte does not overturn the label
        assertEquals(StandardCharsets.UTF_8, Charsets.detect(utf8, "text/html; charset=utf-8"));
    }

    @Test
    void pageOfFileStripsByteOrderMark() {
        byte[] body = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '<', 'p', '>', 'x'};
        var page = Charsets.page(URI.create("file:///tmp/a.html"), body, null);
        assertEquals("<p>x", page.text());
        assertEquals("text/html", page.contentType());
    }

    @Test
    void mediaTypeDropsParameters() {
        assertEquals("text/html", Charsets.mediaType("Text/HTML; charset=UTF-8"));
        assertEquals("", Charsets.mediaType(null));
    }
}
