package dev.plinth.models;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The tiny stand-ins of scripts/make-tiny-jina-models.py (and the older tiny models) as one
 * registry, and folder copies with a changed {@code plinth-model.json} for the error tests.
 */
final class TinyModels {

    private TinyModels() {}

    /** The test resources folder that holds every tiny model folder. */
    static Path folders() {
        try {
            return Path.of(TinyModels.class.getResource("/tiny-jina-v3/plinth-model.json").toURI())
                    .getParent()
                    .getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A registry of the tiny models only (no bundled ones). */
    static ModelRegistry registry() {
        return ModelRegistry.create(
                ModelRegistry.Options.defaults()
                        .withFolders(List.of(folders()))
                        .withBundled(false));
    }

    /** A test resource file. */
    static Path resource(String path) {
        return folders().resolve(path);
    }

    /**
     * A copy of tiny model folder {@code name} under {@code dir} with {@code plinth-model.json}
     * replaced by {@code config}; returns the folder.
     */
    static Path copyWithConfig(String name, Path dir, String config) throws IOException {
        Path target = Files.createDirectories(dir.resolve(name + "-copy"));
        try (Stream<Path> files = Files.list(folders().resolve(name))) {
            for (Path f : files.toList()) Files.copy(f, target.resolve(f.getFileName()));
        }
        Files.writeString(target.resolve(ModelRegistry.CONFIG_FILE), config);
        return target;
    }

    static float[] normalized(double... v) {
        double norm = 0;
        for (double x : v) norm += x * x;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) (v[i] / Math.sqrt(norm));
        return out;
    }
}
