package dev.sextant.gateway.limit;

import reactor.core.publisher.Mono;

/**
 * Model tokens per key per calendar minute (UTC), counted from the {@code usage} that responses report. A
 * request is admitted while the minute's count is under the quota; its own usage is known only afterwards.
 */
public interface TokenQuota {

    Mono<RateDecision> check(String keyId, long perMinute);

    Mono<Void> record(String keyId, long tokens);

    /** Tokens counted for the key in the current minute. */
    Mono<Long> used(String keyId);

    static long millisToNextMinute(long nowMillis) {
        return 60_000 - nowMillis % 60_000;
    }
}
