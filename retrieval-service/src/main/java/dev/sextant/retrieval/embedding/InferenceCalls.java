package dev.sextant.retrieval.embedding;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;

import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.support.ErrorCode;
import dev.sextant.support.SextantException;

/**
 * How retrieval-service calls inference-service: a RestClient from Boot's builder (request id, tenant and
 * traceparent travel with it), bounded timeouts, optional retry, one circuit breaker; and the mapping of failures
 * to problems: unreachable, 5xx or breaker open → 503 with Retry-After, an unknown model → 404 naming it, a
 * prompt + max_tokens past the model's context → 400 {@code context-length-exceeded} carrying inference-service's
 * numbers (the caller phrases it in its own request's terms), another 4xx answer → 502 with its message.
 */
public final class InferenceCalls {

    private static final int RETRY_AFTER_SECONDS = 5;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private InferenceCalls() {
    }

    public static RestClient client(RestClient.Builder builder, String baseUrl, Duration readTimeout) {
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build());
        factory.setReadTimeout(readTimeout);
        return builder.clone().baseUrl(baseUrl).requestFactory(factory).build();
    }

    /** Runs the call through retry (when given) and the breaker, translating failures to problems. */
    public static <T> T call(String what, CircuitBreaker breaker, Retry retry, Supplier<T> call) {
        Supplier<T> guarded = retry == null ? call : Retry.decorateSupplier(retry, call);
        guarded = CircuitBreaker.decorateSupplier(breaker, guarded);
        try {
            return guarded.get();
        } catch (CallNotPermittedException e) {
            throw unavailable(what, "inference-service is failing; calls are paused for a few seconds", e);
        } catch (HttpClientErrorException e) {
            JsonNode error = openAiError(e.getResponseBodyAsString());
            if ("model_not_found".equals(error.path("code").asString(null))) {
                throw new SextantException(RetrievalErrors.MODEL_NOT_FOUND, "model", error.path("message").asString(), Map.of(), e);
            }
            if ("context_length_exceeded".equals(error.path("code").asString(null))) {
                throw new SextantException(RetrievalErrors.CONTEXT_LENGTH_EXCEEDED, error.path("param").asString(null),
                        error.path("message").asString(), contextNumbers(error), e);
            }
            throw new SextantException(RetrievalErrors.UPSTREAM_FAILED, null,
                    "inference-service refused the " + what + " request (" + e.getStatusCode().value() + "): "
                            + e.getResponseBodyAsString(), Map.of(), e);
        } catch (RestClientException e) {
            throw unavailable(what, "inference-service could not answer the " + what + " request: " + e.getMessage(), e);
        }
    }

    /**
     * The numbers of inference-service's {@code context_length_exceeded} as properties: {@code contextLength},
     * {@code promptTokens} and {@code completionTokens} (asked for), each only when the error carries it as a field.
     */
    private static Map<String, Object> contextNumbers(JsonNode error) {
        Map<String, Object> numbers = new LinkedHashMap<>();
        for (String[] field : new String[][] {{"context_length", "contextLength"}, {"prompt_tokens", "promptTokens"},
                {"completion_tokens", "completionTokens"}}) {
            if (error.path(field[0]).isInt()) {
                numbers.put(field[1], error.path(field[0]).asInt());
            }
        }
        return numbers;
    }

    /** The {@code error} object of an OpenAI-shaped error body (missing when the body is something else). */
    private static JsonNode openAiError(String body) {
        try {
            return JSON.readTree(body).path("error");
        } catch (JacksonException e) {
            return JSON.missingNode();
        }
    }

    static SextantException unavailable(String what, String detail, Throwable cause) {
        return new SextantException(ErrorCode.UPSTREAM_UNAVAILABLE, null, detail,
                Map.of("retryAfterSeconds", RETRY_AFTER_SECONDS, "upstream", "inference-service"), cause);
    }
}
