package dev.plinth.models;

/** One registry of the bundled models for the whole test run: loading sessions takes seconds. */
final class Shared {

    static final ModelRegistry REGISTRY =
            ModelRegistry.create(ModelRegistry.Options.defaults().withFolders(java.util.List.of()));
    static final Embedder EMBEDDER = new Embedder(REGISTRY);

    static final String EN = "bge-small-en-v1.5-int8";
    static final String ZH = "bge-small-zh-v1.5-int8";

    private Shared() {}

    static float dot(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length)
            throw new AssertionError("lengths " + a.length + " vs " + b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
