package dev.plinth.reader;

import java.util.List;
import java.util.regex.Pattern;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Decides, for {@link Options.Engine#AUTO}, whether a page fetched directly is only a shell that
 * JavaScript fills in, so that it is worth loading again in the browser.
 *
 * <p>Three signs, any one enough: almost no readable body text (under {@value #ALMOST_EMPTY} chars
 * once scripts, styles, templates and noscript are set aside); an empty mount point of a
 * client-side framework ({@code #root}, {@code #app}, {@code #__next}, {@code #__nuxt}, {@code
 * #___gatsby}, {@code #svelte}, {@code app-root}, {@code [ng-app]}); or a {@code <noscript>} that
 * asks for JavaScript on a page with little text of its own (under {@value #LITTLE_TEXT} chars —
 * many full articles carry such a notice for their comment widget). The costs are lopsided: a false
 * "yes" costs one browser render, a false "no" loses the page, so the thresholds lean towards yes
 * on thin pages and no on pages with real text.
 */
final class ScriptRendered {

    static final int ALMOST_EMPTY = 200;
    static final int LITTLE_TEXT = 1500;

    private static final List<String> SPA_ROOTS =
            List.of(
                    "#root",
                    "#app",
                    "#__next",
                    "#__nuxt",
                    "#___gatsby",
                    "#svelte",
                    "app-root",
                    "[ng-app]",
                    "[data-reactroot]");

    private static final Pattern ASKS_FOR_JAVASCRIPT =
            Pattern.compile(
                    "(enable|turn on|activate|allow|requires?|need|needs|must have|without)\\W+(\\w+\\W+){0,4}javascript"
                            + "|javascript\\W+(\\w+\\W+){0,3}(required|disabled|must be enabled|needs to be enabled|is off)",
                    Pattern.CASE_INSENSITIVE);

    private ScriptRendered() {}

    /** Whether {@code doc} looks like it needs a browser to show its content. */
    static boolean looksSo(Document doc) {
        Element body = doc.body();
        if (body == null) {
            return true;
        }
        StringBuilder askedFor = new StringBuilder();
        for (Element noscript : body.select("noscript")) {
            askedFor.append(noscript.text()).append(' ').append(noscript.data()).append(' ');
        }
        Element readable = body.clone();
        readable.select("script, style, template, noscript").remove();
        int text = readable.text().length();
        if (text < ALMOST_EMPTY) {
            return true;
        }
        for (String selector : SPA_ROOTS) {
            for (Element root : readable.select(selector)) {
                if (root.children().isEmpty() && root.text().isBlank()) {
                    return true;
                }
            }
        }
        return text < LITTLE_TEXT && ASKS_FOR_JAVASCRIPT.matcher(askedFor).find();
    }
}
