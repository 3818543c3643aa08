package dev.sextant.structuredoutput.extract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

import dev.sextant.structuredoutput.grammar.GrammarProperties;
import dev.sextant.structuredoutput.grammar.OutputValidator;
import dev.sextant.structuredoutput.testing.OpenAiUpstream;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v1/extract} over real HTTP against an OpenAI-speaking upstream ({@link OpenAiUpstream}: stories260K's
 * vocabulary, random weights) that compiles the schema through this service and samples under the matcher. The real
 * inference-service cannot be started here: it already depends on this module for its own tests, and Maven refuses
 * the cycle a test dependency back on it would make.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExtractApiIT {

    static OpenAiUpstream inference;
    static volatile int compilerPort;

    @DynamicPropertySource
    static void inferenceUrl(DynamicPropertyRegistry registry) throws Exception {
        inference = new OpenAiUpstream(() -> "http://127.0.0.1:" + compilerPort);
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

    @BeforeEach
    void reset() {
        compilerPort = port;
        inference.ignoreConstraint = null;
        inference.lastChat = null;
        inference.contextLength = null;
    }

    private HttpResponse<String> extract(Object body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/extract")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static final List<String> SCHEMAS = List.of(
            """
            {"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer","minimum":0,"maximum":120}},
             "required":["name","age"],"additionalProperties":false}""",
            """
            {"type":"array","items":{"enum":["cat","dog","bird"]},"minItems":1,"maxItems":3}""",
            """
            {"type":"object","properties":{"title":{"type":"string","minLength":1,"maxLength":12},"when":{"type":"string","format":"date"},
             "place":{"type":["string","null"],"maxLength":10},"guests":{"type":"array","items":{"type":"integer","exclusiveMinimum":0,"maximum":99},"maxItems":4}},
             "required":["title","when","guests"],"additionalProperties":false}""",
            """
            {"$defs":{"id":{"type":"string","format":"uuid"}},"anyOf":[{"type":"object","properties":{"id":{"$ref":"#/$defs/id"}},"required":["id"],"additionalProperties":false},{"type":"boolean"}]}""");

    @Test
    void extractsDataThatValidatesAgainstTheSchema() throws Exception {
        String text = "Lily is three years old. She went to the park with her dog on 2024-05-01.";
        for (String schemaText : SCHEMAS) {
            JsonNode schema = json.readTree(schemaText);
            for (long seed = 1; seed <= 3; seed++) {
                HttpResponse<String> r = extract(Map.of("model", OpenAiUpstream.MODEL, "schema", schema, "text", text,
                        "instructions", "Find the facts.", "temperature", 1.0, "seed", seed));
                assertThat(r.statusCode()).as(schemaText + " seed " + seed + ": " + r.body()).isEqualTo(200);
                JsonNode body = json.readTree(r.body());
                assertThat(OutputValidator.validate(schemaText, body.get("data").toString())).as(body.toString()).isEmpty();
                JsonNode usage = body.get("usage");
                assertThat(usage.get("prompt_tokens").asInt()).isPositive();
                assertThat(usage.get("completion_tokens").asInt()).isPositive();
                assertThat(usage.get("total_tokens").asInt()).isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());

                JsonNode sent = inference.lastChat;
                assertThat(sent.at("/response_format/type").asText()).isEqualTo("json_schema");
                assertThat(sent.at("/response_format/json_schema/schema")).isEqualTo(schema);
                assertThat(sent.at("/seed").asLong()).isEqualTo(seed);
                assertThat(sent.at("/messages/0/content").asText()).startsWith("Find the facts.").contains(schema.toString());
                assertThat(sent.at("/messages/1/content").asText()).isEqualTo(text);
            }
        }
    }

    @Test
    void refusesAnUnsupportedKeywordNamingItsPointerBeforeGenerating() throws Exception {
        HttpResponse<String> r = extract(Map.of("model", OpenAiUpstream.MODEL, "text", "x",
                "schema", json.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\",\"multipleOf\":3}}}")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        JsonNode p = json.readTree(r.body());
        assertThat(p.get("keyword").asText()).isEqualTo("multipleOf");
        assertThat(p.get("pointer").asText()).isEqualTo("#/properties/a/multipleOf");
        assertThat(inference.lastChat).as("no generation for a refused schema").isNull();
    }

    @Test
    void namesMissingFieldsAndUnknownModels() throws Exception {
        HttpResponse<String> noText = extract(Map.of("model", OpenAiUpstream.MODEL, "schema", Map.of("type", "string")));
        assertThat(noText.statusCode()).isEqualTo(400);
        assertThat(json.readTree(noText.body()).get("field").asText()).isEqualTo("text");

        HttpResponse<String> notSchema = extract(Map.of("model", OpenAiUpstream.MODEL, "schema", "string", "text", "x"));
        assertThat(notSchema.statusCode()).isEqualTo(400);
        assertThat(json.readTree(notSchema.body()).get("field").asText()).isEqualTo("schema");

        HttpResponse<String> numberAsText = extract(Map.of("model", OpenAiUpstream.MODEL, "schema", Map.of("type", "string"), "text", 7));
        assertThat(numberAsText.statusCode()).isEqualTo(400);
        assertThat(json.readTree(numberAsText.body()).get("field").asText()).isEqualTo("text");

        HttpResponse<String> unknown = extract(Map.of("model", "gpt-9", "schema", Map.of("type", "string"), "text", "x"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json.readTree(unknown.body()).get("type").asText()).endsWith("/model-not-found");
        assertThat(json.readTree(unknown.body()).get("detail").asText()).contains("gpt-9");
    }

    @Test
    void neverAnswersDataThatDoesNotValidate() throws Exception {
        inference.ignoreConstraint = "{\"name\":\"Lily\",\"age\":-3}";
        HttpResponse<String> r = extract(Map.of("model", OpenAiUpstream.MODEL, "text", "Lily is three.", "schema", json.readTree(SCHEMAS.get(0))));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        JsonNode p = json.readTree(r.body());
        assertThat(p.get("type").asText()).endsWith("/extraction-invalid");
        assertThat(p.get("detail").asText()).contains("age");
        assertThat(r.body()).doesNotContain("\"data\"");
    }

    @Test
    void saysWhenTheOutputRanOutOfTokens() throws Exception {
        HttpResponse<String> r = extract(Map.of("model", OpenAiUpstream.MODEL, "text", "Lily", "max_tokens", 1,
                "schema", json.readTree("{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":8}},\"required\":[\"name\"]}")));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        JsonNode p = json.readTree(r.body());
        assertThat(p.get("type").asText()).endsWith("/extraction-truncated");
        assertThat(p.get("field").asText()).isEqualTo("max_tokens");
    }

    private static final String LILY = "Lily is three years old.";

    /** What inference-service counts for the extraction of {@link #LILY} under the first schema, asked without a limit. */
    private Map<String, Object> lily(Integer maxTokens) throws Exception {
        Map<String, Object> request = new java.util.HashMap<>(Map.of("model", OpenAiUpstream.MODEL, "text", LILY,
                "schema", json.readTree(SCHEMAS.get(0)), "seed", 1));
        if (maxTokens != null) {
            request.put("max_tokens", maxTokens);
        }
        return request;
    }

    private int lilyPromptTokens() throws Exception {
        HttpResponse<String> r = extract(lily(null));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body()).at("/usage/prompt_tokens").asInt();
    }

    @Test
    void withoutMaxTokensTheDefaultIsSizedToWhatTheContextLeaves() throws Exception {
        int prompt = lilyPromptTokens();
        inference.contextLength = prompt + 200; // the default 512 does not fit; the object does
        int before = inference.chats.size();
        HttpResponse<String> r = extract(lily(null));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(OutputValidator.validate(SCHEMAS.get(0), json.readTree(r.body()).get("data").toString())).isEmpty();
        assertThat(inference.chats.subList(before, inference.chats.size())).extracting(c -> c.get("max_tokens").asInt())
                .containsExactly(512, 200);
    }

    @Test
    void maxTokensPastTheContextIs400SayingWhatFits() throws Exception {
        int prompt = lilyPromptTokens();
        inference.contextLength = prompt + 200;
        int before = inference.chats.size();
        HttpResponse<String> r = extract(lily(201));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
        JsonNode p = json.readTree(r.body());
        assertThat(p.get("type").asText()).endsWith("/context-length-exceeded");
        assertThat(p.get("field").asText()).isEqualTo("max_tokens");
        assertThat(p.get("detail").asText()).contains(prompt + " tokens").contains("set max_tokens to at most 200, or shorten the text");
        assertThat(p.get("contextLength").asInt()).isEqualTo(prompt + 200);
        assertThat(p.get("promptTokens").asInt()).isEqualTo(prompt);
        assertThat(p.get("maxTokens").asInt()).isEqualTo(201);
        assertThat(inference.chats).as("the client's budget is not lowered behind its back").hasSize(before + 1);
        assertThat(extract(lily(200)).statusCode()).isEqualTo(200);
    }

    @Test
    void textThatAloneFillsTheContextIs400NamingText() throws Exception {
        int prompt = lilyPromptTokens();
        inference.contextLength = prompt;
        for (Integer maxTokens : new Integer[] {null, 1}) {
            HttpResponse<String> r = extract(lily(maxTokens));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            JsonNode p = json.readTree(r.body());
            assertThat(p.get("type").asText()).endsWith("/context-length-exceeded");
            assertThat(p.get("field").asText()).isEqualTo("text");
            assertThat(p.get("detail").asText()).contains("leaving none for the output; shorten the text");
            assertThat(p.get("promptTokens").asInt()).isEqualTo(prompt);
        }
    }

    @Test
    void answers503WhenInferenceCannotBeReached() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        InferenceClient client = new InferenceClient(RestClient.builder(),
                new GrammarProperties("http://127.0.0.1:" + dead, Duration.ofSeconds(5), 1000, 1 << 20, 1, 1, 1),
                new ExtractProperties(Duration.ofSeconds(5), 16), JsonMapper.builder().build());
        assertThatThrownBy(() -> client.chat(Map.of("model", "m")))
                .isInstanceOfSatisfying(SextantException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.UPSTREAM_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("cannot be reached");
                    assertThat(e.properties()).containsKey("retryAfterSeconds");
                });
    }
}
