package dev.sextant.gateway.auth;

import java.time.Instant;
import java.util.List;

/**
 * A stored API key: only the SHA-256 hash of the secret is kept, never the secret itself.
 *
 * @param id      public identifier ({@code key_…}), safe to log and to show in listings
 * @param hash    lower-case hex SHA-256 of the secret
 * @param scopes  services the key may call ({@code inference}, {@code retrieval}, {@code ingestion},
 *                {@code structured-output}) or {@code *} for all
 */
public record ApiKey(String id, String hash, String name, String tenant, List<String> scopes, Limits limits,
        Instant createdAt) {
}
