package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code plinth serve --cache redis://…}: how it maps to the server, and what it rules out. */
class CacheFlagsTest {

    @TempDir Path dir;

    private static Server.Config config(String... args) {
        ServeCommand cmd = new ServeCommand();
        new CommandLine(cmd).parseArgs(args);
        Server.Config c = new Server.Config();
        cmd.config().accept(c);
        return c;
    }

    @Test
    void cacheNamesRedisInsteadOfTheCacheFolder() {
        Server.Config c =
                config(
                        "--cache",
                        "redis://127.0.0.1:6390/2",
                        "--cache-timeout-ms",
                        "30",
                        "--cache-ttl-hours",
                        "6");
        assertEquals("redis://127.0.0.1:6390/2", c.redis);
        assertNull(c.cacheDir, "no SQLite cache beside Redis");
        assertEquals(Duration.ofMillis(30), c.redisTimeout);
        assertEquals(Duration.ofHours(6), c.redisPageTtl);
    }

    @Test
    void defaultsKeepTheEmbeddedCache() {
        Server.Config c = config("--cache-dir", dir.toString());
        assertNull(c.redis);
        assertEquals(dir, c.cacheDir);
        assertEquals(Duration.ofMillis(50), c.redisTimeout);
    }

    @Test
    void twoCachesOnTheCommandLineAreAnError() {
        for (List<String> args :
                List.of(
                        List.of("--cache", "redis://127.0.0.1:6390", "--cache-dir", dir.toString()),
                        List.of("--cache", "redis://127.0.0.1:6390", "--no-cache"))) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> config(args.toArray(String[]::new)));
            assertTrue(e.getMessage().contains("--cache"), e.getMessage());
        }
    }

    @Test
    void aCacheThatIsNotRedisIsAnErrorNamingIt() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> config("--cache", "/var/cache/x"));
        assertTrue(e.getMessage().contains("/var/cache/x"), e.getMessage());
        assertEquals(2, Main.run("serve", "--port", "0", "--cache", "memcached://h:1"));
    }

    @Test
    void theServerRefusesTwoPageCaches() {
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        Server.start(
                                Plinth.config(dir).andThen(c -> c.redis = "redis://127.0.0.1:6390"),
                                List.of()));
    }
}
