package dev.sextant.gateway.problem;

import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.WebExceptionHandler;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import reactor.core.publisher.Mono;

/**
 * Turns every error that reaches the web handler into problem details: the gateway's own
 * {@link GatewayException}s, Spring's {@link ResponseStatusException}s (404, 405, 400 on unreadable bodies),
 * and upstream failures (refused connection, open breaker → 503; time limiter → 504; broken upstream → 502).
 * Runs before Boot's default handler (order -1).
 */
@Component
@Order(-2)
public class GatewayErrorHandler implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(GatewayErrorHandler.class);

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        if (exchange.getResponse().isCommitted()) {
            return Mono.error(ex);
        }
        return ProblemWriter.write(exchange, toProblem(exchange, ex));
    }

    static GatewayException toProblem(ServerWebExchange exchange, Throwable ex) {
        if (ex instanceof GatewayException problem) {
            return problem;
        }
        String route = routeId(exchange);
        if (ex instanceof CallNotPermittedException) {
            return GatewayException.upstreamUnavailable(route, "its circuit breaker is open after repeated failures", ex);
        }
        if (ex instanceof ConnectException) {
            return GatewayException.upstreamUnavailable(route, "connection failed (" + ex.getMessage() + ")", ex);
        }
        if (ex instanceof TimeoutException) {
            return GatewayException.upstreamTimeout(route, ex.getMessage());
        }
        if (ex instanceof ServerWebInputException input) {
            return GatewayException.of(HttpStatus.BAD_REQUEST, "malformed-body", "Request body cannot be read", null,
                    input.getReason());
        }
        if (ex instanceof ResponseStatusException status) {
            return fromStatus(route, status.getStatusCode(), status.getReason());
        }
        if (ex instanceof IOException) {
            return GatewayException.of(HttpStatus.BAD_GATEWAY, "bad-gateway", "A service this request needs failed",
                    null, "Service '" + route + "' broke off the exchange: " + ex.getMessage());
        }
        log.error("Unhandled error on {} {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), ex);
        return GatewayException.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error", null,
                "The gateway failed to handle the request");
    }

    private static GatewayException fromStatus(String route, HttpStatusCode code, String reason) {
        HttpStatus status = HttpStatus.resolve(code.value());
        if (status == null) {
            status = HttpStatus.INTERNAL_SERVER_ERROR;
        }
        String detail = reason != null ? reason : status.getReasonPhrase();
        return switch (status) {
            case NOT_FOUND -> GatewayException.of(status, "not-found", "Resource not found", null,
                    "No route or resource for this path");
            case METHOD_NOT_ALLOWED -> GatewayException.of(status, "method-not-allowed", "Method not allowed", null, detail);
            case CONTENT_TOO_LARGE -> GatewayException.of(status, "payload-too-large", "Request body too large", null, detail);
            case GATEWAY_TIMEOUT -> GatewayException.upstreamTimeout(route, detail);
            case SERVICE_UNAVAILABLE -> GatewayException.upstreamUnavailable(route, detail, null);
            case UNSUPPORTED_MEDIA_TYPE -> GatewayException.of(status, "unsupported-media-type", "Unsupported media type",
                    null, detail);
            default -> GatewayException.of(status, status.is4xxClientError() ? "bad-request" : "internal-error",
                    status.getReasonPhrase(), null, detail);
        };
    }

    private static String routeId(ServerWebExchange exchange) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        return route != null ? route.getId() : "unknown";
    }
}
