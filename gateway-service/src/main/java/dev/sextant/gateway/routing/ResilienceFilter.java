package dev.sextant.gateway.routing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatusCode;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

import dev.sextant.gateway.problem.GatewayException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.github.resilience4j.micrometer.tagged.TaggedTimeLimiterMetrics;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

/**
 * A Resilience4j circuit breaker and time limiter per route. The call the breaker judges ends when the
 * upstream's response headers arrive (or a 5xx does, or the connection fails), not when the body ends: a
 * long SSE stream is one healthy call, and the time limiter bounds only the wait for the headers. An open
 * breaker answers 503 at once. Nothing is retried: a generation POST must never run twice.
 */
@Component
public class ResilienceFilter implements GlobalFilter, Ordered {

    public static final int ORDER = IdentityFilter.ORDER + 20;

    private final RoutingProperties.Resilience settings;
    private final GatewayTimer timer;
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    private final TimeLimiterRegistry timeLimiters = TimeLimiterRegistry.ofDefaults();

    public ResilienceFilter(RoutingProperties properties, MeterRegistry meters, GatewayTimer timer) {
        this.settings = properties.resilience();
        this.timer = timer;
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
        TaggedTimeLimiterMetrics.ofTimeLimiterRegistry(timeLimiters).bindTo(meters);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
        Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
        if (route == null) {
            return chain.filter(exchange);
        }
        CircuitBreaker breaker = breaker(route.getId());
        TimeLimiter limiter = timeLimiter(route.getId());
        if (!breaker.tryAcquirePermission()) {
            return Mono.error(CallNotPermittedException.createCallNotPermittedException(breaker));
        }
        long start = System.nanoTime();
        AtomicBoolean judged = new AtomicBoolean();
        AtomicBoolean headersArrived = new AtomicBoolean();
        exchange.getResponse().beforeCommit(() -> {
            headersArrived.set(true);
            if (judged.compareAndSet(false, true)) {
                HttpStatusCode status = exchange.getResponse().getStatusCode();
                long elapsed = System.nanoTime() - start;
                if (status != null && status.is5xxServerError()) {
                    breaker.onError(elapsed, TimeUnit.NANOSECONDS, new UpstreamStatusException(status));
                }
                else {
                    breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
                }
                limiter.onSuccess();
            }
            return Mono.empty();
        });
        Duration budget = limiter.getTimeLimiterConfig().getTimeoutDuration();
        Mono<Long> headersTimeout = timer.deadline(budget, () -> !headersArrived.get());
        return chain.filter(exchange)
                .timeout(headersTimeout, Mono.error(() -> new TimeoutException(
                        "no response headers within " + budget.toMillis() + " ms")))
                .doOnError(error -> {
                    if (judged.compareAndSet(false, true)) {
                        if (error instanceof GatewayException) {
                            // The client's fault (e.g. a streamed body over the limit), not the upstream's.
                            breaker.releasePermission();
                            return;
                        }
                        breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, error);
                        if (error instanceof TimeoutException timeout) {
                            limiter.onError(timeout);
                        }
                    }
                })
                .doOnCancel(() -> {
                    if (judged.compareAndSet(false, true)) {
                        breaker.releasePermission();
                    }
                });
    }

    private CircuitBreaker breaker(String routeId) {
        return breakers.find(routeId).orElseGet(() -> {
            RoutingProperties.Settings s = settings.forRoute(routeId);
            CircuitBreakerConfig.Builder config = CircuitBreakerConfig.custom();
            if (s.failureRateThreshold() != null) {
                config.failureRateThreshold(s.failureRateThreshold());
            }
            if (s.slidingWindowSize() != null) {
                config.slidingWindowSize(s.slidingWindowSize());
            }
            if (s.minimumNumberOfCalls() != null) {
                config.minimumNumberOfCalls(s.minimumNumberOfCalls());
            }
            if (s.waitInOpenState() != null) {
                config.waitDurationInOpenState(s.waitInOpenState());
            }
            return breakers.circuitBreaker(routeId, config.build());
        });
    }

    private TimeLimiter timeLimiter(String routeId) {
        return timeLimiters.find(routeId).orElseGet(() -> {
            Duration timeToHeaders = settings.forRoute(routeId).timeToHeaders();
            return timeLimiters.timeLimiter(routeId, TimeLimiterConfig.custom()
                    .timeoutDuration(timeToHeaders != null ? timeToHeaders : Duration.ofSeconds(30))
                    .cancelRunningFuture(true)
                    .build());
        });
    }

    /** An upstream 5xx, counted by the breaker as a failure. */
    static final class UpstreamStatusException extends RuntimeException {
        UpstreamStatusException(HttpStatusCode status) {
            super("upstream answered " + status.value(), null, false, false);
        }
    }

    @Override
    public int getOrder() {
        return ORDER;
    }
}
