package dev.plinth.server;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A one-line progress bar on stderr for long batch commands ({@code plinth read}, {@code plinth
 * embed}).
 *
 * <p>It draws only when stderr is a terminal and the job has more than one item, so piped or
 * redirected runs stay quiet and logs stay clean. Redraws are throttled (at most ten a second) and
 * every method is thread-safe, so workers may {@link #advance} from any thread. Lines that must be
 * seen — an error for one input — go through {@link #println}, which clears the bar, prints the
 * line and redraws, so the two never garble each other.
 *
 * <pre>{@code
 * try (Progress progress = Progress.start("read", inputs.size())) {
 *     for (String input : inputs) {
 *         ...
 *         progress.advance(1);
 *     }
 * }
 * }</pre>
 */
public final class Progress implements AutoCloseable {

    private static final int BAR_WIDTH = 30;
    private static final long REDRAW_NANOS = Duration.ofMillis(100).toNanos();

    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final long startNanos = System.nanoTime();
    private long done;
    private long lastDrawNanos;
    private int lastWidth;
    private boolean closed;

    private Progress(PrintStream out, String label, long total, boolean enabled) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.enabled = enabled;
    }

    /**
     * A bar on {@code System.err} for {@code total} items, drawn only when stderr is a terminal and
     * total > 1.
     */
    public static Progress start(String label, long total) {
        return new Progress(System.err, label, total, total > 1 && stderrIsTerminal());
    }

    /**
     * A bar on {@code out}, drawn when {@code enabled} (tests, or callers that decide for
     * themselves).
     */
    public static Progress to(PrintStream out, String label, long total, boolean enabled) {
        return new Progress(out, label, total, enabled);
    }

    /** Whether this bar draws anything. */
    public boolean enabled() {
        return enabled;
    }

    /** Counts {@code n} more items done and redraws if it is time to. */
    public synchronized void advance(long n) {
        done += n;
        if (!enabled || closed) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDrawNanos >= REDRAW_NANOS || done >= total) {
            draw(now);
        }
    }

    /**
     * Prints a whole line (an error, a note) above the bar; a plain println when the bar is off.
     */
    public synchronized void println(String line) {
        if (enabled && !closed) {
            clear();
            out.println(line);
            draw(System.nanoTime());
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Items counted so far. */
    public synchronized long done() {
        return done;
    }

    /** Removes the bar from the screen; nothing is drawn afterwards. */
    @Override
    public synchronized void close() {
        if (enabled && !closed) {
            clear();
            out.flush();
        }
        closed = true;
    }

    private void draw(long now) {
        lastDrawNanos = now;
        long shown = Math.min(done, total);
        double fraction = total <= 0 ? 1 : (double) shown / total;
        int filled = (int) Math.round(fraction * BAR_WIDTH);
        StringBuilder line =
                new StringBuilder(96)
                        .append(label)
                        .append(" [")
                        .append("#".repeat(filled))
                        .append("-".repeat(BAR_WIDTH - filled))
                        .append("] ")
                        .append(shown)
                        .append('/')
                        .append(total)
                        .append(String.format(Locale.ROOT, " %3d%%", Math.round(fraction * 100)));
        double seconds = (now - startNanos) / 1e9;
        if (shown > 0 && shown < total && seconds >= 1) {
            line.append("  eta ").append(duration(seconds / shown * (total - shown)));
        }
        // Pad over the previous, possibly longer, line instead of relying on terminal escape codes.
        int width = line.length();
        if (width < lastWidth) {
            line.append(" ".repeat(lastWidth - width));
        }
        lastWidth = width;
        out.print("\r" + line);
        out.flush();
    }

    private void clear() {
        if (lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            lastWidth = 0;
        }
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600
                ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /**
     * Whether file descriptor 2 is a terminal. The JDK only answers this for stdin/stdout ({@code
     * System.console()}), and {@code plinth read … > out.md} has a terminal on stderr but not
     * stdout, so on Linux we look at what fd 2 points to; elsewhere we fall back to the console.
     */
    static boolean stderrIsTerminal() {
        if (System.getenv("TERM") != null && System.getenv("TERM").equals("dumb")) {
            return false;
        }
        Path fd2 = Path.of("/proc/self/fd/2");
        if (Files.isSymbolicLink(fd2)) {
            try {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (Exception e) {
                return false;
            }
        }
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        // Since JDK 22 a console exists even when redirected; Console.isTerminal() tells the
        // difference.
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
