package dev.plinth.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The "no phoning home, no litter" rules, checked in fresh JVMs so nothing is loaded yet. */
class NativesTest {

    /** Loads the runtime and the bundled model, printing what the checks need. */
    public static void main(String[] args) {
        try {
            Natives.onnxRuntime();
            System.out.println("native.path=" + System.getProperty("onnxruntime.native.path"));
            try (ModelRegistry r =
                    ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(List.of()))) {
                new Embedder(r).embed(Embedder.Request.of(List.of("hi")));
            }
            System.out.println(
                    "djl.offline="
                            + System.getProperty("ai.djl.offline")
                            + " tracking="
                            + System.getProperty("OPT_OUT_TRACKING"));
            System.exit(0);
        } catch (ModelException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(3);
        }
    }

    static Result probe(Map<String, String> env, Path tmp) throws Exception {
        return probe(env, tmp, true);
    }

    static Result probe(Map<String, String> env, Path tmp, boolean nativeAccess) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Djava.io.tmpdir=" + tmp));
        if (nativeAccess) command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(
                List.of("-cp", System.getProperty("java.class.path"), NativesTest.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("ORT_DISABLE_TELEMETRY");
        pb.environment().remove("OPT_OUT_TRACKING");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Result(p.waitFor(), out);
    }

    record Result(int code, String output) {}

    @Test
    void refusesToLoadOnnxRuntimeWithoutTheTelemetrySwitch(
            @org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Result r = probe(Map.of(), tmp);
        assertEquals(3, r.code(), r.output());
        assertTrue(r.output().contains("ORT_DISABLE_TELEMETRY=1"), r.output());
    }

    @Test
    void loadsOfflineAndLeavesNoTempFolders(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Path cache = tmp.resolve("cache");
        Path javaTmp = Files.createDirectories(tmp.resolve("tmp"));
        for (int run = 0; run < 2; run++) {
            Result r =
                    probe(
                            Map.of(
                                    "ORT_DISABLE_TELEMETRY",
                                    "1",
                                    "XDG_CACHE_HOME",
                                    cache.toString()),
                            javaTmp);
            assertEquals(0, r.code(), r.output());
            // DJL's switches were set by plinth itself (the env had neither).
            assertTrue(r.output().contains("djl.offline=true tracking=true"), r.output());
            assertTrue(r.output().contains("native.path=" + cache.resolve("plinth")), r.output());
        }
        assertFalse(
                probe(
                                Map.of(
                                        "ORT_DISABLE_TELEMETRY",
                                        "1",
                                        "XDG_CACHE_HOME",
                                        cache.toString()),
                                javaTmp)
                        .output()
                        .contains("restricted method"),
                "--enable-native-access silences the JDK's native-access warning");
        assertEquals(
                List.of(),
                list(javaTmp).stream()
                        .filter(p -> p.getFileName().toString().startsWith("onnxruntime"))
                        .toList(),
                "ORT made no temp folder");
        assertTrue(
                Files.isRegularFile(
                        single(cache.resolve("plinth"))
                                .resolve(platform())
                                .resolve("libonnxruntime.so")));
    }

    @Test
    void withoutNativeAccessFlag_theJdkWarns(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        // Why ./plinth, the fat jar's manifest and surefire pass
        // --enable-native-access=ALL-UNNAMED:
        // JDK 24+ warns on every native load without it (and a later JDK will refuse).
        Result r =
                probe(
                        Map.of(
                                "ORT_DISABLE_TELEMETRY",
                                "1",
                                "XDG_CACHE_HOME",
                                tmp.resolve("cache").toString()),
                        tmp,
                        false);
        assertEquals(0, r.code(), r.output());
        if (Runtime.version().feature() >= 24)
            assertTrue(r.output().contains("restricted method"), r.output());
    }

    private static String platform() {
        return System.getProperty("os.arch").contains("aarch64") ? "linux-aarch64" : "linux-x64";
    }

    private static Path single(Path dir) throws IOException {
        List<Path> children = list(dir);
        assertEquals(1, children.size(), children.toString());
        return children.getFirst();
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
