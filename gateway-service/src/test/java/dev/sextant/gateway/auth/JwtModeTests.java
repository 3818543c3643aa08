package dev.sextant.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

class JwtModeTests {

    private static final byte[] SECRET = "a-32-byte-secret-for-hs256-tests!!".getBytes(StandardCharsets.UTF_8);
    private final SecretKey key = new SecretKeySpec(SECRET, "HmacSHA256");
    private final AuthProperties properties = new AuthProperties("admin-key", null,
            new AuthProperties.DefaultLimits(5, 10, 1000), Duration.ofSeconds(5),
            new AuthProperties.Jwt(true, "org", "scope"));
    private final ApiKeyService keys = new ApiKeyService(new InMemoryApiKeyStore(), properties, Clock.systemUTC(), false);
    private final ReactiveAuthenticationManager manager = SecurityConfiguration.authenticationManager(keys, properties,
            NimbusReactiveJwtDecoder.withSecretKey(key).build());

    private String token(JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    private Authentication authenticate(String token) {
        return manager.authenticate(new BearerTokenAuthenticationToken(token)).block();
    }

    @Test
    void tenantAndScopesComeFromTheTokensClaims() throws Exception {
        String token = token(new JWTClaimsSet.Builder().subject("alice").claim("org", "acme")
                .claim("scope", "inference retrieval").expirationTime(new Date(System.currentTimeMillis() + 60_000)).build());

        GatewayPrincipal principal = ((GatewayAuthentication) authenticate(token)).getPrincipal();

        assertThat(principal.tenant()).isEqualTo("acme");
        assertThat(principal.keyId()).isEqualTo("jwt:alice");
        assertThat(principal.scopes()).containsExactly("inference", "retrieval");
        assertThat(principal.limits()).isEqualTo(new Limits(5, 10, 1000));
    }

    @Test
    void tokenWithoutTheTenantClaimIsRejected() throws Exception {
        String token = token(new JWTClaimsSet.Builder().subject("bob")
                .expirationTime(new Date(System.currentTimeMillis() + 60_000)).build());

        assertThatThrownBy(() -> authenticate(token)).hasMessageContaining("'org' claim");
    }

    @Test
    void tokenSignedWithAnotherKeyIsRejected() throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
                new JWTClaimsSet.Builder().subject("eve").claim("org", "acme").build());
        jwt.sign(new MACSigner("another-32-byte-secret-for-hs256!!".getBytes(StandardCharsets.UTF_8)));

        assertThatThrownBy(() -> authenticate(jwt.serialize())).isNotNull();
    }

    @Test
    void apiKeysStillWorkInJwtMode() {
        String secret = keys.create("acme", "k", List.of("*"), null).block().secret();

        GatewayPrincipal principal = ((GatewayAuthentication) authenticate(secret)).getPrincipal();

        assertThat(principal.tenant()).isEqualTo("acme");
        assertThat(((GatewayAuthentication) authenticate("admin-key")).getPrincipal().admin()).isTrue();
    }
}
