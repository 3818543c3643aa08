package dev.sextant.gateway.auth;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code sextant.gateway.auth.*}: the admin key, the bootstrap client key, the limits a new key gets when the
 * caller names none, and the optional JWT mode.
 *
 * @param adminKey     guards {@code /admin/**} and {@code /actuator/**} ({@code SEXTANT_ADMIN_KEY}); blank: admin API off
 * @param bootstrapKey created for tenant {@code default} at start ({@code SEXTANT_API_KEY}); blank: none
 * @param keyCacheTtl  how long a replica trusts a key it read from Redis (a revoke elsewhere takes this long)
 */
@ConfigurationProperties("sextant.gateway.auth")
public record AuthProperties(String adminKey, String bootstrapKey,
        @DefaultValue DefaultLimits defaultLimits,
        @DefaultValue("5s") Duration keyCacheTtl,
        @DefaultValue Jwt jwt) {

    public record DefaultLimits(@DefaultValue("50") int requestsPerSecond, @DefaultValue("100") int burst,
            @DefaultValue("200000") long tokensPerMinute) {

        public Limits toLimits() {
            return new Limits(requestsPerSecond, burst, tokensPerMinute);
        }
    }

    /**
     * JWT mode: bearer tokens that look like JWTs are verified by the OAuth2 resource server (configure
     * {@code spring.security.oauth2.resourceserver.jwt.issuer-uri} or {@code jwk-set-uri}); the tenant comes
     * from {@code tenantClaim}, scopes from {@code scopesClaim}.
     */
    public record Jwt(@DefaultValue("false") boolean enabled, @DefaultValue("tenant") String tenantClaim,
            @DefaultValue("scope") String scopesClaim) {
    }
}
