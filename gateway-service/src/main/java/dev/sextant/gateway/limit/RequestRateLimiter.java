package dev.sextant.gateway.limit;

import reactor.core.publisher.Mono;

/** A token bucket per key: {@code burst} requests at once, refilled at {@code perSecond}. */
public interface RequestRateLimiter {

    Mono<RateDecision> tryAcquire(String keyId, int perSecond, int burst);
}
