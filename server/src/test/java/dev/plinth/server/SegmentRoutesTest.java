package dev.plinth.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.models.Segmenter;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SegmentRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Javalin app;

    @BeforeAll
    static void start() {
        app = Javalin.create();
        Errors.install(app);
        new SegmentRoutes(new Segmenter()).register(app);
        app.start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        app.stop();
    }

    private static HttpResponse<String> post(String body) throws Exception {
        HttpRequest request =
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/v1/segment"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void countsTokensWithTheDefaultTokenizer() throws Exception {
        HttpResponse<String> response = post("{\"content\": \"Hello world, hello plinth.\"}");
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = JSON.readTree(response.body());
        assertEquals("cl100k_base", body.get("tokenizer").asText());
        assertTrue(body.get("num_tokens").asInt() >= 5);
        assertEquals(body.get("num_tokens").asInt(), body.at("/usage/tokens").asInt());
        assertFalse(body.has("chunks"), "no chunks unless asked");
        assertFalse(body.has("tokens"), "no tokens unless asked");
    }

    @Test
    void returnsTokensAsTextAndIds() throws Exception {
        JsonNode body =
                JSON.readTree(post("{\"content\": \"Hi 🚀\", \"return_tokens\": true}").body());
        JsonNode tokens = body.get("tokens");
        StringBuilder text = new StringBuilder();
        int ids = 0;
        for (JsonNode token : tokens) {
            assertEquals(2, token.size(), token.toString());
            text.append(token.get(0).asText());
            ids += token.get(1).size();
        }
        assertEquals("Hi 🚀", text.toString());
        assertEquals(body.get("num_tokens").asInt(), ids);
    }

    @Test
    void returnsChunksWithTheirPositions() throws Exception {
        String content = "First paragraph.\\n\\nSecond paragraph is here.";
        JsonNode body =
                JSON.readTree(
                        post("{\"content\": \""
                                        + content
                                        + "\", \"return_chunks\": true, \"return_tokens\": true}")
                                .body());
        assertEquals(2, body.get("num_chunks").asInt());
        assertEquals("Second paragraph is here.", body.at("/chunks/1").asText());
        assertEquals(18, body.at("/chunk_positions/1/0").asInt());
        assertEquals(43, body.at("/chunk_positions/1/1").asInt());
        assertEquals(2, body.get("tokens").size(), "tokens grouped per chunk");
    }

    @Test
    void keepsTheHeadOrTail() throws Exception {
        JsonNode body =
                JSON.readTree(
                        post("{\"content\": \"one two three four\", \"head\": 2, \"return_tokens\": true}")
                                .body());
        assertEquals(4, body.get("num_tokens").asInt());
        assertEquals(2, body.get("tokens").size());
        assertEquals(" two", body.at("/tokens/1/0").asText());
    }

    @Test
    void refusesBadRequestsWith422AndDetail() throws Exception {
        String[] bad = {
            "{}",
            "{\"content\": 5}",
            "{\"content\": \"x\", \"tokenizer\": \"no-such\"}",
            "{\"content\": \"x\", \"max_chunk_length\": 0}",
            "{\"content\": \"x\", \"head\": 1, \"tail\": 1}",
            "{\"content\": \"x\", \"return_chunks\": \"yes\"}",
            "not json",
            "[1, 2]",
        };
        for (String body : bad) {
            HttpResponse<String> response = post(body);
            assertEquals(422, response.statusCode(), body + " → " + response.body());
            JsonNode detail = JSON.readTree(response.body()).get("detail");
            assertTrue(
                    detail != null && detail.isTextual() && !detail.asText().isBlank(),
                    response.body());
        }
    }
}
