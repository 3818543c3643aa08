package dev.sextant.gateway.limit;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

import dev.sextant.gateway.auth.GatewayPrincipal;
import dev.sextant.gateway.auth.Limits;
import dev.sextant.gateway.problem.GatewayException;
import dev.sextant.gateway.routing.IdentityFilter;
import reactor.core.publisher.Mono;

/**
 * Spends one request from the caller's bucket (429 with {@code Retry-After} when empty) and, on routes whose
 * metadata says {@code count-tokens: true}, refuses a POST once the minute's token quota is used up.
 */
@Component
public class RateLimitFilter implements GlobalFilter, Ordered {

    public static final int ORDER = IdentityFilter.ORDER + 10;

    private final RequestRateLimiter requests;
    private final TokenQuota tokens;

    public RateLimitFilter(RequestRateLimiter requests, TokenQuota tokens) {
        this.requests = requests;
        this.tokens = tokens;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        GatewayPrincipal principal = exchange.getAttribute(IdentityFilter.PRINCIPAL_ATTRIBUTE);
        if (principal == null) {
            return chain.filter(exchange);
        }
        Limits limits = principal.limits();
        Mono<RateDecision> requestDecision = limits.requestsPerSecond() > 0
                ? requests.tryAcquire(principal.keyId(), limits.requestsPerSecond(), limits.burst())
                : Mono.just(RateDecision.ALLOWED);
        return requestDecision.flatMap(decision -> {
            if (!decision.allowed()) {
                return Mono.error(GatewayException.rateLimited("Key " + principal.keyId() + " allows "
                        + limits.requestsPerSecond() + " requests per second (burst " + limits.burst() + ")",
                        decision.retryAfterSeconds()));
            }
            if (limits.tokensPerMinute() <= 0 || !countsTokens(exchange)) {
                return chain.filter(exchange);
            }
            return tokens.check(principal.keyId(), limits.tokensPerMinute()).flatMap(quota -> quota.allowed()
                    ? chain.filter(exchange)
                    : Mono.error(GatewayException.tokenQuotaExceeded("Key " + principal.keyId() + " has used its "
                            + limits.tokensPerMinute() + " tokens for this minute", quota.retryAfterSeconds())));
        });
    }

    static boolean countsTokens(ServerWebExchange exchange) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        return route != null && HttpMethod.POST.equals(exchange.getRequest().getMethod())
                && Boolean.parseBoolean(String.valueOf(route.getMetadata().get("count-tokens")));
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
