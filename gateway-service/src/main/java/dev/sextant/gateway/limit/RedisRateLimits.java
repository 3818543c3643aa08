package dev.sextant.gateway.limit;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

import reactor.core.publisher.Mono;

/**
 * Request and token budgets shared by every gateway replica: a token bucket in a Lua script (atomic, timed by
 * the Redis server's clock so replicas' clocks need not agree) and a per-minute {@code INCRBY} counter that
 * expires on its own.
 */
public class RedisRateLimits implements RequestRateLimiter, TokenQuota {

    // KEYS[1] bucket; ARGV[1] refill per second, ARGV[2] capacity. Returns {allowed, retry-after micros}.
    private static final RedisScript<List> TOKEN_BUCKET = RedisScript.of("""
            local now = redis.call('TIME')
            local t = tonumber(now[1]) * 1000000 + tonumber(now[2])
            local rate = tonumber(ARGV[1])
            local capacity = tonumber(ARGV[2])
            local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
            local tokens = tonumber(state[1]) or capacity
            local at = tonumber(state[2]) or t
            tokens = math.min(capacity, tokens + math.max(0, t - at) * rate / 1000000)
            local allowed = 0
            local retry = 0
            if tokens >= 1 then
              tokens = tokens - 1
              allowed = 1
            else
              retry = math.ceil((1 - tokens) * 1000000 / rate)
            end
            redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(t))
            redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
            return {allowed, retry}
            """, List.class);

    private final ReactiveStringRedisTemplate redis;
    private final String prefix;
    private final Clock clock;

    public RedisRateLimits(ReactiveStringRedisTemplate redis, String prefix, Clock clock) {
        this.redis = redis;
        this.prefix = prefix;
        this.clock = clock;
    }

    @Override
    public Mono<RateDecision> tryAcquire(String keyId, int perSecond, int burst) {
        return redis.execute(TOKEN_BUCKET, List.of(prefix + "rps:" + keyId),
                        List.of(Integer.toString(perSecond), Integer.toString(burst)))
                .next()
                .map(result -> ((Number) result.get(0)).longValue() == 1 ? RateDecision.ALLOWED
                        : new RateDecision(false, (((Number) result.get(1)).longValue() + 999) / 1000));
    }

    @Override
    public Mono<RateDecision> check(String keyId, long perMinute) {
        long now = clock.millis();
        return redis.opsForValue().get(minuteKey(keyId, now))
                .map(Long::parseLong)
                .defaultIfEmpty(0L)
                .map(used -> used < perMinute ? RateDecision.ALLOWED
                        : new RateDecision(false, TokenQuota.millisToNextMinute(now)));
    }

    @Override
    public Mono<Void> record(String keyId, long tokens) {
        String key = minuteKey(keyId, clock.millis());
        return redis.opsForValue().increment(key, tokens)
                .flatMap(total -> total == tokens ? redis.expire(key, Duration.ofMinutes(2)) : Mono.just(true))
                .then();
    }

    @Override
    public Mono<Long> used(String keyId) {
        return redis.opsForValue().get(minuteKey(keyId, clock.millis())).map(Long::parseLong).defaultIfEmpty(0L);
    }

    private String minuteKey(String keyId, long millis) {
        return prefix + "tpm:" + keyId + ":" + millis / 60_000;
    }
}
