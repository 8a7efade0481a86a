package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.models.ModelRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code plinth serve}'s model flags: aliases, the client preset, a default per endpoint. */
class ModelFlagsTest {

    static ModelRegistry.Options parse(String... args) {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.models();
    }

    @Test
    void aliasesPresetAndDefaults_reachTheRegistry() {
        ModelRegistry.Options o =
                parse(
                        "--model-alias",
                        "fast=bge-small-en-v1.5-int8",
                        "--model-alias",
                        "zh=bge-small-zh-v1.5-int8",
                        "--alias-preset",
                        "clients",
                        "--default-model",
                        "rerank=bge-small-en-v1.5-int8-cosine");
        assertEquals("bge-small-zh-v1.5-int8", o.aliases().get("zh"));
        assertEquals("@embeddings", o.aliases().get("text-embedding-ada-002"));
        try (ModelRegistry r = ModelRegistry.create(o.withFolders(List.of()))) {
            assertEquals("bge-small-en-v1.5-int8", r.resolve("fast"));
            assertEquals("bge-small-en-v1.5-int8", r.resolve("jina-embeddings-v3"));
            assertEquals(
                    "bge-small-en-v1.5-int8-cosine",
                    r.resolve("jina-reranker-v2-base-multilingual"));
            assertEquals(
                    "bge-small-en-v1.5-int8",
                    r.resolve("bge-small-en-v1.5-int8"),
                    "a model is itself");
        }
    }

    @Test
    void presetIsOffByDefault() {
        assertTrue(parse().aliases().isEmpty());
    }

    @Test
    void badValues_areRefusedNamingThem() {
        assertTrue(
                assertThrows(IllegalArgumentException.class, () -> parse("--alias-preset", "all"))
                        .getMessage()
                        .contains("'clients', not 'all'"));
        assertTrue(
                assertThrows(
                                IllegalArgumentException.class,
                                () -> parse("--default-model", "search=x"))
                        .getMessage()
                        .contains("unknown endpoint 'search'"));
        assertTrue(
                assertThrows(
                                IllegalArgumentException.class,
                                () -> ServeCommand.pairs("PLINTH_MODEL_ALIASES", "a=b,oops"))
                        .getMessage()
                        .contains("\"oops\""));
    }
}
