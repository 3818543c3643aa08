package dev.sextant.structuredoutput.extract;

import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;
import org.springframework.web.client.RestClientResponseException;

import dev.sextant.structuredoutput.grammar.GrammarProperties;
import dev.sextant.structuredoutput.grammar.VocabularyClient;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Calls inference-service's OpenAI-compatible {@code POST /v1/chat/completions} and turns its OpenAI-shaped errors
 * into this service's problems: unknown model 404, a prompt + max_tokens past the model's context 400
 * {@code context-length-exceeded} carrying inference-service's numbers ({@link ExtractService} phrases it in the
 * terms of the extract request), another refused parameter 400 naming it, an unreachable or failing engine 503.
 */
@Component
class InferenceClient {

    static final ErrorCode REFUSED = ErrorCode.of("inference-refused", HttpStatus.BAD_REQUEST, "Inference-service refused the request");
    static final ErrorCode CONTEXT_LENGTH_EXCEEDED = ErrorCode.of("context-length-exceeded", HttpStatus.BAD_REQUEST,
            "The instructions, schema, text and output do not fit the model's context");
    static final ErrorCode INVALID_OUTPUT = ErrorCode.of("extraction-invalid", HttpStatus.UNPROCESSABLE_CONTENT,
            "The model's output does not validate against the schema");

    /** The answer's text, why it ended, and token counts. */
    record Completion(String content, String finishReason, int promptTokens, int completionTokens) {
    }

    private final RestClient http;
    private final JsonMapper json;

    InferenceClient(RestClient.Builder builder, GrammarProperties grammar, ExtractProperties properties, JsonMapper json) {
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory();
        factory.setReadTimeout(properties.timeout());
        this.http = builder.baseUrl(grammar.inferenceUrl()).requestFactory(factory).build();
        this.json = json;
    }

    Completion chat(Map<String, Object> body) {
        JsonNode answer;
        try {
            answer = http.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON).body(body)
                    .retrieve().body(JsonNode.class);
        } catch (RestClientResponseException e) {
            throw translate(e);
        } catch (RestClientException e) {
            throw new SextantException(ErrorCode.UPSTREAM_UNAVAILABLE, null, "inference-service cannot be reached: "
                    + (e.getMostSpecificCause().getMessage() != null ? e.getMostSpecificCause().getMessage() : e.getMostSpecificCause().toString()),
                    Map.of("retryAfterSeconds", 5), e);
        }
        JsonNode choice = answer == null ? null : answer.path("choices").path(0);
        if (choice == null || !choice.path("message").path("content").isString()) {
            throw new SextantException(ErrorCode.UPSTREAM_UNAVAILABLE, null, "inference-service answered without a message: " + answer);
        }
        JsonNode usage = answer.path("usage");
        return new Completion(choice.path("message").path("content").asString(), choice.path("finish_reason").asString(""),
                usage.path("prompt_tokens").asInt(0), usage.path("completion_tokens").asInt(0));
    }

    private SextantException translate(RestClientResponseException e) {
        JsonNode error;
        try {
            error = json.readTree(e.getResponseBodyAsString()).path("error");
        } catch (RuntimeException notJson) {
            error = json.createObjectNode();
        }
        String message = error.path("message").asString(e.getStatusText());
        String param = error.path("param").isString() ? error.path("param").asString() : null;
        int status = e.getStatusCode().value();
        if (status == 404) {
            return new SextantException(VocabularyClient.UNKNOWN_MODEL, "model", "inference-service: " + message);
        }
        if (status == 400 && "context_length_exceeded".equals(error.path("code").asString(""))) {
            return new SextantException(CONTEXT_LENGTH_EXCEEDED, requestField(param), "inference-service: " + message,
                    contextNumbers(error), e);
        }
        if (status == 422 && "output_failed_validation".equals(error.path("code").asString(""))) {
            return new SextantException(INVALID_OUTPUT, "schema", "inference-service: " + message);
        }
        if (e.getStatusCode().is4xxClientError() && status != 429) {
            return new SextantException(REFUSED, requestField(param), "inference-service: " + message
                    + (param != null ? " (parameter '" + param + "')" : ""));
        }
        String retryAfter = e.getResponseHeaders() != null ? e.getResponseHeaders().getFirst("Retry-After") : null;
        return new SextantException(ErrorCode.UPSTREAM_UNAVAILABLE, null, "inference-service answered " + status + ": " + message,
                Map.of("retryAfterSeconds", retryAfter != null && retryAfter.matches("\\d+") ? Integer.parseInt(retryAfter) : 5), e);
    }

    /**
     * inference-service's numbers as properties: {@code contextLength}, {@code promptTokens} and
     * {@code completionTokens} (asked for), each only when its error carries it as a field.
     */
    private static Map<String, Object> contextNumbers(JsonNode error) {
        Map<String, Object> numbers = new java.util.LinkedHashMap<>();
        for (String[] field : new String[][] {{"context_length", "contextLength"}, {"prompt_tokens", "promptTokens"},
                {"completion_tokens", "completionTokens"}}) {
            if (error.path(field[0]).isInt()) {
                numbers.put(field[1], error.path(field[0]).asInt());
            }
        }
        return numbers;
    }

    /** The field of our request that an OpenAI parameter came from. */
    private static String requestField(String param) {
        if (param == null) {
            return null;
        }
        if (param.startsWith("response_format")) {
            return "schema";
        }
        if (param.equals("messages")) {
            return "text";
        }
        return param;
    }
}
