package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every error path of the reader API answers its status and the hosted reader's error body. */
class ErrorsTest {

    @TempDir static Path cacheDir;
    static TestSite site;
    static Plinth plinth;

    @BeforeAll
    static void start() throws IOException {
        site = new TestSite();
        site.start();
        RouteGroup broken =
                app -> {
                    app.get(
                            "/v1/broken",
                            ctx -> {
                                throw new IllegalStateException("secret internal detail");
                            });
                    app.get(
                            "/broken",
                            ctx -> {
                                throw new IllegalStateException("secret internal detail");
                            });
                };
        plinth = Plinth.start(Plinth.config(cacheDir), List.of(broken));
    }

    @AfterAll
    static void stop() {
        plinth.close();
        site.close();
    }

    private static JsonNode assertError(HttpResponse<String> r, int status, String name)
            throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(
                r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode body = Plinth.json(r);
        assertEquals(status, body.get("code").asInt());
        assertEquals(status, body.get("status").asInt() / 100);
        assertEquals(name, body.get("name").asText());
        assertFalse(body.get("message").asText().isBlank());
        assertTrue(body.get("readableMessage").asText().startsWith(name + ": "));
        assertTrue(body.get("data").isNull());
        return body;
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "X-With-Links-Summary | maybe",
                "X-No-Cache | on",
                "X-No-Gfm | 2",
                "X-Respond-With | pdf",
                "X-Engine | rocket",
                "X-Retain-Images | some",
                "X-Retain-Links | most",
                "X-Base | middle",
                "X-Max-Tokens | -3",
                "X-Max-Tokens | lots",
                "X-Token-Budget | 0",
                "X-Cache-Tolerance | -1",
                "X-Timeout | soon",
                "X-Markdown-Chunking | 9",
                "X-Md-Heading-Style | fancy",
                "X-Md-Bullet-List-Marker | >",
                "X-Md-Em-Delimiter | ~",
                "X-Md-Strong-Delimiter | ~~",
                "X-Md-Link-Style | hidden",
                "X-Md-Link-Reference-Style | long",
                "X-Md-Hr | ===",
                "X-Target-Selector | div[",
                "X-Remove-Selector | ::::",
                "X-Proxy-Url | not a proxy",
                "X-Set-Cookie | novalue"
            })
    void badOptionValuesAre400(String header, String value) throws Exception {
        JsonNode body =
                assertError(
                        plinth.get("/" + site.url("/article"), header, value),
                        400,
                        "ParamValidationError");
        assertTrue(body.get("message").asText().contains(header), body.toString());
    }

    @Test
    void badBodyFieldsAre400() throws Exception {
        assertError(
                plinth.postJson(
                        "/",
                        "{\"url\":\""
                                + site.url("/article")
                                + "\",\"withImagesSummary\":\"perhaps\"}"),
                400,
                "ParamValidationError");
        assertError(plinth.postJson("/", "{\"url\":"), 400, "ParamValidationError");
        assertError(plinth.postJson("/", "[1,2]"), 400, "ParamValidationError");
        assertError(
                plinth.postJson("/", "{\"respondWith\":\"text\"}"), 400, "ParamValidationError");
        assertError(
                plinth.postJson("/", "{\"pdf\":\"%%%not base64%%%\"}"),
                400,
                "ParamValidationError");
        assertError(
                plinth.postJson("/", "{\"url\":{\"nested\":true}}"), 400, "ParamValidationError");
    }

    @Test
    void targetSelectorMatchingNothingIs422() throws Exception {
        assertError(
                plinth.get("/" + site.url("/article"), "X-Target-Selector", "#missing"),
                422,
                "AssertionFailureError");
    }

    @Test
    void unreachableTargetIs422() throws Exception {
        // A port nothing listens on: the connection is refused.
        assertError(plinth.get("/http://127.0.0.1:1/nothing"), 422, "AssertionFailureError");
    }

    @Test
    void nonHttpSchemesAre451() throws Exception {
        assertError(plinth.get("/file:///etc/passwd"), 451, "SecurityCompromiseError");
        assertError(
                plinth.postJson("/", "{\"url\":\"ftp://example.com/x\"}"),
                451,
                "SecurityCompromiseError");
    }

    @Test
    void robotsDisallowIs409() throws Exception {
        assertError(
                plinth.get("/" + site.url("/private"), "X-Robots-Txt", "true"),
                409,
                "RobotsTxtDisallowedError");
    }

    @Test
    void unexpectedFailuresAre500WithoutDetails() throws Exception {
        HttpResponse<String> reader = plinth.get("/broken");
        JsonNode body = assertError(reader, 500, "InternalServerError");
        assertFalse(reader.body().contains("secret internal detail"));
        assertFalse(reader.body().contains("at dev.plinth"));
        HttpResponse<String> model = plinth.get("/v1/broken");
        assertEquals(500, model.statusCode());
        assertTrue(Plinth.json(model).has("detail"));
        assertFalse(model.body().contains("secret internal detail"));
        assertFalse(body.toString().contains("Exception"));
    }

    @Test
    void modelRoutesAnswerInTheirShape() throws Exception {
        HttpResponse<String> r = plinth.get("/v1/nothing-here");
        assertEquals(404, r.statusCode());
        assertTrue(Plinth.json(r).get("detail").asText().contains("/v1/nothing-here"));
        HttpResponse<String> post = plinth.postJson("/v1/nothing-here", "{}");
        assertEquals(404, post.statusCode());
        assertTrue(Plinth.json(post).has("detail"));
    }

    /**
     * Sends {@code request} as raw bytes (what HttpClient refuses to send) and reads the answer.
     */
    private static String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", plinth.server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void oversizedHeadersGetTheJsonErrorNotAnHtmlPage() throws Exception {
        String answer =
                raw(
                        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
                                + "a".repeat(20_000)
                                + "\r\nConnection: close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
        assertTrue(answer.contains("application/json"), answer);
        assertTrue(answer.contains("\"name\":\"HeadersTooLargeError\""), answer);
        assertFalse(answer.contains("<html"), answer);
    }

    @Test
    void aControlCharacterInAHeaderGetsTheJsonError() throws Exception {
        String answer =
                raw(
                        "GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\nConnection: close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertTrue(answer.contains("application/json"), answer);
        assertTrue(answer.contains("\"code\":400"), answer);
        assertFalse(answer.contains("<html"), answer);
    }

    @Test
    void selectorsThatCostExponentialTimeAreRefusedBeforeTheyRun() throws Exception {
        String bomb = "div:has(".repeat(30) + "p" + ")".repeat(30);
        JsonNode body =
                assertError(
                        plinth.get("/" + site.url("/article"), "X-Target-Selector", bomb),
                        400,
                        "ParamValidationError");
        assertTrue(body.get("message").asText().contains("X-Target-Selector"), body.toString());
        assertError(
                plinth.get(
                        "/" + site.url("/article"), "X-Remove-Selector", "div:has(section:has(p))"),
                400,
                "ParamValidationError");
        assertError(
                plinth.get("/" + site.url("/article"), "X-Target-Selector", "p:matches((a+)+$)"),
                400,
                "ParamValidationError");
        assertError(
                plinth.get("/" + site.url("/article"), "X-Target-Selector", "p, ".repeat(2000)),
                400,
                "ParamValidationError");
    }
}
