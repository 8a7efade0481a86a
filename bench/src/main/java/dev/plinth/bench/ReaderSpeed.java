package dev.plinth.bench;

import dev.plinth.reader.Options;
import dev.plinth.reader.Page;
import dev.plinth.reader.Reader;
import dev.plinth.reader.ReaderException;
import dev.plinth.reader.fetch.Fetcher;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reader speed on one thread: parse + extract + write Markdown ({@code respondWith=content}, the
 * default) over the 181 Scrapinghub pages, through {@link Reader#convert} as the server calls it. A
 * few warm-up passes let the JIT settle, then timed passes report pages/s and MB/s of HTML, by the
 * wall clock and by the process's CPU time (the honest figure on a shared, loaded machine: the
 * conversion runs on the reader's CPU pool, not the calling thread; GC and JIT count too), and the
 * peak heap in use (the sum of the heap pools' peaks, measured over the timed passes only).
 *
 * <p>Run from the project root (add {@code -Dexec.args="[DATA_DIR] [WARMUP_PASSES]
 * [TIMED_PASSES]"}):
 *
 * <pre>{@code
 * mvn -q -B -Dplinth.build=target-extract -pl bench -am test-compile exec:java -Dexec.mainClass=dev.plinth.bench.ReaderSpeed
 * }</pre>
 *
 * For a one-core figure pin the JVM, e.g. {@code taskset -c 0 java -XX:ActiveProcessorCount=1 …}.
 */
public final class ReaderSpeed {

    public static void main(String[] args) throws Exception {
        List<ScrapinghubPages.Sample> samples =
                ScrapinghubPages.load(ScrapinghubPages.dir(args, 0));
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int passes = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        long bytes = samples.stream().mapToLong(s -> s.html().length).sum();
        Options options = Options.DEFAULTS;

        try (Reader reader = new Reader(new Fetcher(Fetcher.Settings.DEFAULTS))) {
            long sink = 0;
            for (int i = 0; i < warmup; i++) {
                sink += pass(reader, samples, options);
            }
            System.gc();
            List<MemoryPoolMXBean> heap =
                    ManagementFactory.getMemoryPoolMXBeans().stream()
                            .filter(p -> p.getType() == MemoryType.HEAP)
                            .toList();
            heap.forEach(MemoryPoolMXBean::resetPeakUsage);
            long gcBefore = gcMillis();

            var os =
                    (com.sun.management.OperatingSystemMXBean)
                            ManagementFactory.getOperatingSystemMXBean();
            long cpuStart = os.getProcessCpuTime();
            long start = System.nanoTime();
            for (int i = 0; i < passes; i++) {
                sink += pass(reader, samples, options);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (os.getProcessCpuTime() - cpuStart) / 1e9;

            long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            long pages = (long) samples.size() * passes;
            System.out.printf(
                    Locale.ROOT,
                    "reader speed, one thread: %d pages (%.1f MB of HTML) x %d passes after %d warm-up%n",
                    samples.size(),
                    bytes / 1e6,
                    passes,
                    warmup);
            System.out.printf(
                    Locale.ROOT,
                    "  wall clock: %.1f pages/s, %.2f MB/s, %.2f ms/page%n",
                    pages / seconds,
                    bytes * passes / 1e6 / seconds,
                    seconds * 1000 / pages);
            System.out.printf(
                    Locale.ROOT,
                    "  process CPU: %.1f pages/s, %.2f MB/s, %.2f ms/page (what one idle core would do)%n",
                    pages / cpuSeconds,
                    bytes * passes / 1e6 / cpuSeconds,
                    cpuSeconds * 1000 / pages);
            System.out.printf(
                    Locale.ROOT,
                    "  peak heap in use %.0f MB (max heap %.0f MB), GC %d ms over the timed passes%n",
                    peak / 1e6,
                    Runtime.getRuntime().maxMemory() / 1e6,
                    gcMillis() - gcBefore);
            System.out.printf(
                    Locale.ROOT,
                    "  (%d characters of Markdown per pass)%n",
                    sink / (warmup + passes));
        }
    }

    private static long pass(Reader reader, List<ScrapinghubPages.Sample> samples, Options options)
            throws ReaderException {
        long chars = 0;
        for (ScrapinghubPages.Sample s : samples) {
            Page page =
                    new Page(
                            URI.create(s.url()),
                            200,
                            "text/html",
                            StandardCharsets.UTF_8,
                            s.html(),
                            Map.of());
            chars += reader.convert(page, options).content().length();
        }
        return chars;
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionTime)
                .filter(t -> t > 0)
                .sum();
    }
}
