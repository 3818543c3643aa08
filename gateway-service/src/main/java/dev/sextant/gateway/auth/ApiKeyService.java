package dev.sextant.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.sextant.gateway.problem.GatewayException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Issues, verifies and revokes API keys. A key is {@code sk-sextant-} plus 32 random bytes (base64url), so a
 * plain SHA-256 is a sound hash for it (no salt or stretching needed for 256 bits of entropy); the secret is
 * shown once, at creation, and only its hash is stored.
 *
 * <pre>{@code
 * IssuedKey issued = keys.create("acme", "ci", List.of("*"), limits).block();
 * // issued.secret() → "sk-sextant-…", shown once
 * }</pre>
 */
public class ApiKeyService {

    private static final Logger log = LoggerFactory.getLogger(ApiKeyService.class);
    private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final String SECRET_PREFIX = "sk-sextant-";

    private final ApiKeyStore store;
    private final AuthProperties properties;
    private final Clock clock;
    private final byte[] adminHash;
    private final boolean cacheLookups;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(ApiKey key, long expiresAtMillis) {
    }

    /** A freshly created key: the only moment the secret exists outside the client. */
    public record IssuedKey(ApiKey key, String secret) {
    }

    public ApiKeyService(ApiKeyStore store, AuthProperties properties, Clock clock, boolean cacheLookups) {
        this.store = store;
        this.properties = properties;
        this.clock = clock;
        this.cacheLookups = cacheLookups;
        this.adminHash = isBlank(properties.adminKey()) ? null : sha256(properties.adminKey());
    }

    /** Creates the {@code SEXTANT_API_KEY} key for tenant {@code default}, under an id derived from its hash. */
    public Mono<ApiKey> bootstrap() {
        if (isBlank(properties.bootstrapKey())) {
            return Mono.empty();
        }
        String hash = HexFormat.of().formatHex(sha256(properties.bootstrapKey()));
        ApiKey key = new ApiKey("key_" + hash.substring(0, 12), hash, "SEXTANT_API_KEY", "default", List.of("*"),
                properties.defaultLimits().toLimits(), clock.instant());
        return store.save(key).doOnNext(k -> log.info("API key {} from SEXTANT_API_KEY is active for tenant 'default'", k.id()));
    }

    public Mono<IssuedKey> create(String tenant, String name, List<String> scopes, Limits limits) {
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            return Mono.error(GatewayException.validation("tenant",
                    "tenant must match " + TENANT.pattern() + " (lower-case letters, digits, '-' and '_')"));
        }
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String hash = HexFormat.of().formatHex(sha256(secret));
        byte[] id = new byte[8];
        RANDOM.nextBytes(id);
        ApiKey key = new ApiKey("key_" + HexFormat.of().formatHex(id), hash, name, tenant,
                scopes == null || scopes.isEmpty() ? List.of("*") : List.copyOf(scopes),
                limits == null ? properties.defaultLimits().toLimits() : limits, Instant.now(clock));
        return store.save(key).map(saved -> new IssuedKey(saved, secret));
    }

    public Flux<ApiKey> list() {
        return store.findAll();
    }

    public Mono<Boolean> revoke(String id) {
        cache.values().removeIf(cached -> cached.key().id().equals(id));
        return store.delete(id);
    }

    /** The principal a bearer secret stands for; empty when no key (and not the admin key) matches. */
    public Mono<GatewayPrincipal> authenticate(String secret) {
        byte[] digest = sha256(secret);
        // Constant-time comparison: the admin hash must not leak through timing, prefix by prefix.
        if (adminHash != null && MessageDigest.isEqual(adminHash, digest)) {
            return Mono.just(new GatewayPrincipal("admin", null, List.of("*"), new Limits(0, 0, 0), true));
        }
        String hash = HexFormat.of().formatHex(digest);
        return lookup(hash)
                .filter(key -> MessageDigest.isEqual(key.hash().getBytes(StandardCharsets.US_ASCII),
                        hash.getBytes(StandardCharsets.US_ASCII)))
                .map(key -> new GatewayPrincipal(key.id(), key.tenant(), key.scopes(), key.limits(), false));
    }

    private Mono<ApiKey> lookup(String hash) {
        if (!cacheLookups) {
            return store.findByHash(hash);
        }
        long now = clock.millis();
        Cached cached = cache.get(hash);
        if (cached != null && cached.expiresAtMillis() > now) {
            return Mono.just(cached.key());
        }
        return store.findByHash(hash)
                .doOnNext(key -> cache.put(hash, new Cached(key, now + properties.keyCacheTtl().toMillis())));
    }

    static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
