package dev.sextant.inference.completion;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.sextant.inference.gguf.SharedData;
import dev.sextant.inference.model.ModelRegistry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prompt + max_tokens past the context is refused before anything is queued, as vLLM and OpenAI refuse it: a 400
 * naming the context length, the prompt tokens and the budget, in OpenAI's shape under /v1 and as a problem on the
 * Takeoff endpoints, and before any event of a stream. The context is cut to 384 tokens (stories260K was trained
 * on 2048), so the limit enforced is the served one, not the trained one.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ContextLengthIT {

    private static final int CONTEXT = 384;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String STORY = "Once upon a time there was a little girl named Lily. She liked to play outside.";

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("sextant.inference.structured-output-url", () -> "http://127.0.0.1:9"); // nothing listens there
        registry.add("sextant.inference.default-model", () -> SharedData.file("models/stories260K.gguf").toString());
        registry.add("sextant.inference.threads", () -> "2");
        registry.add("sextant.inference.context-tokens", () -> String.valueOf(CONTEXT));
    }

    @LocalServerPort
    int port;

    @Autowired
    ModelRegistry registry;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void nothingRunning() {
        assertThat(registry.resolve("stories260K").scheduler().runningCount()).isZero();
    }

    private HttpResponse<String> post(String path, Object body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<Integer> promptIds(int n) {
        return IntStream.range(0, n).map(i -> 1 + i % 300).boxed().toList();
    }

    private static Map<String, Object> completion(int promptTokens, Integer maxTokens, boolean stream) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("model", "stories260K", "prompt", promptIds(promptTokens),
                "temperature", 0, "ignore_eos", true, "stream", stream));
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
        }
        return body;
    }

    private static Map<String, Object> chat(String content, Integer maxTokens, boolean stream) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("model", "stories260K",
                "messages", List.of(Map.of("role", "user", "content", content)), "temperature", 0, "ignore_eos", true,
                "stream", stream));
        if (maxTokens != null) {
            body.put("max_tokens", maxTokens);
        }
        return body;
    }

    /** An OpenAI-shaped 400 (never an event stream) with code context_length_exceeded, naming {@code param}. */
    private static JsonNode contextError(HttpResponse<String> response, String param) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asString()).isEqualTo("context_length_exceeded");
        assertThat(error.get("param").asString()).isEqualTo(param);
        assertThat(error.get("message").asString()).startsWith("This model's maximum context length is " + CONTEXT + " tokens.");
        return error;
    }

    private int chatPromptTokens(String content) throws Exception {
        HttpResponse<String> one = post("/v1/chat/completions", chat(content, 1, false));
        assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
        return JSON.readTree(one.body()).at("/usage/prompt_tokens").asInt();
    }

    @Test
    void theModelListsTheServedContextNotTheTrainedOne() throws Exception {
        JsonNode models = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertThat(models.at("/data/0/max_model_len").asInt()).isEqualTo(CONTEXT);
        JsonNode managed = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/v1/management/models")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(managed.at("/0/context_length").asInt()).isEqualTo(2048); // trained
        assertThat(managed.at("/0/max_model_len").asInt()).isEqualTo(CONTEXT);
    }

    @Test
    void completionWhoseMaxTokensPassesTheContextIs400NamingTheNumbers() throws Exception {
        JsonNode error = contextError(post("/v1/completions", completion(100, CONTEXT - 99, false)), "max_tokens");
        assertThat(error.get("message").asString()).contains("you requested " + (CONTEXT + 1) + " tokens (100 in the prompt, "
                + (CONTEXT - 99) + " in the completion)").endsWith("set max_tokens to at most " + (CONTEXT - 100) + ".");
        assertThat(error.get("context_length").asInt()).isEqualTo(CONTEXT); // the numbers as fields, for callers
        assertThat(error.get("prompt_tokens").asInt()).isEqualTo(100);
        assertThat(error.get("completion_tokens").asInt()).isEqualTo(CONTEXT - 99);
    }

    @Test
    void completionThatExactlyFillsTheContextRunsToItsEnd() throws Exception {
        HttpResponse<String> response = post("/v1/completions", completion(100, CONTEXT - 100, false));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.at("/usage/prompt_tokens").asInt()).isEqualTo(100);
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(CONTEXT - 100);
        assertThat(body.at("/choices/0/finish_reason").asString()).isEqualTo("length");
    }

    @Test
    void streamedCompletionPastTheContextIs400BeforeAnyEvent() throws Exception {
        JsonNode error = contextError(post("/v1/completions", completion(CONTEXT - 10, 11, true)), "max_tokens");
        assertThat(error.get("message").asString()).contains("(" + (CONTEXT - 10) + " in the prompt, 11 in the completion)");
    }

    @Test
    void completionWithoutMaxTokensGetsItsDefaultCutToWhatFits() throws Exception {
        HttpResponse<String> response = post("/v1/completions", completion(CONTEXT - 5, null, false));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).at("/usage/completion_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void completionPromptThatAloneFillsTheContextIs400NamingThePrompt() throws Exception {
        for (boolean stream : new boolean[] {false, true}) {
            for (Integer max : new Integer[] {null, 1}) {
                JsonNode error = contextError(post("/v1/completions", completion(CONTEXT, max, stream)), "prompt");
                assertThat(error.get("message").asString()).contains("your prompt resulted in " + CONTEXT + " tokens");
            }
        }
    }

    @Test
    void chatWhoseMaxTokensPassesTheContextIs400StreamedOrNot() throws Exception {
        int prompt = chatPromptTokens(STORY);
        for (boolean stream : new boolean[] {false, true}) {
            JsonNode error = contextError(post("/v1/chat/completions", chat(STORY, CONTEXT - prompt + 1, stream)), "max_tokens");
            assertThat(error.get("message").asString()).contains("you requested " + (CONTEXT + 1) + " tokens (" + prompt
                    + " in the messages, " + (CONTEXT - prompt + 1) + " in the completion)");
            assertThat(error.get("context_length").asInt()).isEqualTo(CONTEXT);
            assertThat(error.get("prompt_tokens").asInt()).isEqualTo(prompt);
            assertThat(error.get("completion_tokens").asInt()).isEqualTo(CONTEXT - prompt + 1);
        }
        Map<String, Object> newName = chat(STORY, null, false);
        newName.put("max_completion_tokens", CONTEXT);
        contextError(post("/v1/chat/completions", newName), "max_completion_tokens");
    }

    @Test
    void chatWithoutMaxTokensGeneratesUpToWhatFits() throws Exception {
        int prompt = chatPromptTokens(STORY);
        HttpResponse<String> response = post("/v1/chat/completions", chat(STORY, null, false));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(CONTEXT - prompt);
        assertThat(body.at("/choices/0/finish_reason").asString()).isEqualTo("length");
    }

    @Test
    void chatMessagesThatAloneExceedTheContextAre400NamingMessages() throws Exception {
        String longStory = (STORY + " ").repeat(40);
        for (boolean stream : new boolean[] {false, true}) {
            JsonNode error = contextError(post("/v1/chat/completions", chat(longStory, null, stream)), "messages");
            assertThat(error.get("message").asString()).containsPattern("your messages resulted in \\d+ tokens");
            assertThat(error.get("context_length").asInt()).isEqualTo(CONTEXT);
            assertThat(error.get("prompt_tokens").asInt()).isGreaterThan(CONTEXT);
            assertThat(error.has("completion_tokens")).isFalse();
        }
    }

    /** A problem+json 400 of type context-length-exceeded naming {@code field}, with the numbers as properties. */
    private static JsonNode contextProblem(HttpResponse<String> response, String field) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.get("type").asString()).isEqualTo("https://sextant.dev/problems/context-length-exceeded");
        assertThat(problem.get("field").asString()).isEqualTo(field);
        assertThat(problem.get("contextLength").asInt()).isEqualTo(CONTEXT);
        assertThat(problem.get("detail").asString()).startsWith("This model's maximum context length is " + CONTEXT + " tokens.");
        return problem;
    }

    @Test
    void takeoffMaxNewTokensPastTheContextIsAProblemOnBothEndpoints() throws Exception {
        int prompt = registry.resolve("stories260K").tokenizer().encode(STORY, true, false).length;
        for (String path : List.of("/generate", "/generate_stream")) {
            JsonNode problem = contextProblem(post(path, Map.of("text", STORY, "max_new_tokens", CONTEXT)), "max_new_tokens");
            assertThat(problem.get("promptTokens").asInt()).isEqualTo(prompt);
            assertThat(problem.get("maxNewTokens").asInt()).isEqualTo(CONTEXT);
            assertThat(problem.get("detail").asString()).contains("(" + prompt + " in the text, " + CONTEXT + " in the completion)")
                    .endsWith("set max_new_tokens to at most " + (CONTEXT - prompt) + ".");
        }
        HttpResponse<String> fits = post("/generate", Map.of("text", STORY, "max_new_tokens", CONTEXT - prompt, "sampling_temperature", 0));
        assertThat(fits.statusCode()).as(fits.body()).isEqualTo(200);
    }

    @Test
    void takeoffTextThatAloneExceedsTheContextIsAProblemNamingText() throws Exception {
        String longStory = (STORY + " ").repeat(40);
        for (String path : List.of("/generate", "/generate_stream")) {
            JsonNode problem = contextProblem(post(path, Map.of("text", longStory)), "text");
            assertThat(problem.has("maxNewTokens")).isFalse();
            assertThat(problem.get("promptTokens").asInt()).isGreaterThan(CONTEXT);
        }
    }
}
