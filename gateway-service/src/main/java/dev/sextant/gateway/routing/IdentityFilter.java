package dev.sextant.gateway.routing;

import java.util.List;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

import dev.sextant.gateway.auth.GatewayAuthentication;
import dev.sextant.gateway.auth.GatewayPrincipal;
import dev.sextant.gateway.problem.GatewayException;
import reactor.core.publisher.Mono;

/**
 * Tells the services who is calling, in headers only the gateway may set: whatever {@code X-Sextant-Tenant},
 * {@code X-Sextant-Scopes} or {@code X-Sextant-Key-Id} the client sent is dropped and replaced by the verified
 * principal's; the client's own credentials are not passed on. A route whose metadata names a {@code scope}
 * admits only keys holding it (403 otherwise).
 */
@Component
public class IdentityFilter implements GlobalFilter, Ordered {

    public static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 100;
    public static final String PRINCIPAL_ATTRIBUTE = IdentityFilter.class.getName() + ".principal";
    public static final String TENANT = "X-Sextant-Tenant";
    public static final String SCOPES = "X-Sextant-Scopes";
    public static final String KEY_ID = "X-Sextant-Key-Id";
    private static final List<String> IDENTITY_HEADERS = List.of(TENANT, SCOPES, KEY_ID);

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        return exchange.getPrincipal()
                .filter(GatewayAuthentication.class::isInstance)
                .map(auth -> ((GatewayAuthentication) auth).getPrincipal())
                .map(principal -> forward(exchange, principal))
                .defaultIfEmpty(exchange)
                .flatMap(forwarded -> {
                    if (forwarded == exchange) {
                        // A public route (e.g. a service's OpenAPI document): no identity at all.
                        return chain.filter(exchange.mutate().request(strip(exchange.getRequest()).build()).build());
                    }
                    return chain.filter(forwarded);
                });
    }

    private static ServerWebExchange forward(ServerWebExchange exchange, GatewayPrincipal principal) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        Object scope = route == null ? null : route.getMetadata().get("scope");
        if (principal.admin() || !principal.allows(scope == null ? null : scope.toString())) {
            throw GatewayException.forbidden("Key " + principal.keyId() + " lacks the scope '" + scope + "'");
        }
        exchange.getAttributes().put(PRINCIPAL_ATTRIBUTE, principal);
        ServerHttpRequest request = strip(exchange.getRequest())
                .headers(h -> {
                    h.set(TENANT, principal.tenant());
                    h.set(SCOPES, String.join(" ", principal.scopes()));
                    h.set(KEY_ID, principal.keyId());
                })
                .build();
        return exchange.mutate().request(request).build();
    }

    private static ServerHttpRequest.Builder strip(ServerHttpRequest request) {
        return request.mutate().headers(h -> {
            IDENTITY_HEADERS.forEach(h::remove);
            h.remove(HttpHeaders.AUTHORIZATION);
        });
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
