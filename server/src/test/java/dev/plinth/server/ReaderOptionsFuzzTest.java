package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.reader.FuzzBounds;
import dev.plinth.reader.Options;
import dev.plinth.reader.Selectors;
import dev.plinth.reader.fetch.ProxyUrl;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

/**
 * Any request headers and body fields are parsed into options or refused with a 4xx {@link
 * ApiException} naming the option — never another exception — and what the parser accepts does not
 * fail later: its selectors evaluate on a page, its proxy URL is one the fetcher takes.
 *
 * <p>Calls only {@code ReaderOptions.parse(headers, body, server)}. Input format (regression inputs
 * in {@code ReaderOptionsFuzzTestInputs/}): {@code Name: value} header lines, then a blank line and
 * a JSON body (anything that is not a JSON object means no body, as a GET has none).
 */
class ReaderOptionsFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A small page to evaluate accepted selectors on: nesting, siblings, attributes. */
    private static final Document PAGE =
            Jsoup.parse(
                    "<html><body>"
                            + "<div class=a id=x>".repeat(12)
                            + "<p lang=en data-v=1>text <a href=/l>link</a></p>"
                            + "</div>".repeat(12)
                            + "<ul>"
                            + "<li>item</li>".repeat(20)
                            + "</ul><table><tr><td>c</td></tr></table></body></html>");

    @FuzzTest
    void parsesAnyOptionsOrSaysWhich(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        int blank = text.indexOf("\n\n");
        List<String[]> headers = headers(blank < 0 ? text : text.substring(0, blank));
        JsonNode body = blank < 0 ? null : json(text.substring(blank + 2));
        FuzzBounds.check(
                input,
                64L << 20,
                () -> {
                    try {
                        ReadParams params =
                                ReaderOptions.parse(
                                        name -> lookup(headers, name),
                                        body,
                                        ReaderOptions.ServerSide.NONE);
                        assertNotNull(params.options());
                        acceptedOptionsWork(params.options());
                        return params;
                    } catch (ApiException e) {
                        assertTrue(
                                e.status() >= 400 && e.status() < 500,
                                "a refusal is a 4xx, not " + e.status() + ": " + e.getMessage());
                        assertNotNull(e.getMessage());
                        return null;
                    }
                });
    }

    /** What the parser let through must not fail in the stages that use it. */
    private static void acceptedOptionsWork(Options options) {
        for (String selector : options.targetSelector()) {
            Selectors.select(Selectors.compile(selector), PAGE);
        }
        for (String selector : options.removeSelector()) {
            Selectors.select(Selectors.compile(selector), PAGE);
        }
        if (options.fetch().proxyUrl() != null) {
            ProxyUrl.parse(options.fetch().proxyUrl());
        }
        assertTrue(options.fetch().timeout() == null || options.fetch().timeout().isPositive());
    }

    private static List<String[]> headers(String block) {
        List<String[]> out = new ArrayList<>();
        for (String line : block.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.add(new String[] {line.substring(0, colon).strip(), line.substring(colon + 1)});
            }
        }
        return out;
    }

    /** All values of a header, by case-insensitive name, as the server's request gives them. */
    private static List<String> lookup(List<String[]> headers, String name) {
        List<String> values = new ArrayList<>();
        for (String[] header : headers) {
            if (header[0].toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                values.add(header[1]);
            }
        }
        return values;
    }

    private static JsonNode json(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            return node != null && node.isObject() ? node : null;
        } catch (Exception e) {
            return null;
        }
    }
}
