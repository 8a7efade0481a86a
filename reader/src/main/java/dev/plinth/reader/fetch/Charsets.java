package dev.plinth.reader.fetch;

import dev.plinth.reader.Page;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which charset an HTML body is written in, decided the way browsers decide it, with a sniffer for
 * pages that do not say.
 *
 * <p>Order (after the HTML standard's encoding sniffing algorithm): a byte-order mark; the {@code
 * charset} of the Content-Type header; a {@code <meta charset>} or {@code <meta http-equiv
 * content-type>} in the first 8 KiB; then the sniffer. Labels map to decoders as the WHATWG
 * Encoding standard maps them — {@code iso-8859-1} and {@code us-ascii} are read as windows-1252,
 * {@code gb2312}/{@code gbk} as GB18030, {@code shift_jis} as windows-31j, {@code big5} as
 * Big5-HKSCS — because that is what pages labelled so actually contain. One departure: a declared
 * Latin-1 family charset on a body that is valid UTF-8 with multi-byte sequences is read as UTF-8;
 * Latin-1 text that happens to be valid multi-byte UTF-8 practically does not occur, while servers
 * with a stale default header do.
 *
 * <p>The sniffer (for undeclared pages) first accepts strict UTF-8. Otherwise it scores each
 * candidate by how plausible the decoded text is, using only the structure of the encodings:
 *
 * <ul>
 *   <li>Multi-byte (GB18030, Big5, Shift_JIS, EUC-JP): any malformed sequence beyond 2% rules the
 *       candidate out; the score is the share of characters falling in the block each standard
 *       reserves for its most frequent characters (GB2312 level 1, Big5 常用字, JIS level 1 plus kana)
 *       and its punctuation. Text in another CJK encoding decodes, if at all, into the rare blocks.
 *       Japanese candidates are halved when the text has almost no kana, since Japanese prose is a
 *       third kana and Chinese read as EUC-JP has none.
 *   <li>Single-byte (windows-1251, KOI8-R, windows-1252): words with non-ASCII letters are judged
 *       on script and case. A word mixing Latin and Cyrillic, a word with capitals after lower
 *       case, or a Latin word made mostly of accented letters ("Ïðèâåò", Russian read as 1252) is
 *       implausible; all-caps words count half, which separates KOI8-R from 1251 (the two swap
 *       upper and lower case).
 * </ul>
 *
 * The highest score wins; when nothing scores, windows-1252, the web's default. The idea follows
 * Mozilla's universal charset detector (Li &amp; Momoi, "A composite approach to language/encoding
 * detection", 2001) — character-class distribution instead of full frequency tables.
 */
public final class Charsets {

    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");
    private static final Charset WINDOWS_1251 = Charset.forName("windows-1251");
    private static final Charset KOI8_R = Charset.forName("KOI8-R");
    private static final Charset GB18030 = Charset.forName("GB18030");
    private static final Charset BIG5 =
            Charset.isSupported("Big5-HKSCS")
                    ? Charset.forName("Big5-HKSCS")
                    : Charset.forName("Big5");
    private static final Charset SHIFT_JIS = Charset.forName("windows-31j");
    private static final Charset EUC_JP = Charset.forName("EUC-JP");

    /**
     * WHATWG label → decoder, for the labels whose Java namesake decodes differently from browsers.
     */
    private static final Map<String, Charset> LABELS =
            Map.ofEntries(
                    Map.entry("iso-8859-1", WINDOWS_1252),
                    Map.entry("latin1", WINDOWS_1252),
                    Map.entry("iso8859-1", WINDOWS_1252),
                    Map.entry("l1", WINDOWS_1252),
                    Map.entry("cp1252", WINDOWS_1252),
                    Map.entry("us-ascii", WINDOWS_1252),
                    Map.entry("ascii", WINDOWS_1252),
                    Map.entry("x-user-defined", WINDOWS_1252),
                    Map.entry("gb2312", GB18030),
                    Map.entry("gbk", GB18030),
                    Map.entry("x-gbk", GB18030),
                    Map.entry("gb_2312-80", GB18030),
                    Map.entry("chinese", GB18030),
                    Map.entry("csgb2312", GB18030),
                    Map.entry("big5", BIG5),
                    Map.entry("big5-hkscs", BIG5),
                    Map.entry("x-x-big5", BIG5),
                    Map.entry("cn-big5", BIG5),
                    Map.entry("shift_jis", SHIFT_JIS),
                    Map.entry("shift-jis", SHIFT_JIS),
                    Map.entry("sjis", SHIFT_JIS),
                    Map.entry("x-sjis", SHIFT_JIS),
                    Map.entry("ms_kanji", SHIFT_JIS),
                    Map.entry("windows-31j", SHIFT_JIS),
                    Map.entry("euc-kr", Charset.forName("x-windows-949")),
                    Map.entry("ks_c_5601-1987", Charset.forName("x-windows-949")),
                    Map.entry("utf8", StandardCharsets.UTF_8),
                    Map.entry("unicode-1-1-utf-8", StandardCharsets.UTF_8));

    private static final Pattern META = Pattern.compile("<meta\\s[^>]*>", Pattern.CASE_INSENSITIVE);
    private static final Pattern META_CHARSET =
            Pattern.compile("charset\\s*=\\s*[\"']?\\s*([\\w.:-]+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern HTTP_EQUIV =
            Pattern.compile("http-equiv\\s*=\\s*[\"']?\\s*content-type", Pattern.CASE_INSENSITIVE);
    private static final Pattern CONTENT_ATTR =
            Pattern.compile(
                    "\\scontent\\s*=\\s*(\"[^\"]*\"|'[^']*'|[^\\s>]+)", Pattern.CASE_INSENSITIVE);
    private static final Pattern CHARSET_ATTR =
            Pattern.compile("(?:^|[\\s\"'/])charset\\s*=", Pattern.CASE_INSENSITIVE);
    private static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);

    private static final int META_SCAN_BYTES = 8 << 10;
    private static final int SNIFF_BYTES = 64 << 10;

    private Charsets() {}

    /**
     * The charset {@code body} is written in: BOM, then the header's charset, then {@code <meta>},
     * then a sniff.
     */
    public static Charset detect(byte[] body, String contentTypeHeader) {
        Charset bom = fromBom(body);
        if (bom != null) {
            return bom;
        }
        Charset declared = fromContentType(contentTypeHeader);
        if (declared == null) {
            declared = fromMeta(body);
        }
        if (declared == null) {
            return sniff(body);
        }
        if (isLatin1Family(declared) && isMultiByteUtf8(body)) {
            return StandardCharsets.UTF_8;
        }
        if (declared.equals(StandardCharsets.UTF_8) && mostlyMalformedUtf8(body)) {
            // A page labelled UTF-8 whose bytes mostly are not: a stale template header over a
            // legacy
            // page. Trust a confident sniff over the label; otherwise keep the label.
            Candidate guess = bestGuess(body);
            if (guess != null && guess.score >= 0.6) {
                return guess.charset;
            }
        }
        return declared;
    }

    /**
     * A page read from bytes the way the fetcher reads a response: charset detected, byte-order
     * mark removed. {@code contentTypeHeader} may be null (a local file); the media type is then
     * text/html.
     */
    public static Page page(URI url, byte[] body, String contentTypeHeader) {
        Charset charset = detect(body, contentTypeHeader);
        int bom = bomLength(body);
        byte[] content = bom == 0 ? body : Arrays.copyOfRange(body, bom, body.length);
        String type = contentTypeHeader == null ? "text/html" : mediaType(contentTypeHeader);
        return new Page(url, 200, type, charset, content, Map.of());
    }

    /** The media type of a Content-Type value, lower case, without parameters ("" when absent). */
    public static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
                .strip()
                .toLowerCase(Locale.ROOT);
    }

    /** The charset a label names, mapped as browsers map it; null when unknown or unsupported. */
    public static Charset forLabel(String label) {
        if (label == null) {
            return null;
        }
        String name = label.strip().toLowerCase(Locale.ROOT);
        if (name.length() >= 2 && (name.charAt(0) == '"' || name.charAt(0) == '\'')) {
            name = name.substring(1, name.length() - 1).strip();
        }
        Charset mapped = LABELS.get(name);
        if (mapped != null) {
            return mapped;
        }
        try {
            return Charset.isSupported(name) ? Charset.forName(name) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Length of a UTF-8 or UTF-16 byte-order mark at the start of {@code body} (0 when none). */
    static int bomLength(byte[] body) {
        if (body.length >= 3
                && (body[0] & 0xFF) == 0xEF
                && (body[1] & 0xFF) == 0xBB
                && (body[2] & 0xFF) == 0xBF) {
            return 3;
        }
        return fromBom(body) != null ? 2 : 0;
    }

    static Charset fromBom(byte[] body) {
        if (body.length >= 3
                && (body[0] & 0xFF) == 0xEF
                && (body[1] & 0xFF) == 0xBB
                && (body[2] & 0xFF) == 0xBF) {
            return StandardCharsets.UTF_8;
        }
        if (body.length >= 2 && (body[0] & 0xFF) == 0xFE && (body[1] & 0xFF) == 0xFF) {
            return StandardCharsets.UTF_16BE;
        }
        if (body.length >= 2 && (body[0] & 0xFF) == 0xFF && (body[1] & 0xFF) == 0xFE) {
            return StandardCharsets.UTF_16LE;
        }
        return null;
    }

    static Charset fromContentType(String contentType) {
        if (contentType == null) {
            return null;
        }
        Matcher m = META_CHARSET.matcher(contentType);
        return m.find() ? forLabel(m.group(1)) : null;
    }

    /**
     * The charset a {@code <meta>} in the first 8 KiB declares. UTF-16 there means UTF-8 (the bytes
     * were ASCII).
     */
    static Charset fromMeta(byte[] body) {
        String head =
                COMMENT.matcher(
                                new String(
                                        body,
                                        0,
                                        Math.min(body.length, META_SCAN_BYTES),
                                        StandardCharsets.ISO_8859_1))
                        .replaceAll("");
        Matcher tags = META.matcher(head);
        while (tags.find()) {
            String tag = tags.group();
            String label = null;
            Matcher content = CONTENT_ATTR.matcher(tag);
            if (HTTP_EQUIV.matcher(tag).find() && content.find()) {
                Matcher inContent = META_CHARSET.matcher(content.group(1));
                label = inContent.find() ? inContent.group(1) : null;
            } else if (CHARSET_ATTR.matcher(tag).find()) {
                Matcher direct = META_CHARSET.matcher(tag);
                label = direct.find() ? direct.group(1) : null;
            }
            Charset charset = forLabel(label);
            if (charset != null) {
                return charset.name().startsWith("UTF-16") || charset.name().startsWith("UTF-32")
                        ? StandardCharsets.UTF_8
                        : charset;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------
    // The sniffer
    // ---------------------------------------------------------------------------------------------

    /** Guesses the charset of undeclared {@code body}; see the class notes. */
    static Charset sniff(byte[] body) {
        byte[] sample = sample(body);
        if (sample == null || isUtf8(sample)) {
            return StandardCharsets.UTF_8;
        }
        Candidate best = bestGuess(body);
        return best != null && best.score > 0.2 ? best.charset : WINDOWS_1252;
    }

    /**
     * Up to 64 KiB of {@code body} from its first non-ASCII byte, cut at a UTF-8 character
     * boundary; null when the body is all ASCII. Starting there matters: a page can carry 100 KiB
     * of ASCII scripts in its head before the first word of text.
     */
    private static byte[] sample(byte[] body) {
        int start = 0;
        while (start < body.length && body[start] >= 0) {
            start++;
        }
        if (start == body.length) {
            return null;
        }
        int end = Math.min(body.length, start + SNIFF_BYTES);
        byte[] sample = Arrays.copyOfRange(body, start, end);
        return end == body.length ? sample : trimToCharBoundary(sample);
    }

    /** The best-scoring legacy charset for {@code body}, or null when nothing scores at all. */
    private static Candidate bestGuess(byte[] body) {
        byte[] sample = sample(body);
        if (sample == null) {
            return null;
        }
        List<Candidate> candidates =
                List.of(
                        new Candidate(GB18030, gbk(sample)),
                        new Candidate(BIG5, big5(sample)),
                        new Candidate(SHIFT_JIS, shiftJis(sample)),
                        new Candidate(EUC_JP, eucJp(sample)),
                        new Candidate(WINDOWS_1252, singleByte(sample, WINDOWS_1252)),
                        new Candidate(WINDOWS_1251, singleByte(sample, WINDOWS_1251)),
                        new Candidate(KOI8_R, singleByte(sample, KOI8_R)));
        Candidate best = null;
        for (Candidate c : candidates) {
            if (c.score > 0 && (best == null || c.score > best.score)) {
                best = c;
            }
        }
        return best;
    }

    /**
     * True when over a fifth of the non-ASCII characters of {@code body} read as UTF-8 are
     * malformed.
     */
    private static boolean mostlyMalformedUtf8(byte[] body) {
        byte[] sample = sample(body);
        if (sample == null) {
            return false;
        }
        String text = new String(sample, StandardCharsets.UTF_8);
        int nonAscii = 0;
        int malformed = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                nonAscii++;
                if (c == '\uFFFD') {
                    malformed++;
                }
            }
        }
        return malformed * 5 > nonAscii;
    }

    private record Candidate(Charset charset, double score) {}

    /** Tallies of one multi-byte decoding: characters by class, and malformed sequences. */
    private static final class Tally {
        int common;
        int rare;
        int kana;
        int errors;

        double score(boolean japanese) {
            int total = common + rare + errors;
            if (total == 0 || errors > Math.max(1, total * 0.02)) {
                return 0;
            }
            double share = (double) common / total;
            return japanese && kana < (common + rare) * 0.05 ? share / 2 : share;
        }
    }

    /**
     * GBK / GB18030: GB2312 level-1 hanzi (lead B0–D7) and punctuation (A1–A3) are the common
     * block.
     */
    private static double gbk(byte[] b) {
        Tally t = new Tally();
        for (int i = 0; i < b.length; ) {
            int lead = b[i] & 0xFF;
            if (lead < 0x80) {
                i++;
                continue;
            }
            int trail = i + 1 < b.length ? b[i + 1] & 0xFF : -1;
            if (lead == 0x80 || lead == 0xFF || trail < 0) {
                t.errors++;
                i++;
            } else if (trail >= 0x30
                    && trail <= 0x39
                    && i + 3 < b.length
                    && (b[i + 2] & 0xFF) >= 0x81
                    && (b[i + 2] & 0xFF) <= 0xFE
                    && (b[i + 3] & 0xFF) >= 0x30
                    && (b[i + 3] & 0xFF) <= 0x39) {
                t.rare++; // four-byte GB18030: beyond GBK, rare in Chinese prose
                i += 4;
            } else if (trail >= 0x40 && trail <= 0xFE && trail != 0x7F) {
                if (trail >= 0xA1
                        && (lead >= 0xB0 && lead <= 0xD7 || lead >= 0xA1 && lead <= 0xA3)) {
                    t.common++;
                } else {
                    t.rare++;
                }
                i += 2;
            } else {
                t.errors++;
                i++;
            }
        }
        return t.score(false);
    }

    /** Big5: the frequent-character block (A440–C67E) and punctuation (A1–A3) are common. */
    private static double big5(byte[] b) {
        Tally t = new Tally();
        for (int i = 0; i < b.length; ) {
            int lead = b[i] & 0xFF;
            if (lead < 0x80) {
                i++;
                continue;
            }
            int trail = i + 1 < b.length ? b[i + 1] & 0xFF : -1;
            boolean validTrail = trail >= 0x40 && trail <= 0x7E || trail >= 0xA1 && trail <= 0xFE;
            if (lead < 0x87 || lead == 0xFF || !validTrail) {
                t.errors++;
                i++;
                continue;
            }
            if (lead >= 0xA4 && lead <= 0xC5
                    || lead == 0xC6 && trail <= 0x7E
                    || lead >= 0xA1 && lead <= 0xA3) {
                t.common++;
            } else {
                t.rare++;
            }
            i += 2;
        }
        return t.score(false);
    }

    /** Shift_JIS: punctuation (81), kana (82–83) and JIS level-1 kanji (889F–9872) are common. */
    private static double shiftJis(byte[] b) {
        Tally t = new Tally();
        for (int i = 0; i < b.length; ) {
            int lead = b[i] & 0xFF;
            if (lead < 0x80) {
                i++;
                continue;
            }
            if (lead >= 0xA1 && lead <= 0xDF) {
                t.rare++; // half-width katakana: legal, but rare on modern pages
                i++;
                continue;
            }
            int trail = i + 1 < b.length ? b[i + 1] & 0xFF : -1;
            boolean validLead = lead >= 0x81 && lead <= 0x9F || lead >= 0xE0 && lead <= 0xFC;
            boolean validTrail = trail >= 0x40 && trail <= 0xFC && trail != 0x7F;
            if (!validLead || !validTrail) {
                t.errors++;
                i++;
                continue;
            }
            int code = lead << 8 | trail;
            boolean kana = code >= 0x829F && code <= 0x82F1 || code >= 0x8340 && code <= 0x8396;
            if (kana) {
                t.kana++;
            }
            if (kana || lead == 0x81 || lead == 0x82 || code >= 0x889F && code <= 0x9872) {
                t.common++;
            } else {
                t.rare++;
            }
            i += 2;
        }
        return t.score(true);
    }

    /**
     * EUC-JP: punctuation (A1), full-width alphanumerics (A3), kana (A4–A5), level-1 kanji (B0–CF).
     */
    private static double eucJp(byte[] b) {
        Tally t = new Tally();
        for (int i = 0; i < b.length; ) {
            int lead = b[i] & 0xFF;
            if (lead < 0x80) {
                i++;
                continue;
            }
            int trail = i + 1 < b.length ? b[i + 1] & 0xFF : -1;
            if (lead == 0x8E && trail >= 0xA1 && trail <= 0xDF) {
                t.rare++; // half-width katakana
                i += 2;
            } else if (lead == 0x8F
                    && trail >= 0xA1
                    && trail <= 0xFE
                    && i + 2 < b.length
                    && (b[i + 2] & 0xFF) >= 0xA1
                    && (b[i + 2] & 0xFF) <= 0xFE) {
                t.rare++; // JIS X 0212 supplementary kanji
                i += 3;
            } else if (lead >= 0xA1 && lead <= 0xFE && trail >= 0xA1 && trail <= 0xFE) {
                boolean kana = lead == 0xA4 || lead == 0xA5;
                if (kana) {
                    t.kana++;
                }
                if (kana || lead == 0xA1 || lead == 0xA3 || lead >= 0xB0 && lead <= 0xCF) {
                    t.common++;
                } else {
                    t.rare++;
                }
                i += 2;
            } else {
                t.errors++;
                i++;
            }
        }
        return t.score(true);
    }

    /**
     * A single-byte candidate: the share of plausible words among the words that contain non-ASCII
     * letters, with stray non-ASCII symbols counted against it.
     */
    private static double singleByte(byte[] b, Charset charset) {
        String text = decodeLenient(b, charset);
        double good = 0;
        double bad = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (!Character.isLetter(c)) {
                if (c >= 0x80 && !isCommonSymbol(c)) {
                    bad++;
                }
                i++;
                continue;
            }
            int start = i;
            while (i < text.length() && Character.isLetter(text.charAt(i))) {
                i++;
            }
            double plausibility = wordPlausibility(text, start, i);
            if (plausibility >= 0) {
                good += plausibility;
                bad += 1 - plausibility;
            }
        }
        return good + bad == 0 ? 0 : good / (good + bad);
    }

    /** 1 plausible, 0 implausible, ½ all capitals, -1 for plain-ASCII words (they say nothing). */
    private static double wordPlausibility(String text, int start, int end) {
        int nonAscii = 0;
        int latin = 0;
        int cyrillic = 0;
        int upper = 0;
        boolean capitalAfterLower = false;
        boolean sawLower = false;
        for (int i = start; i < end; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                nonAscii++;
            }
            if (c < 0x250) {
                latin++;
            } else if (c >= 0x400 && c <= 0x4FF) {
                cyrillic++;
            }
            if (Character.isUpperCase(c)) {
                upper++;
                capitalAfterLower |= sawLower;
            } else {
                sawLower = true;
            }
        }
        if (nonAscii == 0) {
            return -1;
        }
        int length = end - start;
        if (latin > 0 && cyrillic > 0 || latin + cyrillic < length || capitalAfterLower) {
            return 0;
        }
        if (cyrillic == 0 && length >= 4 && nonAscii * 2 > length) {
            return 0;
        }
        return upper == length && length > 1 ? 0.5 : 1;
    }

    /** Non-ASCII punctuation common in real text in any of the single-byte candidates. */
    private static boolean isCommonSymbol(char c) {
        return "\u00A0\u2013\u2014\u2018\u2019\u201A\u201C\u201D\u201E\u2026\u2022\u00B7\u00AB\u00BB\u00A9\u00AE\u2122\u00B0\u20AC\u00A3\u00A7\u00D7\u2116\u00B1"
                        .indexOf(c)
                >= 0;
    }

    /**
     * Decodes with malformed input as U+FFFD, which the word scoring counts against the candidate.
     */
    private static String decodeLenient(byte[] b, Charset charset) {
        return new String(b, charset);
    }

    private static boolean isUtf8(byte[] b) {
        CharsetDecoder decoder =
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            decoder.decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** Valid UTF-8 that uses at least one multi-byte sequence. */
    private static boolean isMultiByteUtf8(byte[] body) {
        byte[] sample = sample(body);
        return sample != null && isUtf8(sample);
    }

    /**
     * Drops a UTF-8 sequence cut in half at the end of a sample so the cut is not read as an error.
     */
    private static byte[] trimToCharBoundary(byte[] b) {
        int end = b.length;
        int back = 0;
        while (end > 0 && back < 3 && (b[end - 1] & 0xC0) == 0x80) {
            end--;
            back++;
        }
        if (end > 0 && (b[end - 1] & 0xC0) == 0xC0) {
            end--;
        }
        return end == b.length ? b : Arrays.copyOf(b, end);
    }

    private static boolean isLatin1Family(Charset charset) {
        return charset.equals(WINDOWS_1252)
                || charset.equals(StandardCharsets.ISO_8859_1)
                || charset.equals(StandardCharsets.US_ASCII);
    }
}
