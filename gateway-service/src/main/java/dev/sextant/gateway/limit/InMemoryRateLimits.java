package dev.sextant.gateway.limit;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import reactor.core.publisher.Mono;

/** Request and token budgets of one replica, kept in its memory. */
public class InMemoryRateLimits implements RequestRateLimiter, TokenQuota {

    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    public InMemoryRateLimits(Clock clock) {
        this.clock = clock;
    }

    private static final class Bucket {
        private double tokens;
        private long updatedNanos;

        Bucket(int burst, long now) {
            this.tokens = burst;
            this.updatedNanos = now;
        }

        synchronized RateDecision take(int perSecond, int burst, long now) {
            tokens = Math.min(burst, tokens + (now - updatedNanos) * perSecond / 1e9);
            updatedNanos = now;
            if (tokens >= 1) {
                tokens -= 1;
                return RateDecision.ALLOWED;
            }
            return new RateDecision(false, (long) Math.ceil((1 - tokens) * 1000 / perSecond));
        }
    }

    private record Window(long minute, long tokens) {
    }

    @Override
    public Mono<RateDecision> tryAcquire(String keyId, int perSecond, int burst) {
        long now = System.nanoTime();
        return Mono.just(buckets.computeIfAbsent(keyId, id -> new Bucket(burst, now)).take(perSecond, burst, now));
    }

    @Override
    public Mono<RateDecision> check(String keyId, long perMinute) {
        long now = clock.millis();
        Window window = windows.get(keyId);
        long used = window != null && window.minute() == now / 60_000 ? window.tokens() : 0;
        return Mono.just(used < perMinute ? RateDecision.ALLOWED
                : new RateDecision(false, TokenQuota.millisToNextMinute(now)));
    }

    @Override
    public Mono<Void> record(String keyId, long tokens) {
        long minute = clock.millis() / 60_000;
        windows.merge(keyId, new Window(minute, tokens),
                (old, add) -> old.minute() == minute ? new Window(minute, old.tokens() + tokens) : add);
        return Mono.empty();
    }

    @Override
    public Mono<Long> used(String keyId) {
        Window window = windows.get(keyId);
        return Mono.just(window != null && window.minute() == clock.millis() / 60_000 ? window.tokens() : 0L);
    }
}
