package dev.sextant.gateway.auth;

import java.time.Instant;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.sextant.gateway.limit.TokenQuota;
import dev.sextant.gateway.problem.GatewayException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The key admin API, guarded by the admin key ({@code SEXTANT_ADMIN_KEY}).
 *
 * <pre>
 * curl -H "Authorization: Bearer $SEXTANT_ADMIN_KEY" -H 'Content-Type: application/json' \
 *      -d '{"tenant":"acme","name":"ci","requestsPerSecond":10,"tokensPerMinute":100000}' localhost:8080/admin/keys
 * </pre>
 */
@RestController
@RequestMapping("/admin/keys")
class AdminKeyController {

    private final ApiKeyService keys;
    private final TokenQuota quota;
    private final AuthProperties properties;

    AdminKeyController(ApiKeyService keys, TokenQuota quota, AuthProperties properties) {
        this.keys = keys;
        this.quota = quota;
        this.properties = properties;
    }

    record CreateKeyRequest(String tenant, String name, List<String> scopes, Integer requestsPerSecond, Integer burst,
            Long tokensPerMinute) {
    }

    /** A key as listed: never the secret; {@code key} is set only in the answer to its creation. */
    record KeyResponse(String id, String key, String name, String tenant, List<String> scopes, int requestsPerSecond,
            int burst, long tokensPerMinute, Instant createdAt) {

        static KeyResponse of(ApiKey k, String secret) {
            return new KeyResponse(k.id(), secret, k.name(), k.tenant(), k.scopes(), k.limits().requestsPerSecond(),
                    k.limits().burst(), k.limits().tokensPerMinute(), k.createdAt());
        }
    }

    record UsageResponse(String id, long tokensThisMinute) {
    }

    @PostMapping
    Mono<ResponseEntity<KeyResponse>> create(@RequestBody CreateKeyRequest request) {
        return Mono.defer(() -> keys.create(request.tenant(), request.name(), request.scopes(), limits(request)))
                .map(issued -> ResponseEntity.status(HttpStatus.CREATED)
                        .body(KeyResponse.of(issued.key(), issued.secret())));
    }

    @GetMapping
    Flux<KeyResponse> list(@RequestParam(required = false) String tenant) {
        return keys.list()
                .filter(k -> tenant == null || tenant.equals(k.tenant()))
                .map(k -> KeyResponse.of(k, null));
    }

    @GetMapping("/{id}/usage")
    Mono<UsageResponse> usage(@PathVariable String id) {
        return quota.used(id).map(used -> new UsageResponse(id, used));
    }

    @DeleteMapping("/{id}")
    Mono<ResponseEntity<Void>> revoke(@PathVariable String id) {
        return keys.revoke(id).flatMap(found -> found ? Mono.just(ResponseEntity.noContent().<Void>build())
                : Mono.error(GatewayException.of(HttpStatus.NOT_FOUND, "key-not-found", "API key not found", "id",
                        "No API key with id '" + id + "'")));
    }

    /** Limits the request names, the configured defaults for the rest (0 = unlimited). */
    private Limits limits(CreateKeyRequest r) {
        AuthProperties.DefaultLimits d = properties.defaultLimits();
        int rps = r.requestsPerSecond() == null ? d.requestsPerSecond() : r.requestsPerSecond();
        int burst = r.burst() != null ? r.burst() : r.requestsPerSecond() != null ? rps : d.burst();
        try {
            return new Limits(rps, burst, r.tokensPerMinute() == null ? d.tokensPerMinute() : r.tokensPerMinute());
        }
        catch (IllegalArgumentException e) {
            throw GatewayException.validation("requestsPerSecond", e.getMessage());
        }
    }
}
