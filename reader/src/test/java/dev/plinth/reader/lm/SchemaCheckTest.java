package dev.plinth.reader.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SchemaCheckTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String ARTICLE =
            "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"},"
                    + "\"year\":{\"type\":\"integer\"}},\"required\":[\"title\",\"year\"],"
                    + "\"additionalProperties\":false}";

    @Test
    void acceptsAnAnswerThatConforms() throws Exception {
        SchemaCheck check = SchemaCheck.parse(ARTICLE);
        assertEquals(List.of(), check.errors(JSON.readTree("{\"title\":\"T\",\"year\":2024}")));
    }

    @Test
    void listsEveryViolationWithItsLocation() throws Exception {
        SchemaCheck check = SchemaCheck.parse(ARTICLE);
        List<String> errors = check.errors(JSON.readTree("{\"year\":\"soon\",\"extra\":1}"));
        String all = String.join("\n", errors);
        assertEquals(3, errors.size(), all);
        assertTrue(all.contains("title"), all);
        assertTrue(all.contains("year") && all.contains("integer"), all);
        assertTrue(all.contains("extra"), all);
    }

    @Test
    void refusesASchemaThatIsNotJson() {
        LmException e = assertThrows(LmException.class, () -> SchemaCheck.parse("{type: object"));
        assertEquals(LmException.Kind.BAD_REQUEST, e.kind());
        assertEquals(400, e.kind().status());
        assertTrue(e.getMessage().startsWith("jsonSchema is not valid JSON"), e.getMessage());
    }

    @Test
    void refusesASchemaThatIsNotAnObject() {
        LmException e = assertThrows(LmException.class, () -> SchemaCheck.parse("[1, 2]"));
        assertEquals(LmException.Kind.BAD_REQUEST, e.kind());
    }

    @Test
    void neverFetchesARemoteReference() throws Exception {
        AtomicInteger hits = new AtomicInteger();
        HttpServer server =
                HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(
                "/",
                exchange -> {
                    hits.incrementAndGet();
                    byte[] body = "{\"type\":\"string\"}".getBytes();
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                });
        server.start();
        try {
            String schema =
                    "{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"http://127.0.0.1:"
                            + server.getAddress().getPort()
                            + "/s.json\"}}}";
            LmException e = assertThrows(LmException.class, () -> SchemaCheck.parse(schema));
            assertEquals(LmException.Kind.BAD_REQUEST, e.kind());
            assertTrue(e.getMessage().contains("only refer within itself"), e.getMessage());
            assertEquals(0, hits.get(), "the schema's $ref was fetched");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void resolvesLocalReferences() throws Exception {
        SchemaCheck check =
                SchemaCheck.parse(
                        "{\"$defs\":{\"name\":{\"type\":\"string\"}},\"type\":\"object\","
                                + "\"properties\":{\"n\":{\"$ref\":\"#/$defs/name\"}}}");
        assertEquals(List.of(), check.errors(JSON.readTree("{\"n\":\"x\"}")));
        assertEquals(1, check.errors(JSON.readTree("{\"n\":1}")).size());
    }

    @Test
    void backtrackingPatternIsStoppedNotRunForMinutes() throws Exception {
        SchemaCheck check =
                SchemaCheck.parse(
                        "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\","
                                + "\"pattern\":\"^(.*?,){11}P\"}}}");
        // Each added field multiplies the ways the lazy groups can split the text: the JDK's
        // matcher needs seconds for 25 fields and far longer for 40.
        StringBuilder fields = new StringBuilder();
        for (int i = 1; i <= 40; i++) {
            fields.append(i).append(',');
        }
        String evil = "{\"s\":\"" + fields + "\"}";
        long start = System.nanoTime();
        List<String> errors = check.errors(JSON.readTree(evil));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("takes too long"), errors.get(0));
        assertTrue(ms < 5_000, "took " + ms + " ms");
        assertEquals(
                List.of(), check.errors(JSON.readTree("{\"s\":\"1,2,3,4,5,6,7,8,9,10,11,P\"}")));
    }

    @Test
    void refusesAnOversizedSchema() {
        String big = "{\"description\":\"" + "x".repeat(SchemaCheck.MAX_SCHEMA_CHARS) + "\"}";
        LmException e = assertThrows(LmException.class, () -> SchemaCheck.parse(big));
        assertTrue(e.getMessage().contains("over the cap"), e.getMessage());
    }
}
