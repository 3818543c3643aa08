package dev.sextant.gateway.routing;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code sextant.gateway.*}: where the services are, and how much the gateway lets through.
 *
 * @param upstreams         base URL of each service by name ({@code inference}, {@code retrieval},
 *                          {@code ingestion}, {@code structured-output}); the route table refers to them
 * @param maxBodySize       request body limit, unless a route's metadata sets {@code max-body-size}
 * @param streamIdleTimeout longest silence allowed between two chunks of a response (SSE streams included);
 *                          there is no limit on a stream's total length
 * @param accessLog         one log line per request (tenant, route, status, latency, tokens)
 */
@ConfigurationProperties("sextant.gateway")
public record RoutingProperties(
        @DefaultValue Map<String, URI> upstreams,
        @DefaultValue("10MB") DataSize maxBodySize,
        @DefaultValue("60s") Duration streamIdleTimeout,
        @DefaultValue("true") boolean accessLog,
        @DefaultValue Cors cors,
        @DefaultValue Resilience resilience) {

    /** CORS for browser clients; no origin listed means no CORS headers at all. */
    public record Cors(@DefaultValue List<String> allowedOrigins,
            @DefaultValue({"GET", "POST", "PUT", "DELETE", "OPTIONS"}) List<String> allowedMethods,
            @DefaultValue("*") List<String> allowedHeaders,
            @DefaultValue({"X-Request-Id", "Retry-After"}) List<String> exposedHeaders,
            @DefaultValue("false") boolean allowCredentials,
            @DefaultValue("30m") Duration maxAge) {
    }

    /**
     * Circuit breaker and time limiter per route: {@code defaults}, overridden per route id in {@code routes}.
     * The time limiter bounds the wait for the upstream's response headers, never the body, so SSE streams
     * run as long as they keep talking (see {@code streamIdleTimeout}).
     */
    public record Resilience(@DefaultValue Settings defaults, @DefaultValue Map<String, Settings> routes) {

        public Settings forRoute(String routeId) {
            Settings route = routes.get(routeId);
            return route == null ? defaults : route.orElse(defaults);
        }
    }

    public record Settings(Float failureRateThreshold, Integer slidingWindowSize, Integer minimumNumberOfCalls,
            Duration waitInOpenState, Duration timeToHeaders) {

        Settings orElse(Settings d) {
            return new Settings(
                    failureRateThreshold != null ? failureRateThreshold : d.failureRateThreshold,
                    slidingWindowSize != null ? slidingWindowSize : d.slidingWindowSize,
                    minimumNumberOfCalls != null ? minimumNumberOfCalls : d.minimumNumberOfCalls,
                    waitInOpenState != null ? waitInOpenState : d.waitInOpenState,
                    timeToHeaders != null ? timeToHeaders : d.timeToHeaders);
        }
    }
}
