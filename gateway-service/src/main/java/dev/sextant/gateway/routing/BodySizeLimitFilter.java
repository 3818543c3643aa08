package dev.sextant.gateway.routing;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.server.ServerWebExchange;

import dev.sextant.gateway.problem.GatewayException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * 413 for a body over the route's limit ({@code max-body-size} in the route's metadata, else
 * {@code sextant.gateway.max-body-size}): at once when {@code Content-Length} says so, otherwise as soon as the
 * streamed (chunked) body passes the limit; the body is counted as it flows, never buffered.
 */
@Component
public class BodySizeLimitFilter implements GlobalFilter, Ordered {

    public static final int ORDER = IdentityFilter.ORDER + 5;

    private final long defaultLimit;

    public BodySizeLimitFilter(RoutingProperties properties) {
        this.defaultLimit = properties.maxBodySize().toBytes();
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        long limit = limitFor(exchange);
        ServerHttpRequest request = exchange.getRequest();
        long declared = request.getHeaders().getContentLength();
        if (declared > limit) {
            return Mono.error(GatewayException.payloadTooLarge(limit));
        }
        if (declared >= 0) {
            return chain.filter(exchange);
        }
        ServerHttpRequest counted = new ServerHttpRequestDecorator(request) {
            @Override
            public Flux<DataBuffer> getBody() {
                long[] seen = {0};
                return super.getBody().handle((buffer, sink) -> {
                    seen[0] += buffer.readableByteCount();
                    if (seen[0] > limit) {
                        DataBufferUtils.release(buffer);
                        sink.error(GatewayException.payloadTooLarge(limit));
                    }
                    else {
                        sink.next(buffer);
                    }
                });
            }
        };
        return chain.filter(exchange.mutate().request(counted).build());
    }

    private long limitFor(ServerWebExchange exchange) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        Object routeLimit = route == null ? null : route.getMetadata().get("max-body-size");
        return routeLimit == null ? defaultLimit : DataSize.parse(routeLimit.toString()).toBytes();
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
