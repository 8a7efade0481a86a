package dev.plinth.browser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Memory of a process tree read from Linux's {@code /proc}: resident set (RSS) and proportional set
 * (PSS) summed over the process and all its descendants.
 *
 * <p>Chromium is a dozen processes sharing a zygote's pages, so summed RSS counts shared pages once
 * per process and overstates the real cost; PSS divides each shared page among its sharers and sums
 * to what the tree really holds. The pool recycles on PSS; RSS is reported as the upper bound.
 * Elsewhere than Linux both read 0 and recycling by memory is off.
 *
 * @param rssBytes summed resident set sizes
 * @param pssBytes summed proportional set sizes (from {@code smaps_rollup})
 */
public record Memory(long rssBytes, long pssBytes) {

    /** The memory of {@code root} and every process below it. */
    public static Memory ofTree(ProcessHandle root) {
        long rss = 0;
        long pss = 0;
        List<ProcessHandle> family;
        try (Stream<ProcessHandle> below = root.descendants()) {
            family = Stream.concat(Stream.of(root), below).toList();
        }
        for (ProcessHandle p : family) {
            rss += kilobytes(Path.of("/proc", Long.toString(p.pid()), "status"), "VmRSS:") << 10;
            pss +=
                    kilobytes(Path.of("/proc", Long.toString(p.pid()), "smaps_rollup"), "Pss:")
                            << 10;
        }
        return new Memory(rss, pss);
    }

    /** The memory of this JVM alone. */
    public static Memory ofThisProcess() {
        Path self = Path.of("/proc/self");
        return new Memory(
                kilobytes(self.resolve("status"), "VmRSS:") << 10,
                kilobytes(self.resolve("smaps_rollup"), "Pss:") << 10);
    }

    /**
     * Reads a "Name: 1234 kB" line; 0 when the file or line is missing (the process just exited).
     */
    private static long kilobytes(Path file, String field) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.filter(l -> l.startsWith(field))
                    .findFirst()
                    .map(l -> Long.parseLong(l.substring(field.length()).replace("kB", "").strip()))
                    .orElse(0L);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
