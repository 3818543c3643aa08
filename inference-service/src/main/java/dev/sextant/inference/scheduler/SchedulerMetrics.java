package dev.sextant.inference.scheduler;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/** Per-model scheduler metrics for Prometheus, tagged {@code model}. */
public final class SchedulerMetrics {

    private final MeterRegistry registry;
    private final Tags tags;
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Timer endToEnd;
    private final Counter promptTokens;
    private final Counter generatedTokens;
    private final Counter preemptions;
    private final Counter rejected;
    private final DistributionSummary batchTokens;
    private final Counter prefixQueries;
    private final Counter prefixHits;

    public SchedulerMetrics(MeterRegistry registry, String modelId) {
        this.registry = registry;
        this.tags = Tags.of("model", modelId);
        this.timeToFirstToken = Timer.builder("sextant.inference.time.to.first.token").tags(tags)
                .publishPercentileHistogram().serviceLevelObjectives(Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(1))
                .register(registry);
        this.interTokenLatency = Timer.builder("sextant.inference.inter.token.latency").tags(tags)
                .publishPercentileHistogram().register(registry);
        this.endToEnd = Timer.builder("sextant.inference.request.duration").tags(tags)
                .publishPercentileHistogram().register(registry);
        this.promptTokens = Counter.builder("sextant.inference.prompt.tokens").tags(tags).register(registry);
        this.generatedTokens = Counter.builder("sextant.inference.generated.tokens").tags(tags).register(registry);
        this.preemptions = Counter.builder("sextant.inference.preemptions").tags(tags).register(registry);
        this.rejected = Counter.builder("sextant.inference.rejected.requests").tags(tags).register(registry);
        this.batchTokens = DistributionSummary.builder("sextant.inference.batch.tokens").tags(tags).register(registry);
        // in tokens: hit rate = hits / queries
        this.prefixQueries = Counter.builder("sextant.inference.prefix.cache.queries").tags(tags)
                .description("Prompt tokens looked up in the prefix cache at admission").register(registry);
        this.prefixHits = Counter.builder("sextant.inference.prefix.cache.hits").tags(tags)
                .description("Prompt tokens found in the prefix cache (not recomputed)").register(registry);
    }

    void bind(Scheduler scheduler) {
        Gauge.builder("sextant.inference.running.sequences", scheduler, Scheduler::runningCount).tags(tags).register(registry);
        Gauge.builder("sextant.inference.waiting.sequences", scheduler, Scheduler::waitingCount).tags(tags).register(registry);
        Gauge.builder("sextant.inference.kv.blocks.used", scheduler, s -> s.totalKvBlocks() - s.freeKvBlocks()).tags(tags).register(registry);
        Gauge.builder("sextant.inference.kv.blocks.total", scheduler, Scheduler::totalKvBlocks).tags(tags).register(registry);
    }

    /** Removes this model's meters (on unload). */
    public void remove() {
        registry.getMeters().stream().filter(m -> tags.stream().allMatch(t -> t.getValue().equals(m.getId().getTag(t.getKey()))))
                .forEach(registry::remove);
    }

    void firstToken(long nanos) {
        timeToFirstToken.record(Duration.ofNanos(nanos));
    }

    void interToken(long nanos) {
        interTokenLatency.record(Duration.ofNanos(nanos));
    }

    void finished(int prompt, int generated, long nanos) {
        promptTokens.increment(prompt);
        generatedTokens.increment(generated);
        endToEnd.record(Duration.ofNanos(nanos));
    }

    void stepped(int tokens) {
        batchTokens.record(tokens);
    }

    void prefixLookup(int tokens, int cached) {
        prefixQueries.increment(tokens);
        prefixHits.increment(cached);
    }

    void preempted() {
        preemptions.increment();
    }

    void rejected() {
        rejected.increment();
    }
}
