package dev.sextant.structuredoutput.grammar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.structuredoutput.testing.Feed;
import dev.sextant.structuredoutput.testing.Tokenize;

/** Contract 3 over real HTTP, with vocabularies from a stub inference-service serving contract 2. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "sextant.structured-output.compile-timeout=3s")
class GrammarApiIT {

    static StubInferenceServer inference;

    @DynamicPropertySource
    static void inferenceUrl(DynamicPropertyRegistry registry) throws Exception {
        inference = new StubInferenceServer();
        registry.add("sextant.structured-output.inference-url", inference::url);
    }

    @AfterAll
    static void stop() {
        inference.close();
    }

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    private HttpResponse<String> post(String path, String body) throws Exception {
        // the request timeout turns a hanging compile into a failure; the server's own budget is 3 s
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(java.time.Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private <T> HttpResponse<T> get(String path, HttpResponse.BodyHandler<T> handler) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), handler);
    }

    @Test
    void compilesASchemaAndServesAnArtifactTheMatcherRuns() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":20},\"age\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}";
        HttpResponse<String> created = post("/v1/grammars", "{\"model\":\"stories260K\",\"json_schema\":" + schema + "}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode body = json.readTree(created.body());
        String id = body.get("id").asText();
        assertThat(body.get("tokenizer_hash").asText()).isEqualTo(inference.vocabulary.hash());
        assertThat(body.get("stats").get("states").asInt()).isPositive();
        assertThat(body.get("enforced_keywords").toString()).contains("additionalProperties", "maxLength", "minimum", "required");
        assertThat(created.headers().firstValue("Location")).hasValue("/v1/grammars/" + id);

        assertThat(json.readTree(get("/v1/grammars/" + id, HttpResponse.BodyHandlers.ofString()).body()).get("hash").asText())
                .isEqualTo(body.get("hash").asText());
        HttpResponse<byte[]> artifact = get("/v1/grammars/" + id + "/artifact", HttpResponse.BodyHandlers.ofByteArray());
        assertThat(artifact.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
        ConstraintArtifact a = ConstraintArtifact.read(new ByteArrayInputStream(artifact.body()));
        Tokenize tokenizer = new Tokenize(a.vocabulary());
        assertThat(Feed.accepts(a, tokenizer, "{\"name\":\"Lily\",\"age\":3}")).isTrue();
        assertThat(Feed.accepts(a, tokenizer, "{\"name\":\"Lily\",\"age\":-3}")).isFalse();

        HttpResponse<String> again = post("/v1/grammars", "{\"model\":\"stories260K\",\"json_schema\":" + schema + "}");
        assertThat(json.readTree(again.body()).get("id").asText()).isEqualTo(id);
        String metrics = get("/actuator/prometheus", HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("sextant_grammar_cache_total{application=\"structured-output-service\",result=\"hit\"}")
                .contains("sextant_grammar_compile_seconds_bucket");
    }

    @Test
    void refusesAnUnsupportedKeywordNamingItsPointer() throws Exception {
        HttpResponse<String> r = post("/v1/grammars", "{\"model\":\"stories260K\",\"json_schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"not\":{}}}}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        JsonNode p = json.readTree(r.body());
        assertThat(p.get("keyword").asText()).isEqualTo("not");
        assertThat(p.get("pointer").asText()).isEqualTo("#/properties/a/not");
        assertThat(p.get("type").asText()).endsWith("/unsupported-constraint");
    }

    @Test
    void answersATooLargeSchemaWith422InBoundedTime() throws Exception {
        HttpResponse<String> r = post("/v1/grammars", "{\"model\":\"stories260K\",\"json_schema\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":100000},\"maxItems\":100000}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(json.readTree(r.body()).get("type").asText()).endsWith("/constraint-too-large");
    }

    @Test
    void answersAnInvalidRegexWith400AndThePosition() throws Exception {
        HttpResponse<String> r = post("/v1/grammars", "{\"model\":\"stories260K\",\"regex\":\"[a-z\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("invalid-constraint");
        HttpResponse<String> look = post("/v1/grammars", "{\"model\":\"stories260K\",\"regex\":\"a(?!b)\"}");
        assertThat(look.statusCode()).isEqualTo(400);
        assertThat(look.body()).contains("position 1");
    }

    @Test
    void refusesTwoConstraintsAtOnceAndUnknownModels() throws Exception {
        assertThat(post("/v1/grammars", "{\"model\":\"stories260K\",\"regex\":\"a\",\"choice\":[\"b\"]}").statusCode()).isEqualTo(400);
        assertThat(post("/v1/grammars", "{\"model\":\"nope\",\"regex\":\"a\"}").statusCode()).isEqualTo(404);
        assertThat(get("/v1/grammars/grm_missing", HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    @Test
    void compilesChoiceAndGrammarAndListsCapabilities() throws Exception {
        assertThat(post("/v1/grammars", "{\"model\":\"stories260K\",\"choice\":[\"yes\",\"no\"]}").statusCode()).isEqualTo(201);
        assertThat(post("/v1/grammars", "{\"model\":\"stories260K\",\"grammar\":\"root ::= \\\"(\\\" root* \\\")\\\"\"}").statusCode()).isEqualTo(201);
        JsonNode caps = json.readTree(get("/v1/grammars/capabilities", HttpResponse.BodyHandlers.ofString()).body());
        assertThat(caps.get("json_schema").get("enforced_keywords").toString()).contains("$ref", "pattern", "format");
    }

    @Test
    void validatesOutputsAgainstTheOriginalSchema() throws Exception {
        String id = json.readTree(post("/v1/grammars", "{\"model\":\"stories260K\",\"json_schema\":{\"type\":\"string\",\"format\":\"date\"}}").body()).get("id").asText();
        JsonNode ok = json.readTree(post("/v1/grammars/" + id + "/validate", "{\"output\":\"\\\"2024-02-29\\\"\"}").body());
        assertThat(ok.get("valid").asBoolean()).isTrue();
        JsonNode bad = json.readTree(post("/v1/grammars/" + id + "/validate", "{\"output\":\"\\\"2023-02-30\\\"\"}").body());
        assertThat(bad.get("valid").asBoolean()).isFalse();
    }
}
