package dev.plinth.reader;

import java.util.List;
import java.util.Locale;
import org.jsoup.nodes.Element;
import org.jsoup.select.Elements;
import org.jsoup.select.Evaluator;
import org.jsoup.select.QueryParser;
import org.jsoup.select.Selector;

/**
 * CSS selectors from requests, bounded before they run and stoppable while they run.
 *
 * <p>Why bounds. A selector's cost is not its length: {@code div:has(div:has(…))} nested 30 deep
 * takes exponential time over a page of nested divs, and a regular expression in jsoup's {@code
 * :matches()} can backtrack for ever. So a selector list is refused before it runs when it is
 * longer than {@value #MAX_LENGTH} characters or has more than {@value #MAX_SELECTORS} selectors;
 * when a {@code :has()} holds another (one level costs at most a subtree scan per element); when
 * pseudo-classes nest deeper than {@value #MAX_NESTING}; and when it uses a regular-expression
 * pseudo-class (a jsoup extension no browser knows, so no page reader relies on it). What is left
 * costs at most one subtree scan per element, and {@link #select} checks for cancellation between
 * elements, so a read's deadline stops it.
 */
public final class Selectors {

    /** Longest selector list accepted, in characters. */
    public static final int MAX_LENGTH = 2048;

    /** Most comma-separated selectors in one list. */
    public static final int MAX_SELECTORS = 64;

    /** Deepest nesting of pseudo-class parentheses. */
    public static final int MAX_NESTING = 3;

    private static final List<String> REGEX_PSEUDOS =
            List.of(
                    ":matches(",
                    ":matchesown(",
                    ":matchtext",
                    ":matcheswholetext(",
                    ":matcheswholeowntext(");

    private Selectors() {}

    /**
     * Parses one selector (or a comma-separated list) after checking the bounds above.
     *
     * @throws IllegalArgumentException naming what is wrong, for a 400
     */
    public static Evaluator compile(String selector) {
        if (selector.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    "the selector is "
                            + selector.length()
                            + " characters long, over the limit of "
                            + MAX_LENGTH);
        }
        String lower = selector.toLowerCase(Locale.ROOT);
        for (String pseudo : REGEX_PSEUDOS) {
            if (lower.contains(pseudo)) {
                throw new IllegalArgumentException(
                        "regular-expression pseudo-classes such as "
                                + pseudo.replace("(", "()")
                                + " are not supported");
            }
        }
        checkNesting(lower);
        try {
            return QueryParser.parse(selector);
        } catch (Selector.SelectorParseException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * The elements under {@code root} (itself included) that {@code evaluator} matches, in document
     * order, checking for cancellation between elements.
     */
    public static Elements select(Evaluator evaluator, Element root) {
        Elements out = new Elements();
        for (Element element : root.getAllElements()) {
            Cancellation.checkpoint();
            if (evaluator.matches(root, element)) {
                out.add(element);
            }
        }
        return out;
    }

    /** Counts selectors and pseudo-class nesting outside quoted strings. */
    private static void checkNesting(String selector) {
        int depth = 0;
        int hasDepth = 0;
        int selectors = 1;
        int[] hasOpenedAt = new int[MAX_NESTING + 2];
        char quote = 0;
        for (int i = 0; i < selector.length(); i++) {
            char c = selector.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '\\') {
                i++;
            } else if (c == '(') {
                if (++depth > MAX_NESTING) {
                    throw new IllegalArgumentException(
                            "pseudo-classes nest deeper than " + MAX_NESTING + " levels");
                }
                if (selector.startsWith(":has", i - 4)) {
                    if (hasDepth > 0) {
                        throw new IllegalArgumentException(
                                ":has() inside :has() is not supported (its cost grows"
                                        + " exponentially with the nesting)");
                    }
                    hasOpenedAt[hasDepth++] = depth;
                }
            } else if (c == ')') {
                if (hasDepth > 0 && hasOpenedAt[hasDepth - 1] == depth) {
                    hasDepth--;
                }
                depth = Math.max(0, depth - 1);
            } else if (c == ',' && depth == 0 && ++selectors > MAX_SELECTORS) {
                throw new IllegalArgumentException(
                        "more than " + MAX_SELECTORS + " selectors in one list");
            }
        }
    }
}
