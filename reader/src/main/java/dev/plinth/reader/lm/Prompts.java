package dev.plinth.reader.lm;

import java.util.List;
import java.util.Map;

/**
 * The prompts ReaderLM-v2 was trained to answer, as its model card
 * (huggingface.co/jinaai/ReaderLM-v2, {@code create_prompt}) writes them. They are part of the
 * model's interface, like a file format: a different wording gets worse answers, so they are
 * reproduced exactly and pinned by golden tests.
 *
 * <ul>
 *   <li>Markdown: {@code {instruction}\n```html\n{html}\n```}
 *   <li>JSON: {@code {instruction}\n```html\n{html}\n```\nThe JSON schema is as
 *       follows:```json\n{schema}\n```} — with no newline between "follows:" and the fence, as on
 *       the card.
 * </ul>
 *
 * The prompt goes out as the only user message: the model's chat template adds its own system line
 * ("You are an AI assistant developed by Jina AI."), and an OpenAI-compatible server applies that
 * template itself.
 *
 * <p>One departure: the card's sample overwrites a caller's instruction with its JSON default
 * whenever a schema is given (its demo reads Hacker News). Here a caller's {@code instruction} is
 * used in both modes, and the card's sentence is the default only when there is none.
 */
final class Prompts {

    /** The card's instruction for HTML to Markdown. */
    static final String MARKDOWN_INSTRUCTION =
            "Extract the main content from the given HTML and convert it to Markdown format.";

    /** The card's instruction for HTML to JSON with a schema. */
    static final String JSON_INSTRUCTION =
            "Extract the specified information from a list of news threads and present it in a"
                    + " structured JSON format.";

    private static final String FENCE = "```";

    private Prompts() {}

    /** The user message that asks for Markdown of {@code html}. */
    static String markdown(String instruction, String html) {
        return instructionOr(instruction, MARKDOWN_INSTRUCTION)
                + "\n"
                + FENCE
                + "html\n"
                + html
                + "\n"
                + FENCE;
    }

    /** The user message that asks for JSON following {@code schema} from {@code html}. */
    static String json(String instruction, String html, String schema) {
        return instructionOr(instruction, JSON_INSTRUCTION)
                + "\n"
                + FENCE
                + "html\n"
                + html
                + "\n"
                + FENCE
                + "\nThe JSON schema is as follows:"
                + FENCE
                + "json\n"
                + schema
                + "\n"
                + FENCE;
    }

    /**
     * The follow-up sent once when an answer broke the schema: the answer stays in the conversation
     * and the violations are listed, so the model corrects rather than starts over.
     */
    static String schemaRetry(List<String> errors) {
        StringBuilder text =
                new StringBuilder(
                        "The JSON above does not match the JSON schema. Problems found:\n");
        for (String error : errors) {
            text.append("- ").append(error).append('\n');
        }
        text.append("Answer again with only the corrected JSON, following the schema exactly.");
        return text.toString();
    }

    /** A chat message. */
    static Map<String, Object> message(String role, String content) {
        return Map.of("role", role, "content", content);
    }

    /** Characters the template adds around the HTML, to leave room for in the context. */
    static String frame(String instruction, String schema) {
        return schema == null ? markdown(instruction, "") : json(instruction, "", schema);
    }

    private static String instructionOr(String instruction, String fallback) {
        return instruction == null || instruction.isBlank() ? fallback : instruction.strip();
    }
}
