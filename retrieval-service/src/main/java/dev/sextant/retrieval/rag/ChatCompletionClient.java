package dev.sextant.retrieval.rag;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.RestClient;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.RetrievalProperties;
import dev.sextant.retrieval.embedding.InferenceCalls;
import dev.sextant.support.SextantException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * inference-service's OpenAI-shaped {@code POST /v1/chat/completions} (contract 6), whole or streamed (SSE
 * {@code data:} lines ending with {@code [DONE]}), behind the {@code inference} circuit breaker; not retried, as a
 * generation is expensive and the caller may already have streamed part of it.
 */
@Component
public class ChatCompletionClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RestClient http;
    private final CircuitBreaker breaker;

    ChatCompletionClient(RestClient.Builder builder, RetrievalProperties properties, ObjectProvider<CircuitBreakerRegistry> breakers) {
        this.http = InferenceCalls.client(builder, properties.inference().url(), properties.inference().chatTimeout());
        this.breaker = breakers.getIfAvailable(CircuitBreakerRegistry::ofDefaults).circuitBreaker("inference");
    }

    public record Message(String role, String content) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ChatRequest(String model, List<Message> messages, Double temperature,
            @JsonProperty("max_tokens") Integer maxTokens,
            @JsonProperty("response_format") Map<String, Object> responseFormat, Boolean stream) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record ChatResponse(List<Choice> choices) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Choice(Message message, @JsonProperty("finish_reason") String finishReason) {
    }

    /** The assistant message's content and why it ended ({@code stop}, or {@code length} when the budget ran out). */
    public record Reply(String content, String finishReason) {
    }

    /** The assistant message. */
    public Reply complete(String model, List<Message> messages, Map<String, Object> responseFormat, int maxTokens) {
        ChatResponse response = InferenceCalls.call("chat", breaker, null, () -> http.post()
                .uri("/v1/chat/completions")
                .contentType(MediaType.APPLICATION_JSON)
                .body(new ChatRequest(model, messages, 0.0, maxTokens, responseFormat, null))
                .retrieve()
                .body(ChatResponse.class));
        if (response == null || response.choices() == null || response.choices().isEmpty()
                || response.choices().getFirst().message() == null || response.choices().getFirst().message().content() == null) {
            throw new SextantException(RetrievalErrors.UPSTREAM_FAILED, null, "inference-service returned no message");
        }
        return new Reply(response.choices().getFirst().message().content(), response.choices().getFirst().finishReason());
    }

    /** Streams the content deltas to {@code onDelta} as they arrive and returns the whole message. */
    public Reply stream(String model, List<Message> messages, Map<String, Object> responseFormat, int maxTokens,
            Consumer<String> onDelta) {
        return InferenceCalls.call("chat", breaker, null, () -> http.post()
                .uri("/v1/chat/completions")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .body(new ChatRequest(model, messages, 0.0, maxTokens, responseFormat, true))
                .exchange((request, response) -> {
                    if (response.getStatusCode().isError()) {
                        byte[] body = response.getBody().readAllBytes();
                        if (response.getStatusCode().is4xxClientError()) {
                            throw HttpClientErrorException.create(response.getStatusCode(), "", response.getHeaders(), body, StandardCharsets.UTF_8);
                        }
                        throw HttpServerErrorException.create(response.getStatusCode(), "", response.getHeaders(), body, StandardCharsets.UTF_8);
                    }
                    StringBuilder content = new StringBuilder();
                    String finishReason = null;
                    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.getBody(), StandardCharsets.UTF_8))) {
                        String line;
                        while ((line = lines.readLine()) != null) {
                            if (!line.startsWith("data:")) {
                                continue;
                            }
                            String data = line.substring(5).trim();
                            if (data.equals("[DONE]")) {
                                break;
                            }
                            JsonNode choice = JSON.readTree(data).at("/choices/0");
                            if (choice.path("finish_reason").isString()) {
                                finishReason = choice.path("finish_reason").asString();
                            }
                            JsonNode delta = choice.at("/delta/content");
                            if (delta.isString() && !delta.asString().isEmpty()) {
                                content.append(delta.asString());
                                onDelta.accept(delta.asString());
                            }
                        }
                    }
                    return new Reply(content.toString(), finishReason);
                }));
    }
}
