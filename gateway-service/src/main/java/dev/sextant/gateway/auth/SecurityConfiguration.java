package dev.sextant.gateway.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtReactiveAuthenticationManager;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;

import dev.sextant.gateway.problem.GatewayException;
import dev.sextant.gateway.problem.ProblemWriter;
import reactor.core.publisher.Mono;

/**
 * Who may call what: API keys (and, in JWT mode, OIDC access tokens) as {@code Authorization: Bearer …};
 * the admin key for {@code /admin/**} and {@code /actuator/**} (health stays public, as do the links page
 * and Swagger UI). Stateless: no session, no CSRF, no saved requests.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class SecurityConfiguration {

    static final String[] PUBLIC_PATHS = {"/", "/index.html", "/favicon.ico", "/actuator/health", "/actuator/health/**",
        "/swagger-ui.html", "/swagger-ui/**", "/webjars/**", "/v3/api-docs", "/v3/api-docs/**", "/*/v3/api-docs",
        "/*/v3/api-docs/**"};

    @Bean
    @ConditionalOnProperty(name = "sextant.gateway.redis.enabled", havingValue = "true")
    ApiKeyStore redisApiKeyStore(ReactiveStringRedisTemplate redis,
            @Value("${sextant.gateway.redis.key-prefix:sextant:gateway:}") String prefix) {
        return new RedisApiKeyStore(redis, prefix);
    }

    @Bean
    @ConditionalOnProperty(name = "sextant.gateway.redis.enabled", havingValue = "false", matchIfMissing = true)
    ApiKeyStore inMemoryApiKeyStore() {
        return new InMemoryApiKeyStore();
    }

    @Bean
    ApiKeyService apiKeyService(ApiKeyStore store, AuthProperties properties,
            @Value("${sextant.gateway.redis.enabled:false}") boolean redis) {
        ApiKeyService service = new ApiKeyService(store, properties, Clock.systemUTC(), redis);
        // Before the server opens its port, so the first request can already use SEXTANT_API_KEY.
        service.bootstrap().block(Duration.ofSeconds(30));
        return service;
    }

    /**
     * No observations (spans and timers) around each security filter, authentication and authorization: per
     * request they cost more CPU than the checks themselves. The request as a whole is still observed
     * ({@code http.server.requests}, {@code spring.cloud.gateway.requests}, the trace).
     */
    @Bean
    SecurityObservationSettings securityObservationSettings() {
        return SecurityObservationSettings.noObservations();
    }

    @Bean
    SecurityWebFilterChain securityWebFilterChain(ServerHttpSecurity http, ApiKeyService keys, AuthProperties properties,
            ObjectProvider<ReactiveJwtDecoder> jwtDecoder) {
        ReactiveAuthenticationManager manager = authenticationManager(keys, properties, jwtDecoder.getIfAvailable());
        ServerAuthenticationEntryPoint entryPoint = (exchange, ex) -> {
            exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
            boolean sent = exchange.getRequest().getHeaders().containsHeader(HttpHeaders.AUTHORIZATION);
            return ProblemWriter.write(exchange, GatewayException.unauthorized(sent
                    ? "The API key or token is not valid: " + ex.getMessage()
                    : "Send an API key as 'Authorization: Bearer <key>'"));
        };
        ServerAccessDeniedHandler denied = (exchange, ex) -> ProblemWriter.write(exchange,
                GatewayException.forbidden("These credentials may not call " + exchange.getRequest().getPath()));
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .cors(cors -> { })
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .authorizeExchange(exchanges -> exchanges
                        // The routed API first: one pattern instead of every public one before it, per request.
                        .pathMatchers("/v1/**").hasAuthority(GatewayAuthentication.ROLE_CLIENT)
                        .pathMatchers(PUBLIC_PATHS).permitAll()
                        .pathMatchers("/admin/**", "/actuator/**").hasAuthority(GatewayAuthentication.ROLE_ADMIN)
                        .anyExchange().hasAuthority(GatewayAuthentication.ROLE_CLIENT))
                .oauth2ResourceServer(oauth -> oauth
                        .authenticationManagerResolver(exchange -> Mono.just(manager))
                        .authenticationEntryPoint(entryPoint)
                        .accessDeniedHandler(denied))
                .exceptionHandling(handling -> handling.authenticationEntryPoint(entryPoint).accessDeniedHandler(denied))
                .build();
    }

    static ReactiveAuthenticationManager authenticationManager(ApiKeyService keys, AuthProperties properties,
            ReactiveJwtDecoder decoder) {
        ReactiveAuthenticationManager jwt = null;
        if (properties.jwt().enabled()) {
            if (decoder == null) {
                throw new IllegalStateException("sextant.gateway.auth.jwt.enabled=true needs "
                        + "spring.security.oauth2.resourceserver.jwt.issuer-uri or jwk-set-uri");
            }
            JwtReactiveAuthenticationManager jwtManager = new JwtReactiveAuthenticationManager(decoder);
            jwtManager.setJwtAuthenticationConverter(token -> Mono.just(fromJwt(token, properties)));
            jwt = jwtManager;
        }
        ReactiveAuthenticationManager jwtOrNull = jwt;
        return authentication -> {
            String token = ((BearerTokenAuthenticationToken) authentication).getToken();
            if (jwtOrNull != null && looksLikeJwt(token)) {
                return jwtOrNull.authenticate(authentication);
            }
            return keys.authenticate(token)
                    .<Authentication>map(GatewayAuthentication::new)
                    .switchIfEmpty(Mono.error(() -> new BadCredentialsException("unknown or revoked API key")));
        };
    }

    static GatewayAuthentication fromJwt(Jwt jwt, AuthProperties properties) {
        String tenant = jwt.getClaimAsString(properties.jwt().tenantClaim());
        if (tenant == null || tenant.isBlank()) {
            throw new InvalidBearerTokenException("the token has no '" + properties.jwt().tenantClaim() + "' claim");
        }
        Object claim = jwt.getClaim(properties.jwt().scopesClaim());
        List<String> scopes = switch (claim) {
            case String s -> List.of(s.split(" "));
            case Collection<?> c -> c.stream().map(String::valueOf).toList();
            case null, default -> List.of("*");
        };
        return new GatewayAuthentication(new GatewayPrincipal("jwt:" + jwt.getSubject(), tenant, scopes,
                properties.defaultLimits().toLimits(), false));
    }

    private static boolean looksLikeJwt(String token) {
        int first = token.indexOf('.');
        return first > 0 && token.indexOf('.', first + 1) > first;
    }
}
