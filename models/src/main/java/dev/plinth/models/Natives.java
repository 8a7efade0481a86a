package dev.plinth.models;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Loads ONNX Runtime and DJL's tokenizer library so that neither phones home nor litters.
 *
 * <ul>
 *   <li>DJL calls an EC2 metadata endpoint and a tracking URL unless {@code OPT_OUT_TRACKING} and
 *       {@code ai.djl.offline} say no; both are read as system properties too, so setting them
 *       here, before any DJL class loads, is enough.
 *   <li>ONNX Runtime 1.29 reads {@code ORT_DISABLE_TELEMETRY} from the environment while its native
 *       library loads; its Java API to disable telemetry runs too late, and a JVM cannot set its
 *       own environment. So without {@code ORT_DISABLE_TELEMETRY=1} plinth refuses to load models
 *       and says why ({@code ./plinth}, {@code scripts/jdk.sh} and the test runner set it).
 *   <li>ONNX Runtime extracts its native libraries into a fresh temp folder on every start unless
 *       {@code onnxruntime.native.path} names a folder holding them: we extract them once into a
 *       per-user cache folder keyed by version and point the property there.
 * </ul>
 */
public final class Natives {

    private static final Logger LOG = Logger.getLogger(Natives.class.getName());
    private static final String ORT_TELEMETRY = "ORT_DISABLE_TELEMETRY";
    private static OrtEnvironment environment;

    private Natives() {}

    /** Silences DJL; call before any DJL class loads (idempotent, cheap). */
    public static void silenceDjl() {
        if (System.getProperty("ai.djl.offline") == null)
            System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("OPT_OUT_TRACKING") == null)
            System.setProperty("OPT_OUT_TRACKING", "true");
    }

    /** The process's ONNX Runtime environment, loaded offline on first use. */
    public static synchronized OrtEnvironment onnxRuntime() {
        if (environment != null) return environment;
        silenceDjl();
        String telemetry = System.getenv(ORT_TELEMETRY);
        if (!"1".equals(telemetry)) {
            throw new ModelException(
                    ModelException.Reason.LOAD_FAILED,
                    "refusing to load ONNX Runtime: it uploads telemetry unless "
                            + ORT_TELEMETRY
                            + "=1 is in the environment before it loads (found "
                            + telemetry
                            + "); start plinth with ./plinth or export "
                            + ORT_TELEMETRY
                            + "=1",
                    null);
        }
        if (System.getProperty("onnxruntime.native.path") == null) {
            try {
                Path dir = extractOnnxRuntime();
                if (dir != null) System.setProperty("onnxruntime.native.path", dir.toString());
            } catch (IOException e) {
                LOG.warning(
                        "could not cache ONNX Runtime's native library, it will use a temp folder: "
                                + e);
            }
        }
        environment = OrtEnvironment.getEnvironment();
        return environment;
    }

    /**
     * Copies the platform's ORT libraries out of the jar once; null on platforms we do not know.
     */
    private static Path extractOnnxRuntime() throws IOException {
        String platform = platform();
        if (platform == null) return null;
        String version = OrtEnvironment.class.getPackage().getImplementationVersion();
        Path dir =
                cacheRoot()
                        .resolve("onnxruntime-" + (version == null ? "dev" : version))
                        .resolve(platform);
        String[] libs =
                System.mapLibraryName("onnxruntime").equals("libonnxruntime.so")
                        ? new String[] {"libonnxruntime.so", "libonnxruntime4j_jni.so"}
                        : new String[] {
                            System.mapLibraryName("onnxruntime"),
                            System.mapLibraryName("onnxruntime4j_jni")
                        };
        Files.createDirectories(dir);
        for (String lib : libs) {
            String resource = "/ai/onnxruntime/native/" + platform + "/" + lib;
            try (InputStream in = OrtEnvironment.class.getResourceAsStream(resource)) {
                if (in == null) return null;
                Path target = dir.resolve(lib);
                byte[] bytes = in.readAllBytes();
                if (Files.exists(target) && Files.size(target) == bytes.length) continue;
                // Write beside and rename, so a concurrent start never loads half a library.
                Path tmp = Files.createTempFile(dir, lib, ".part");
                Files.write(tmp, bytes);
                Files.move(
                        tmp,
                        target,
                        StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return dir;
    }

    private static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base =
                xdg != null && !xdg.isBlank()
                        ? Path.of(xdg)
                        : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("plinth");
    }

    private static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o =
                os.contains("linux")
                        ? "linux"
                        : os.contains("mac") ? "osx" : os.contains("win") ? "win" : null;
        String a =
                arch.equals("amd64") || arch.equals("x86_64")
                        ? "x64"
                        : arch.equals("aarch64") || arch.equals("arm64") ? "aarch64" : null;
        return o == null || a == null ? null : o + "-" + a;
    }
}
