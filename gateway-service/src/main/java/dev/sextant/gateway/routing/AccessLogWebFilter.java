package dev.sextant.gateway.routing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;

import dev.sextant.gateway.auth.GatewayPrincipal;
import dev.sextant.gateway.usage.UsageFilter;
import reactor.core.publisher.Mono;

/**
 * One line per request on the {@code sextant.access} logger, when the exchange ends (for a stream: when the
 * stream ends), with structured fields: request id, trace id, tenant, key, route, method, path, status, latency,
 * tokens. The line is written after the request's span has left the thread, so the trace id is read from the
 * exchange's server observation rather than from the logging context.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class AccessLogWebFilter implements WebFilter {

    private static final Logger log = LoggerFactory.getLogger("sextant.access");

    private final boolean enabled;

    public AccessLogWebFilter(RoutingProperties properties) {
        this.enabled = properties.accessLog();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (!enabled || !log.isInfoEnabled()) {
            return chain.filter(exchange);
        }
        long start = System.nanoTime();
        return chain.filter(exchange).doFinally(signal -> write(exchange, start, signal.toString()));
    }

    private static void write(ServerWebExchange exchange, long start, String signal) {
        double millis = Math.round((System.nanoTime() - start) / 1e4) / 100.0;
        GatewayPrincipal principal = exchange.getAttribute(IdentityFilter.PRINCIPAL_ATTRIBUTE);
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        HttpStatusCode status = exchange.getResponse().getStatusCode();
        Long tokens = exchange.getAttribute(UsageFilter.TOKENS_ATTRIBUTE);
        String tenant = principal == null ? "-" : principal.tenant() == null ? "admin" : principal.tenant();
        String routeId = route == null ? "-" : route.getId();
        int code = status == null ? 0 : status.value();
        String path = exchange.getRequest().getPath().value();
        String traceId = traceId(exchange);
        log.atInfo()
                .addKeyValue("requestId", (Object) exchange.getAttribute(RequestIdWebFilter.ATTRIBUTE))
                .addKeyValue("traceId", traceId)
                .addKeyValue("tenant", tenant)
                .addKeyValue("keyId", (Object) (principal == null ? null : principal.keyId()))
                .addKeyValue("route", routeId)
                .addKeyValue("method", exchange.getRequest().getMethod().name())
                .addKeyValue("path", path)
                .addKeyValue("status", code)
                .addKeyValue("latencyMs", millis)
                .addKeyValue("tokens", (Object) tokens)
                .log("{} {} {} tenant={} route={} {}ms tokens={} trace={}{}", exchange.getRequest().getMethod(), path, code,
                        tenant, routeId, millis, tokens == null ? "-" : tokens, traceId == null ? "-" : traceId,
                        "onComplete".equals(signal) ? "" : " (" + signal + ")");
    }

    private static String traceId(ServerWebExchange exchange) {
        return ServerRequestObservationContext.findCurrent(exchange.getAttributes())
                .map(context -> context.<TracingObservationHandler.TracingContext>get(TracingObservationHandler.TracingContext.class))
                .map(TracingObservationHandler.TracingContext::getSpan)
                .map(Span::context)
                .map(span -> span.traceId())
                .orElse(null);
    }
}
