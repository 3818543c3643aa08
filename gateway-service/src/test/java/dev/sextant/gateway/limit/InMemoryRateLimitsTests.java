package dev.sextant.gateway.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class InMemoryRateLimitsTests {

    private final Clock clock = Clock.fixed(Instant.parse("2026-11-27T10:00:30Z"), ZoneOffset.UTC);
    private final InMemoryRateLimits limits = new InMemoryRateLimits(clock);

    @Test
    void admitsTheBurstThenRefusesWithARetryAfter() {
        for (int i = 0; i < 3; i++) {
            assertThat(limits.tryAcquire("k", 1, 3).block().allowed()).isTrue();
        }
        RateDecision refused = limits.tryAcquire("k", 1, 3).block();

        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void keysHaveSeparateBuckets() {
        assertThat(limits.tryAcquire("a", 1, 1).block().allowed()).isTrue();
        assertThat(limits.tryAcquire("b", 1, 1).block().allowed()).isTrue();
        assertThat(limits.tryAcquire("a", 1, 1).block().allowed()).isFalse();
    }

    @Test
    void tokenQuotaAdmitsUntilTheMinutesCountReachesIt() {
        limits.record("k", 60).block();
        assertThat(limits.check("k", 100).block().allowed()).isTrue();

        limits.record("k", 40).block();
        RateDecision refused = limits.check("k", 100).block();

        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).as("30 s left in the minute").isEqualTo(30);
        assertThat(limits.used("k").block()).isEqualTo(100L);
    }
}
