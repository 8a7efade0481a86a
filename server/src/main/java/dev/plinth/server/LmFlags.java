package dev.plinth.server;

import dev.plinth.reader.lm.ReaderLm;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The language-model backends as flags, shared by {@code plinth serve} and {@code plinth read}:
 * each flag overrides its environment variable ({@code PLINTH_LM_URL}, {@code PLINTH_LM_MODEL},
 * {@code PLINTH_LM_API_KEY}, {@code PLINTH_VLM_URL}, {@code PLINTH_VLM_MODEL}, {@code
 * PLINTH_VLM_API_KEY}, {@code PLINTH_LM_CONCURRENCY}, {@code PLINTH_LM_QUEUE}, {@code
 * PLINTH_LM_CONTEXT}, {@code PLINTH_LM_TIMEOUT}, {@code PLINTH_LM_FALLBACK}), which overrides the
 * defaults.
 */
final class LmFlags {

    @Option(
            names = "--lm-url",
            paramLabel = "URL",
            description =
                    "OpenAI-compatible endpoint serving ReaderLM-v2, e.g."
                            + " http://127.0.0.1:11434/v1 (Ollama) or http://127.0.0.1:8081/v1"
                            + " (llama.cpp); enables readerlm-v2, instruction and jsonSchema"
                            + " (default: $PLINTH_LM_URL).")
    String lmUrl;

    @Option(
            names = "--lm-model",
            paramLabel = "NAME",
            description = "The model name the endpoint serves (default: $PLINTH_LM_MODEL).")
    String lmModel;

    @Option(
            names = "--lm-api-key",
            paramLabel = "KEY",
            description = "Bearer key for --lm-url, if it needs one (default: $PLINTH_LM_API_KEY).")
    String lmApiKey;

    @Option(
            names = "--vlm-url",
            paramLabel = "URL",
            description =
                    "OpenAI-compatible endpoint serving a vision model; enables vlm and"
                            + " X-With-Generated-Alt (default: $PLINTH_VLM_URL).")
    String vlmUrl;

    @Option(
            names = "--vlm-model",
            paramLabel = "NAME",
            description = "The vision model's name (default: $PLINTH_VLM_MODEL).")
    String vlmModel;

    @Option(
            names = "--vlm-api-key",
            paramLabel = "KEY",
            description = "Bearer key for --vlm-url (default: $PLINTH_VLM_API_KEY).")
    String vlmApiKey;

    @Option(
            names = "--lm-concurrency",
            paramLabel = "N",
            description =
                    "Language-model calls in flight at once, per backend (default:"
                            + " $PLINTH_LM_CONCURRENCY or 2).")
    Integer lmConcurrency;

    @Option(
            names = "--lm-queue",
            paramLabel = "N",
            description =
                    "Calls waiting for a slot; one more is answered 429 with Retry-After"
                            + " (default: $PLINTH_LM_QUEUE or 16).")
    Integer lmQueue;

    @Option(
            names = "--lm-context",
            paramLabel = "TOKENS",
            description =
                    "The context window the backend serves the model with; a quarter is kept for"
                            + " the answer (default: $PLINTH_LM_CONTEXT or 32768).")
    Integer lmContext;

    @Option(
            names = "--lm-timeout",
            paramLabel = "SECONDS",
            description =
                    "Longest one read waits for the language models (default: $PLINTH_LM_TIMEOUT"
                            + " or 120).")
    Integer lmTimeout;

    @Option(
            names = "--lm-fallback",
            description =
                    "Let X-Engine: auto hand a page to ReaderLM-v2 when the heuristic extractor"
                            + " finds almost no main content on a page with plenty of text"
                            + " (default: $PLINTH_LM_FALLBACK or off).")
    boolean lmFallback;

    /** Where environment variables are read; tests give their own. */
    java.util.function.UnaryOperator<String> env = System::getenv;

    /** Writes the backends and their limits into {@code c}; a clear error for a bad value. */
    void apply(Server.Config c) {
        c.lm = backend("--lm-url", "--lm-model", value(lmUrl, "PLINTH_LM_URL"), lmModel(), key());
        c.vlm =
                backend(
                        "--vlm-url",
                        "--vlm-model",
                        value(vlmUrl, "PLINTH_VLM_URL"),
                        value(vlmModel, "PLINTH_VLM_MODEL"),
                        value(vlmApiKey, "PLINTH_VLM_API_KEY"));
        if (c.vlm != null && c.lm == null) {
            throw new IllegalArgumentException(
                    "--vlm-url needs --lm-url too: the vision model works beside ReaderLM-v2");
        }
        c.lmConcurrency = number("--lm-concurrency", lmConcurrency, "PLINTH_LM_CONCURRENCY", 2, 1);
        c.lmQueue = number("--lm-queue", lmQueue, "PLINTH_LM_QUEUE", 16, 0);
        c.lmContextTokens = number("--lm-context", lmContext, "PLINTH_LM_CONTEXT", 32_768, 1024);
        c.lmTimeout =
                Duration.ofSeconds(number("--lm-timeout", lmTimeout, "PLINTH_LM_TIMEOUT", 120, 1));
        c.lmFallback =
                lmFallback
                        || Boolean.parseBoolean(
                                value(null, "PLINTH_LM_FALLBACK") == null
                                        ? "false"
                                        : value(null, "PLINTH_LM_FALLBACK")
                                                .toLowerCase(Locale.ROOT));
        if (c.lmFallback && c.lm == null) {
            throw new IllegalArgumentException("--lm-fallback needs --lm-url");
        }
    }

    private String lmModel() {
        return value(lmModel, "PLINTH_LM_MODEL");
    }

    private String key() {
        return value(lmApiKey, "PLINTH_LM_API_KEY");
    }

    private static ReaderLm.Backend backend(
            String urlFlag, String modelFlag, String url, String model, String key) {
        if (url == null) {
            if (model != null) {
                throw new IllegalArgumentException(modelFlag + " needs " + urlFlag + " too");
            }
            return null;
        }
        if (model == null) {
            throw new IllegalArgumentException(
                    urlFlag + " needs " + modelFlag + ": the model name the endpoint serves");
        }
        try {
            return ReaderLm.Backend.of(url, model, key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(urlFlag + ": " + e.getMessage());
        }
    }

    private int number(String flag, Integer given, String env, int fallback, int min) {
        int n;
        if (given != null) {
            n = given;
        } else {
            String text = value(null, env);
            try {
                n = text == null ? fallback : Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        env + " must be a whole number, not \"" + text + "\"");
            }
        }
        if (n < min) {
            throw new IllegalArgumentException(flag + " must be at least " + min + ", not " + n);
        }
        return n;
    }

    /** The flag's value, else the environment's, else null. */
    private String value(String flag, String name) {
        if (flag != null && !flag.isBlank()) {
            return flag.strip();
        }
        String v = env.apply(name);
        return v == null || v.isBlank() ? null : v.strip();
    }
}
