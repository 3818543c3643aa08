package dev.sextant.inference.completion;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.sextant.inference.gguf.SharedData;
import dev.sextant.inference.model.ModelRegistry;
import dev.sextant.inference.scheduler.SchedulerConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A full waiting queue answers 429 with Retry-After in OpenAI's shape (and as a problem on Takeoff's API), never grows. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class QueueFullIT {

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("sextant.inference.default-model", () -> SharedData.file("models/stories260K.gguf").toString());
        registry.add("sextant.inference.max-waiting", () -> "0"); // no room: every request finds the queue full
        registry.add("sextant.inference.mixed-prefill-tokens", () -> "24");
        registry.add("sextant.inference.prefill-bursts-first", () -> "false");
    }

    @Autowired
    ModelRegistry registry;

    @Test
    void theStepPolicyComesFromConfiguration() {
        SchedulerConfig config = registry.resolve("stories260K").scheduler().config();
        assertThat(config.maxWaiting()).isZero();
        assertThat(config.mixedPrefillTokens()).isEqualTo(24);
        assertThat(config.prefillBurstsFirst()).isFalse();
    }

    @LocalServerPort
    int port;

    private HttpResponse<String> post(String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFullQueueIs429WithRetryAfterInOpenAiShape() throws Exception {
        HttpResponse<String> response = post("/v1/completions", """
                {"model": "stories260K", "prompt": "Once", "max_tokens": 4}""");
        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        JsonNode error = JsonMapper.builder().build().readTree(response.body()).get("error");
        assertThat(error.get("code").asString()).isEqualTo("rate_limit_exceeded");
    }

    @Test
    void aFullQueueIs429ProblemOnTheTakeoffApi() throws Exception {
        HttpResponse<String> response = post("/generate", """
                {"text": "Once", "max_new_tokens": 4}""");
        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    }
}
