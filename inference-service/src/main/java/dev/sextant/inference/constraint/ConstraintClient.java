package dev.sextant.inference.constraint;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;
import org.springframework.web.client.RestClientResponseException;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.inference.model.LoadedModel;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Compiles constraints through structured-output-service (the only network hop: once per distinct constraint,
 * never per token) and keeps the artifacts in a bounded LRU cache keyed by model, tokenizer and constraint.
 */
@Component
public class ConstraintClient {

    private static final int CACHE_ENTRIES = 256;

    private final RestClient http;
    private final JsonMapper json;
    private final Map<String, CompiledConstraint> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompiledConstraint> eldest) {
            return size() > CACHE_ENTRIES;
        }
    };

    public ConstraintClient(RestClient.Builder builder, JsonMapper json,
            @Value("${sextant.inference.structured-output-url:http://127.0.0.1:8084}") String baseUrl) {
        this.http = builder.baseUrl(baseUrl).build();
        this.json = json;
    }

    public CompiledConstraint compile(LoadedModel model, ConstraintSpec spec) {
        Map<String, Object> body = spec.compileRequest(model.id());
        String key = model.id() + '\n' + model.tokenizer().hash() + '\n' + json.writeValueAsString(body);
        synchronized (cache) {
            CompiledConstraint hit = cache.get(key);
            if (hit != null) {
                return hit;
            }
        }
        CompiledConstraint compiled = fetch(model, spec, body);
        synchronized (cache) {
            cache.put(key, compiled);
        }
        return compiled;
    }

    private CompiledConstraint fetch(LoadedModel model, ConstraintSpec spec, Map<String, Object> body) {
        try {
            JsonNode created = http.post().uri("/v1/grammars").contentType(MediaType.APPLICATION_JSON).body(body)
                    .retrieve().body(JsonNode.class);
            String id = created.path("id").asString();
            byte[] bytes = http.get().uri("/v1/grammars/{id}/artifact", id).retrieve().body(byte[].class);
            ConstraintArtifact artifact = ConstraintArtifact.read(new ByteArrayInputStream(bytes));
            String expected = model.tokenizer().hash();
            if (!artifact.vocabulary().hash().equals(expected)) {
                throw new ConstraintRejectedException(spec.param(), "the constraint was compiled for another tokenizer ("
                        + artifact.vocabulary().hash() + ", model " + model.id() + " has " + expected + ")", true);
            }
            return new CompiledConstraint(id, artifact, spec);
        } catch (RestClientResponseException e) {
            if (e.getStatusCode().is4xxClientError()) {
                throw new ConstraintRejectedException(spec.param(), describe(e), false);
            }
            throw new ConstraintRejectedException(spec.param(), "structured-output-service failed: " + describe(e), true);
        } catch (RestClientException | IOException e) {
            throw new ConstraintRejectedException(spec.param(), "structured-output-service is unavailable: " + e.getMessage(), true);
        }
    }

    /** Errors of the finished output against the original schema (one call per request, not per token). */
    public List<String> validate(CompiledConstraint constraint, String output) {
        if (!constraint.spec().isJsonSchema()) {
            return List.of();
        }
        JsonNode result = http.post().uri("/v1/grammars/{id}/validate", constraint.id()).contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("output", output)).retrieve().body(JsonNode.class);
        if (result.path("valid").asBoolean(false)) {
            return List.of();
        }
        return result.path("errors").valueStream().map(JsonNode::asString).toList();
    }

    private String describe(RestClientResponseException e) {
        try {
            JsonNode problem = json.readTree(e.getResponseBodyAsString());
            String detail = problem.path("detail").asString("");
            String field = problem.path("field").asString("");
            return field.isEmpty() ? detail : detail + " (at " + field + ")";
        } catch (RuntimeException notJson) {
            return e.getStatusCode() + " " + e.getResponseBodyAsString();
        }
    }
}
