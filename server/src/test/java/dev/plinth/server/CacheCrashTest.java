package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.reader.Page;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page cache after its process is killed mid-write: it opens, passes its check, and keeps what
 * was committed.
 */
class CacheCrashTest {

    @TempDir Path dir;

    /** Child process: writes pages without end until killed, printing each committed key. */
    public static void main(String[] args) throws Exception {
        try (SqlitePageStore cache = SqlitePageStore.open(Path.of(args[0]), 64L << 20)) {
            for (int i = 0; ; i++) {
                cache.put("k" + i, page(i));
                System.out.println("k" + i);
                System.out.flush();
            }
        }
    }

    static Page page(int i) {
        byte[] body = ("page " + i + " ").repeat(20_000).getBytes(StandardCharsets.UTF_8);
        return new Page(
                URI.create("https://example.com/" + i),
                200,
                "text/html",
                StandardCharsets.UTF_8,
                body,
                Map.of("x", List.of(Integer.toString(i))));
    }

    @Test
    @Timeout(60)
    void survivesAKillDuringWrites() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child =
                new ProcessBuilder(
                                java,
                                "--enable-native-access=ALL-UNNAMED",
                                "-cp",
                                System.getProperty("java.class.path"),
                                CacheCrashTest.class.getName(),
                                dir.toString())
                        .redirectErrorStream(false)
                        .start();
        var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()));
        String last = null;
        for (int n = 0; n < 40; n++) {
            last = out.readLine();
            assertNotNull(last, "the writer died before being killed");
        }
        child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, WAL possibly mid-append
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));

        try (SqlitePageStore cache = SqlitePageStore.open(dir, 64L << 20)) {
            assertTrue(
                    !Files.exists(dir.resolve("pages.db.corrupt")),
                    "the file was not set aside as corrupt");
            for (int i = 0; i < 40; i++) {
                Page stored = cache.get("k" + i);
                assertNotNull(stored, "committed page k" + i + " survived");
                assertArrayEquals(page(i).body(), stored.body());
            }
            cache.put("after", page(1));
            assertNotNull(cache.get("after"));
        }
    }
}
