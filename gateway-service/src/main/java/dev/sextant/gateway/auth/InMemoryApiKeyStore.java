package dev.sextant.gateway.auth;

import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Keys of a single replica: lost on restart (the {@code SEXTANT_API_KEY} key is re-created at start). */
public class InMemoryApiKeyStore implements ApiKeyStore {

    private final Map<String, ApiKey> byHash = new ConcurrentHashMap<>();

    @Override
    public Mono<ApiKey> findByHash(String hash) {
        return Mono.justOrEmpty(byHash.get(hash));
    }

    @Override
    public Mono<ApiKey> save(ApiKey key) {
        byHash.put(key.hash(), key);
        return Mono.just(key);
    }

    @Override
    public Flux<ApiKey> findAll() {
        return Flux.fromStream(byHash.values().stream().sorted(Comparator.comparing(ApiKey::createdAt)));
    }

    @Override
    public Mono<Boolean> delete(String id) {
        return Mono.fromSupplier(() -> byHash.values().removeIf(key -> key.id().equals(id)));
    }
}
