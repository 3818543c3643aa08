package dev.sextant.gateway.auth;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Where API keys live: in memory for one replica, in Redis when several replicas share them. */
public interface ApiKeyStore {

    Mono<ApiKey> findByHash(String hash);

    Mono<ApiKey> save(ApiKey key);

    Flux<ApiKey> findAll();

    /** Removes the key; emits {@code false} when no key has that id. */
    Mono<Boolean> delete(String id);
}
