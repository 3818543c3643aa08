package dev.sextant.inference.constraint;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.sextant.inference.gguf.SharedData;
import dev.sextant.structuredoutput.StructuredOutputApplication;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Constraints enforced token by token inside the engine: the real structured-output-service compiles them (started
 * in-process on its own port, fetching the vocabulary from this inference-service), the real engine generates
 * under the mask with stories260K, whose unconstrained output is never JSON.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT)
class ConstrainedGenerationIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Reserved before either service starts, so that each can be told where the other is. */
    private static final int INFERENCE_PORT = freePort();
    private static ConfigurableApplicationContext compiler;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("server.port", () -> String.valueOf(INFERENCE_PORT));
        registry.add("sextant.inference.default-model", () -> SharedData.file("models/stories260K.gguf").toString());
        registry.add("sextant.inference.threads", () -> "2");
        registry.add("sextant.inference.structured-output-url", ConstrainedGenerationIT::compilerUrl);
    }

    /** Starts the compiler lazily, once this service's port is known (it asks us for the vocabulary). */
    static synchronized String compilerUrl() {
        if (compiler == null) {
            compiler = new SpringApplicationBuilder(StructuredOutputApplication.class)
                    .properties("spring.config.location=optional:classpath:/no-such-dir/",
                            "spring.config.import=classpath:sextant-defaults.yml",
                            "spring.application.name=structured-output-service", "server.port=0",
                            "sextant.structured-output.compile-timeout=20s", "sextant.structured-output.max-states=200000",
                            "sextant.structured-output.max-artifact-bytes=67108864", "sextant.structured-output.compile-threads=1",
                            "sextant.structured-output.compile-queue=8", "sextant.structured-output.cache-size=32")
                    .properties(Map.of("sextant.structured-output.inference-url", "http://127.0.0.1:" + INFERENCE_PORT))
                    .run();
        }
        return "http://127.0.0.1:" + ((WebServerApplicationContext) compiler).getWebServer().getPort();
    }

    @AfterAll
    static void stopCompiler() {
        if (compiler != null) {
            compiler.close();
            compiler = null;
        }
    }

    private static int freePort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void jsonSchemaResponseFormatAlwaysParsesAndValidates() throws Exception {
        String schema = """
                {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12},
                 "age": {"type": "integer", "minimum": 0, "maximum": 120}, "pet": {"enum": ["cat", "dog"]}},
                 "required": ["name", "age", "pet"], "additionalProperties": false}""";
        for (int seed = 1; seed <= 3; seed++) {
            HttpResponse<String> response = post("/v1/chat/completions", """
                    {"model": "stories260K", "messages": [{"role": "user", "content": "Who is Lily?"}], "max_tokens": 80,
                     "temperature": 1.0, "seed": %d,
                     "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": %s}}}"""
                    .formatted(seed, schema));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.at("/choices/0/finish_reason").asString()).isEqualTo("stop");
            JsonNode person = JSON.readTree(body.at("/choices/0/message/content").asString());
            assertThat(person.get("name").isString()).isTrue();
            assertThat(person.get("name").asString().length()).isLessThanOrEqualTo(12);
            assertThat(person.get("age").asInt()).isBetween(0, 120);
            assertThat(person.get("pet").asString()).isIn("cat", "dog");
            assertThat(person.size()).isEqualTo(3);
        }
    }

    /** structured-output-service's /v1/extract over this real engine: data that validates, usage counted. */
    @Test
    void extractionThroughStructuredOutputReturnsValidatedData() throws Exception {
        String schema = """
                {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10},
                 "age": {"type": "integer", "minimum": 0, "maximum": 99}, "pet": {"enum": ["cat", "dog", "bird"]}},
                 "required": ["name", "age", "pet"], "additionalProperties": false}""";
        for (int seed = 1; seed <= 2; seed++) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(compilerUrl() + "/v1/extract"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
                            {"model": "stories260K", "schema": %s, "text": "Lily was a little girl. She was five and had a cat.",
                             "max_tokens": 80, "temperature": 1.0, "seed": %d}""".formatted(schema, seed))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            JsonNode data = body.get("data");
            assertThat(data.get("name").asString().length()).isLessThanOrEqualTo(10);
            assertThat(data.get("age").asInt()).isBetween(0, 99);
            assertThat(data.get("pet").asString()).isIn("cat", "dog", "bird");
            assertThat(data.size()).isEqualTo(3);
            assertThat(body.at("/usage/completion_tokens").asInt()).isPositive();
        }
    }

    @Test
    void guidedChoiceAnswersOneOfTheChoices() throws Exception {
        HttpResponse<String> response = post("/v1/completions", """
                {"model": "stories260K", "prompt": "The weather is", "max_tokens": 10, "temperature": 1.0, "seed": 9,
                 "guided_choice": ["sunny", "rainy", "cloudy"]}""");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).at("/choices/0/text").asString()).isIn("sunny", "rainy", "cloudy");
    }

    @Test
    void guidedRegexIsMatchedExactly() throws Exception {
        HttpResponse<String> response = post("/v1/completions", """
                {"model": "stories260K", "prompt": "Call", "max_tokens": 20, "temperature": 1.0, "seed": 4,
                 "guided_regex": "[0-9]{3}-[0-9]{4}"}""");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).at("/choices/0/text").asString()).matches("[0-9]{3}-[0-9]{4}");
    }

    @Test
    void anUnenforceableKeywordIsRefusedUpFrontNamingIt() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", """
                {"model": "stories260K", "messages": [{"role": "user", "content": "x"}],
                 "response_format": {"type": "json_schema", "json_schema": {"name": "x",
                   "schema": {"type": "object", "patternProperties": {"^a": {"type": "string"}}}}}}""");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("param").asString()).isEqualTo("response_format.json_schema.schema");
        assertThat(error.get("message").asString()).contains("patternProperties");
    }

    @Test
    void takeoffJsonSchemaIsEnforcedToo() throws Exception {
        HttpResponse<String> response = post("/generate", """
                {"text": "Once upon a time", "sampling_temperature": 0.8, "seed": 2, "max_new_tokens": 60,
                 "json_schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
                                 "additionalProperties": false}}""");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode out = JSON.readTree(JSON.readTree(response.body()).get("text").asString());
        assertThat(out.get("ok").isBoolean()).isTrue();
    }
}
