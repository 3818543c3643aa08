package dev.sextant.gateway.usage;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.filter.NettyWriteResponseFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

import dev.sextant.gateway.auth.GatewayPrincipal;
import dev.sextant.gateway.limit.TokenQuota;
import dev.sextant.gateway.routing.GatewayTimer;
import dev.sextant.gateway.routing.IdentityFilter;
import dev.sextant.gateway.routing.RoutingProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Watches every routed response on its way to the client: it bounds the silence between two chunks
 * ({@code sextant.gateway.stream-idle-timeout}; a stream may last as long as it keeps talking) and, on routes
 * whose metadata says {@code count-tokens: true}, counts the {@code usage} the response reports (streamed
 * SSE chunks included, as they pass, nothing buffered) against the caller's token quota.
 */
@Component
public class UsageFilter implements GlobalFilter, Ordered {

    public static final String TOKENS_ATTRIBUTE = UsageFilter.class.getName() + ".tokens";
    private static final String RECORDED_ATTRIBUTE = UsageFilter.class.getName() + ".recorded";
    private static final Logger log = LoggerFactory.getLogger(UsageFilter.class);

    private final TokenQuota quota;
    private final MeterRegistry meters;
    private final Duration idleTimeout;
    private final GatewayTimer timer;
    /** The token counter of each (tenant, route), looked up once instead of built and registered per response. */
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public UsageFilter(TokenQuota quota, MeterRegistry meters, RoutingProperties properties, GatewayTimer timer) {
        this.quota = quota;
        this.timer = timer;
        this.meters = meters;
        this.idleTimeout = properties.streamIdleTimeout();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        GatewayPrincipal principal = exchange.getAttribute(IdentityFilter.PRINCIPAL_ATTRIBUTE);
        boolean count = principal != null && route != null
                && Boolean.parseBoolean(String.valueOf(route.getMetadata().get("count-tokens")));
        ServerHttpResponse response = new ObservedResponse(exchange, count ? principal : null,
                route == null ? "-" : route.getId());
        return chain.filter(exchange.mutate().response(response).build());
    }

    private final class ObservedResponse extends ServerHttpResponseDecorator {

        private final ServerWebExchange exchange;
        private final GatewayPrincipal principal;
        private final String routeId;

        ObservedResponse(ServerWebExchange exchange, GatewayPrincipal principal, String routeId) {
            super(exchange.getResponse());
            this.exchange = exchange;
            this.principal = principal;
            this.routeId = routeId;
        }

        @Override
        public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
            UsageScanner scanner = scanner();
            GatewayTimer.IdleWatch idle = timer.idleWatch(idleTimeout);
            Flux<DataBuffer> flux = Flux.from(body);
            flux = scanner == null ? flux.doOnNext(buffer -> idle.touch()) : flux.doOnNext(buffer -> {
                idle.touch();
                scanner.accept(buffer);
            });
            if (scanner != null) {
                // doOnComplete/doOnCancel, not doFinally: the count must be in place before the access log line.
                flux = flux.doOnComplete(() -> record(scanner))
                        .doOnCancel(() -> record(scanner)).doOnError(e -> record(scanner));
            }
            return super.writeWith(flux.takeUntilOther(idle.expired()));
        }

        @Override
        public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
            UsageScanner scanner = scanner();
            GatewayTimer.IdleWatch idle = timer.idleWatch(idleTimeout);
            Flux<Publisher<? extends DataBuffer>> flux = Flux.from(body).map(chunk -> {
                idle.touch();
                return chunk;
            });
            if (scanner != null) {
                flux = flux.<Publisher<? extends DataBuffer>>map(chunk -> Flux.from(chunk).doOnNext(scanner::accept))
                        .doOnComplete(() -> record(scanner)).doOnCancel(() -> record(scanner))
                        .doOnError(e -> record(scanner));
            }
            return super.writeAndFlushWith(flux.takeUntilOther(idle.expired()));
        }

        private UsageScanner scanner() {
            if (principal == null) {
                return null;
            }
            MediaType type = getHeaders().getContentType();
            if (type == null) {
                return null;
            }
            if (MediaType.TEXT_EVENT_STREAM.isCompatibleWith(type)) {
                return UsageScanner.forSse();
            }
            if (MediaType.APPLICATION_JSON.isCompatibleWith(type)) {
                return UsageScanner.forJson();
            }
            return null;
        }

        private void record(UsageScanner scanner) {
            if (exchange.getAttributes().putIfAbsent(RECORDED_ATTRIBUTE, Boolean.TRUE) != null) {
                return;
            }
            Long tokens = scanner.tokens();
            if (tokens == null || tokens <= 0) {
                return;
            }
            exchange.getAttributes().put(TOKENS_ATTRIBUTE, tokens);
            counters.computeIfAbsent(principal.tenant() + '\n' + routeId, k -> Counter.builder("sextant.gateway.tokens")
                    .description("Model tokens reported by responses, per tenant and route")
                    .tag("tenant", principal.tenant())
                    .tag("route", routeId)
                    .register(meters))
                    .increment(tokens);
            quota.record(principal.keyId(), tokens)
                    .doOnError(e -> log.warn("Could not count {} tokens for key {}: {}", tokens, principal.keyId(), e.toString()))
                    .onErrorComplete()
                    .subscribe();
        }
    }

    @Override
    public int getOrder() {
        // Before NettyWriteResponseFilter, so it writes through this decorator.
        return NettyWriteResponseFilter.WRITE_RESPONSE_FILTER_ORDER - 1;
    }
}
