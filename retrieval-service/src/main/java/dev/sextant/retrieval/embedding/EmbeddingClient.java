package dev.sextant.retrieval.embedding;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.RetrievalProperties;
import dev.sextant.support.SextantException;

/**
 * Query embeddings from inference-service's OpenAI-shaped {@code POST /v1/embeddings} (contract 1), retried and
 * behind the {@code inference} circuit breaker.
 *
 * <pre>{@code
 * float[] q = embeddings.embed("all-minilm-l6-v2", "what is HNSW?");
 * }</pre>
 */
@Component
public class EmbeddingClient {

    private final RestClient http;
    private final CircuitBreaker breaker;
    private final Retry retry;

    EmbeddingClient(RestClient.Builder builder, RetrievalProperties properties,
            ObjectProvider<CircuitBreakerRegistry> breakers, ObjectProvider<RetryRegistry> retries) {
        this.http = InferenceCalls.client(builder, properties.inference().url(), java.time.Duration.ofSeconds(10));
        this.breaker = breakers.getIfAvailable(CircuitBreakerRegistry::ofDefaults).circuitBreaker("inference");
        this.retry = retries.getIfAvailable(RetryRegistry::ofDefaults).retry("inference");
    }

    public float[] embed(String model, String text) {
        EmbeddingsResponse response = InferenceCalls.call("embeddings", breaker, retry, () -> http.post()
                .uri("/v1/embeddings")
                .contentType(MediaType.APPLICATION_JSON)
                .body(new EmbeddingsRequest(model, List.of(text)))
                .retrieve()
                .body(EmbeddingsResponse.class));
        if (response == null || response.data() == null || response.data().isEmpty() || response.data().getFirst().embedding() == null) {
            throw new SextantException(RetrievalErrors.UPSTREAM_FAILED, null, "inference-service returned no embedding");
        }
        return response.data().getFirst().embedding();
    }

    record EmbeddingsRequest(String model, List<String> input) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record EmbeddingsResponse(List<Item> data, String model) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Item(int index, float[] embedding) {
    }
}
