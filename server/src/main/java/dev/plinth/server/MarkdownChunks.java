package dev.plinth.server;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits Markdown into sections at its headings ({@code X-Markdown-Chunking}): a chunk starts at
 * every heading of level 1 to {@code depth} and runs to the next one, so each chunk carries its own
 * heading as context. Text before the first heading is a chunk of its own. ATX ({@code ## Title})
 * and setext (underlined) headings count; lines inside fenced code blocks never do.
 */
final class MarkdownChunks {

    private static final Pattern ATX = Pattern.compile("^ {0,3}(#{1,6})(?:[ \\t]|$)");
    private static final Pattern SETEXT = Pattern.compile("^ {0,3}(=+|-+)[ \\t]*$");
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");

    private MarkdownChunks() {}

    /**
     * The sections of {@code markdown} split at headings of level {@code 1..depth}; blank ones
     * dropped.
     */
    static List<String> split(String markdown, int depth) {
        String[] lines = markdown.split("\n", -1);
        List<Integer> starts = new ArrayList<>();
        String fence = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            Matcher f = FENCE.matcher(line);
            if (f.find()) {
                String marker = f.group(1);
                if (fence == null) {
                    fence = marker;
                } else if (marker.charAt(0) == fence.charAt(0)
                        && marker.length() >= fence.length()) {
                    fence = null;
                }
                continue;
            }
            if (fence != null) {
                continue;
            }
            Matcher atx = ATX.matcher(line);
            if (atx.find() && atx.group(1).length() <= depth) {
                starts.add(i);
            } else if (i + 1 < lines.length
                    && !line.isBlank()
                    && isSetextUnderline(lines[i + 1], depth)
                    && (i == 0 || lines[i - 1].isBlank())) {
                starts.add(i);
            }
        }
        List<String> chunks = new ArrayList<>();
        int from = 0;
        for (int start : starts) {
            add(chunks, lines, from, start);
            from = start;
        }
        add(chunks, lines, from, lines.length);
        return chunks;
    }

    /**
     * {@code ===} makes a level-1 heading, {@code ---} level 2 (a lone {@code ---} after a blank
     * line is a rule).
     */
    private static boolean isSetextUnderline(String line, int depth) {
        Matcher m = SETEXT.matcher(line);
        if (!m.find()) {
            return false;
        }
        int level = m.group(1).charAt(0) == '=' ? 1 : 2;
        return level <= depth;
    }

    private static void add(List<String> chunks, String[] lines, int from, int to) {
        if (to <= from) {
            return;
        }
        String chunk = String.join("\n", java.util.Arrays.copyOfRange(lines, from, to)).strip();
        if (!chunk.isEmpty()) {
            chunks.add(chunk);
        }
    }
}
