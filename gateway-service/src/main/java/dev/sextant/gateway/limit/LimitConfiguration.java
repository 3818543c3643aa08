package dev.sextant.gateway.limit;

import java.time.Clock;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

/** In-memory budgets by default; Redis budgets when {@code sextant.gateway.redis.enabled=true}. */
@Configuration(proxyBeanMethods = false)
class LimitConfiguration {

    @Bean
    @ConditionalOnProperty(name = "sextant.gateway.redis.enabled", havingValue = "true")
    RedisRateLimits redisRateLimits(ReactiveStringRedisTemplate redis,
            @Value("${sextant.gateway.redis.key-prefix:sextant:gateway:}") String prefix) {
        return new RedisRateLimits(redis, prefix, Clock.systemUTC());
    }

    @Bean
    @ConditionalOnProperty(name = "sextant.gateway.redis.enabled", havingValue = "false", matchIfMissing = true)
    InMemoryRateLimits inMemoryRateLimits() {
        return new InMemoryRateLimits(Clock.systemUTC());
    }
}
