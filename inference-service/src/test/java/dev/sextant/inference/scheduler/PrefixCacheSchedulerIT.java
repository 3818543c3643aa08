package dev.sextant.inference.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.sampling.SamplingParams;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** Prefix caching through the scheduler (stories260K, blocks of 16): same tokens as a cold cache, hits counted. */
class PrefixCacheSchedulerIT extends StoriesEngine {

    private static Session session(int contextTokens) {
        return model.newSession(SessionOptions.defaults().withThreads(1).withMaxSequences(4).withContextTokens(contextTokens)
                .withKvBlockSize(16));
    }

    /** A shared preamble of {@code shared} tokens, then {@code tail} tokens that depend on {@code seed}. */
    private static int[] prompt(int shared, int tail, long seed) {
        int[] p = new int[shared + tail];
        Random common = new Random(42), own = new Random(seed);
        p[0] = 1;
        for (int i = 1; i < p.length; i++) {
            p[i] = 3 + (i < shared ? common : own).nextInt(model.info().vocabularySize() - 3);
        }
        return p;
    }

    private static GenerationRequest greedy(int[] prompt, int maxTokens) {
        return new GenerationRequest(prompt, SamplingParams.greedy(), maxTokens, List.of(), true, Duration.ofMinutes(1));
    }

    private static List<Integer> run(Scheduler scheduler, GenerationRequest request) throws InterruptedException {
        LinkedBlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();
        scheduler.submit(request, events::add);
        List<Integer> ids = new ArrayList<>();
        while (true) {
            GenerationEvent e = events.poll(60, TimeUnit.SECONDS);
            assertThat(e).as("event before timeout").isNotNull().isNotInstanceOf(GenerationEvent.Failed.class);
            if (e instanceof GenerationEvent.Token t && t.tokenId() >= 0) {
                ids.add(t.tokenId());
            }
            if (e instanceof GenerationEvent.Finished) {
                return ids;
            }
        }
    }

    /** The tokens of each request, in order, on a fresh session (no cached prefix to begin with). */
    private static List<List<Integer>> runAll(MeterRegistry meters, int contextTokens, GenerationRequest... requests)
            throws InterruptedException {
        try (Session session = session(contextTokens);
                Scheduler scheduler = new Scheduler("p", session, tokenizer, new SchedulerConfig(4, 64, 16),
                        new SchedulerMetrics(meters, "p"))) {
            List<List<Integer>> out = new ArrayList<>();
            for (GenerationRequest r : requests) {
                out.add(run(scheduler, r));
            }
            assertThat(scheduler.freeKvBlocks()).as("idle: cached blocks count as free").isEqualTo(scheduler.totalKvBlocks());
            return out;
        }
    }

    private static double count(MeterRegistry meters, String name) {
        return meters.get(name).tag("model", "p").counter().count();
    }

    @Test
    void aRequestSharingALongPrefixGivesTheSameTokensAsWithAColdCacheAndCountsTheHit() throws Exception {
        int[] first = prompt(300, 7, 1), second = prompt(300, 11, 2);
        List<Integer> cold = runAll(new SimpleMeterRegistry(), 1024, greedy(second, 40)).getFirst();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<List<Integer>> warm = runAll(meters, 1024, greedy(first, 40), greedy(second, 40));
        assertThat(warm.get(1)).isEqualTo(cold);
        assertThat(count(meters, "sextant.inference.prefix.cache.queries")).isEqualTo(first.length + second.length);
        // the first request found nothing; the second found the 18 whole blocks of the shared 300 tokens
        assertThat(count(meters, "sextant.inference.prefix.cache.hits")).isEqualTo(18 * 16);
    }

    @Test
    void prometheusExportsHitsAndQueriesUnderTheDashboardsNames() throws Exception {
        int[] p = prompt(100, 5, 3);
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        runAll(prometheus, 1024, greedy(p, 4), greedy(p, 4));
        String scrape = prometheus.scrape();
        assertThat(scrape).contains("sextant_inference_prefix_cache_queries_total{model=\"p\"} " + (2.0 * p.length))
                .contains("sextant_inference_prefix_cache_hits_total{model=\"p\"} " + (6.0 * 16));
    }

    @Test
    void cachedPrefixesAreEvictedWhenNewRequestsNeedTheirBlocks() throws Exception {
        // 256 cells = 16 blocks; every request needs 7 to 10 of them, so older prefixes must be evicted
        GenerationRequest[] requests = new GenerationRequest[6];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = greedy(prompt(1, 100 + 10 * i, 100 + i), 50);
        }
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<List<Integer>> small = runAll(meters, 256, requests);
        List<List<Integer>> roomy = runAll(new SimpleMeterRegistry(), 4096, requests);
        assertThat(small).isEqualTo(roomy);
        assertThat(count(meters, "sextant.inference.preemptions")).isZero();
    }

    @Test
    void repeatingAPromptReusesAllButItsLastBlock() throws Exception {
        int[] p = prompt(200, 0, 0);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<List<Integer>> out = runAll(meters, 1024, greedy(p, 20), greedy(Arrays.copyOf(p, p.length), 20));
        assertThat(out.get(1)).isEqualTo(out.get(0));
        assertThat(count(meters, "sextant.inference.prefix.cache.hits")).isEqualTo((199 / 16) * 16);
    }
}
