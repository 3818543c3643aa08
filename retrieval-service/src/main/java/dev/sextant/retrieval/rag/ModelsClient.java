package dev.sextant.retrieval.rag;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.RetrievalProperties;
import dev.sextant.retrieval.embedding.InferenceCalls;
import dev.sextant.support.SextantException;

/**
 * Whether inference-service serves a model, asked before a RAG question is answered, so that an unknown model is a
 * 404 whether or not retrieval finds anything to send it. {@code GET /v1/models/{model}} resolves the name as a chat
 * request would (a model id or a consumer group); a model it serves is remembered for
 * {@code sextant.retrieval.inference.model-check-ttl}. When inference-service cannot tell now (unreachable, failing,
 * breaker open, an older version without the endpoint) the check passes: the chat call, when there is one, is then
 * the check, and a "nothing relevant" answer does not depend on inference-service being up.
 *
 * <pre>{@code models.requireServed(request.model()); // 404 model-not-found naming it, or returns}</pre>
 */
@Component
public class ModelsClient {

    private static final Logger log = LoggerFactory.getLogger(ModelsClient.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final RestClient http;
    private final CircuitBreaker breaker;
    private final long ttlNanos;
    private final ConcurrentHashMap<String, Long> servedUntil = new ConcurrentHashMap<>();

    ModelsClient(RestClient.Builder builder, RetrievalProperties properties, ObjectProvider<CircuitBreakerRegistry> breakers) {
        this.http = InferenceCalls.client(builder, properties.inference().url(), TIMEOUT);
        this.breaker = breakers.getIfAvailable(CircuitBreakerRegistry::ofDefaults).circuitBreaker("inference");
        this.ttlNanos = properties.inference().modelCheckTtl().toNanos();
    }

    /** @throws SextantException 404 {@code model-not-found} when inference-service says it does not serve the model */
    public void requireServed(String model) {
        long now = System.nanoTime();
        Long until = servedUntil.get(model);
        if (until != null && now - until < 0) {
            return;
        }
        try {
            InferenceCalls.call("model", breaker, null,
                    () -> http.get().uri("/v1/models/{model}", model).retrieve().toBodilessEntity());
            servedUntil.put(model, now + ttlNanos);
        } catch (SextantException e) {
            servedUntil.remove(model);
            if (e.errorCode().equals(RetrievalErrors.MODEL_NOT_FOUND)) {
                throw e;
            }
            log.info("could not check model '{}' with inference-service, going on without: {}", model, e.getMessage());
        }
    }
}
