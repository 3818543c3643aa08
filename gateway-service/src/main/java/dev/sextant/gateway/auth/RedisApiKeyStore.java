package dev.sextant.gateway.auth;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keys shared by every gateway replica, as Redis hashes: {@code <prefix>key:<sha256>} holds one key's fields,
 * {@code <prefix>key-ids} maps each id to its hash. Only hashes are stored, never a secret.
 */
public class RedisApiKeyStore implements ApiKeyStore {

    private final ReactiveStringRedisTemplate redis;
    private final String prefix;

    public RedisApiKeyStore(ReactiveStringRedisTemplate redis, String prefix) {
        this.redis = redis;
        this.prefix = prefix;
    }

    @Override
    public Mono<ApiKey> findByHash(String hash) {
        return redis.<String, String>opsForHash().entries(prefix + "key:" + hash)
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .filter(fields -> !fields.isEmpty())
                .map(fields -> fromFields(hash, fields));
    }

    @Override
    public Mono<ApiKey> save(ApiKey key) {
        Map<String, String> fields = Map.of(
                "id", key.id(),
                "name", key.name() == null ? "" : key.name(),
                "tenant", key.tenant(),
                "scopes", String.join(",", key.scopes()),
                "rps", Integer.toString(key.limits().requestsPerSecond()),
                "burst", Integer.toString(key.limits().burst()),
                "tpm", Long.toString(key.limits().tokensPerMinute()),
                "createdAt", key.createdAt().toString());
        return redis.<String, String>opsForHash().putAll(prefix + "key:" + key.hash(), fields)
                .then(redis.<String, String>opsForHash().put(prefix + "key-ids", key.id(), key.hash()))
                .thenReturn(key);
    }

    @Override
    public Flux<ApiKey> findAll() {
        return redis.<String, String>opsForHash().values(prefix + "key-ids")
                .concatMap(this::findByHash);
    }

    @Override
    public Mono<Boolean> delete(String id) {
        return redis.<String, String>opsForHash().get(prefix + "key-ids", id)
                .flatMap(hash -> redis.delete(prefix + "key:" + hash)
                        .then(redis.<String, String>opsForHash().remove(prefix + "key-ids", id))
                        .thenReturn(true))
                .defaultIfEmpty(false);
    }

    private static ApiKey fromFields(String hash, Map<String, String> f) {
        List<String> scopes = f.getOrDefault("scopes", "*").isEmpty() ? List.of()
                : Arrays.asList(f.getOrDefault("scopes", "*").split(","));
        Limits limits = new Limits(Integer.parseInt(f.getOrDefault("rps", "0")),
                Integer.parseInt(f.getOrDefault("burst", "0")), Long.parseLong(f.getOrDefault("tpm", "0")));
        String name = f.getOrDefault("name", "");
        return new ApiKey(f.get("id"), hash, name.isEmpty() ? null : name, f.get("tenant"), List.copyOf(scopes),
                limits, Instant.parse(f.getOrDefault("createdAt", Instant.EPOCH.toString())));
    }
}
