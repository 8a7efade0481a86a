package dev.plinth.reader.lm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.regex.RegularExpression;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A caller's JSON Schema, checked once when the request arrives and then used to validate the
 * model's answers (networknt json-schema-validator; draft 2020-12 unless the schema names another).
 *
 * <p>The schema comes from the request, so it is treated as hostile: a {@code $ref} may only point
 * within the schema, and the loader is told never to fetch one anyway (a remote reference would be
 * a request to any address the caller names, past the network guard), and a {@code pattern} is
 * matched under a step budget — a backtracking pattern such as {@code (a+)+$} against the model's
 * answer would otherwise hold a thread for minutes.
 */
final class SchemaCheck {

    /** Most violations listed in a message or a retry prompt. */
    static final int MAX_ERRORS = 20;

    /** Most characters a schema may have. */
    static final int MAX_SCHEMA_CHARS = 64 << 10;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final SchemaRegistry REGISTRY =
            SchemaRegistry.withDefaultDialect(
                    SpecificationVersion.DRAFT_2020_12,
                    builder ->
                            builder.schemaLoader(loader -> loader.fetchRemoteResources(false))
                                    .schemaRegistryConfig(
                                            SchemaRegistryConfig.builder()
                                                    .preloadSchema(true)
                                                    .regularExpressionFactory(
                                                            SchemaCheck::budgetedPattern)
                                                    .build()));

    private final String text;
    private final Schema schema;

    private SchemaCheck(String text, Schema schema) {
        this.text = text;
        this.schema = schema;
    }

    /** Parses and loads {@code schemaText}, or fails with a 400 that says what is wrong. */
    static SchemaCheck parse(String schemaText) throws LmException {
        if (schemaText == null || schemaText.isBlank()) {
            throw new LmException(LmException.Kind.BAD_REQUEST, "jsonSchema is empty");
        }
        if (schemaText.length() > MAX_SCHEMA_CHARS) {
            throw new LmException(
                    LmException.Kind.BAD_REQUEST,
                    "jsonSchema is "
                            + schemaText.length()
                            + " characters, over the cap of "
                            + MAX_SCHEMA_CHARS);
        }
        JsonNode node;
        try {
            node = JSON.readTree(schemaText);
        } catch (JsonProcessingException e) {
            throw new LmException(
                    LmException.Kind.BAD_REQUEST,
                    "jsonSchema is not valid JSON: " + e.getOriginalMessage(),
                    e);
        }
        if (node == null || !(node.isObject() || node.isBoolean())) {
            throw new LmException(LmException.Kind.BAD_REQUEST, "jsonSchema must be a JSON object");
        }
        String outside = firstNonLocalReference(node);
        if (outside != null) {
            throw new LmException(
                    LmException.Kind.BAD_REQUEST,
                    "jsonSchema may only refer within itself (\"$ref\": \"#/…\"), not to "
                            + outside);
        }
        try {
            return new SchemaCheck(schemaText.strip(), REGISTRY.getSchema(node));
        } catch (RuntimeException e) {
            // The validator reports bad keywords and unresolvable references as exceptions.
            throw new LmException(
                    LmException.Kind.BAD_REQUEST,
                    "jsonSchema cannot be used: " + e.getMessage(),
                    e);
        }
    }

    /** The first {@code $ref} or {@code $dynamicRef} that points outside the schema, or null. */
    private static String firstNonLocalReference(JsonNode schema) {
        java.util.ArrayDeque<JsonNode> pending = new java.util.ArrayDeque<>();
        pending.push(schema);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.isObject()) {
                for (var field : node.properties()) {
                    boolean reference =
                            field.getKey().equals("$ref") || field.getKey().equals("$dynamicRef");
                    if (reference
                            && field.getValue().isTextual()
                            && !field.getValue().asText().startsWith("#")) {
                        return field.getValue().asText();
                    }
                    pending.push(field.getValue());
                }
            } else if (node.isArray()) {
                node.forEach(pending::push);
            }
        }
        return null;
    }

    /** The schema as the caller wrote it, for the prompt. */
    String text() {
        return text;
    }

    /** The violations of {@code answer}, at most {@link #MAX_ERRORS}; empty when it conforms. */
    List<String> errors(JsonNode answer) {
        List<String> errors = new ArrayList<>();
        try {
            for (Error error : schema.validate(answer)) {
                if (errors.size() == MAX_ERRORS) {
                    errors.add("…and more");
                    break;
                }
                errors.add(error.toString());
            }
        } catch (PatternBudgetExceeded e) {
            errors.add(e.getMessage());
        } catch (RuntimeException e) {
            errors.add("the answer could not be checked against the schema: " + e.getMessage());
        }
        return errors;
    }

    // ---- pattern matching under a step budget ----

    private static RegularExpression budgetedPattern(String regex) {
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(
                    "pattern "
                            + regex
                            + " is not a valid regular expression: "
                            + e.getDescription(),
                    e);
        }
        return value -> {
            // Reading a character is the unit of matcher work; a linear match reads each a few
            // times, catastrophic backtracking reads them exponentially often.
            long budget = 1_000_000L + 100L * value.length();
            return pattern.matcher(new Budgeted(value, budget, regex)).find();
        };
    }

    /** A pattern took too many steps on one value. */
    static final class PatternBudgetExceeded extends RuntimeException {
        PatternBudgetExceeded(String regex) {
            super("pattern " + regex + " takes too long to match the answer", null, false, false);
        }
    }

    /** A string that counts reads and stops the match once the budget is spent. */
    private static final class Budgeted implements CharSequence {
        private final String value;
        private final String regex;
        private long left;

        Budgeted(String value, long budget, String regex) {
            this.value = value;
            this.left = budget;
            this.regex = regex;
        }

        @Override
        public char charAt(int index) {
            if (--left < 0) {
                throw new PatternBudgetExceeded(regex);
            }
            return value.charAt(index);
        }

        @Override
        public int length() {
            return value.length();
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return value.subSequence(start, end);
        }

        @Override
        public String toString() {
            return value;
        }
    }
}
