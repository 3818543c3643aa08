package dev.sextant.inference.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.sampling.SamplingParams;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The scheduler on the real engine (stories260K): admission, queue limit, preemption, cancellation. */
class SchedulerIT extends StoriesEngine {

    private static GenerationRequest greedy(int maxTokens) {
        return new GenerationRequest(new int[] {1}, SamplingParams.greedy(), maxTokens, List.of(), true, Duration.ofMinutes(1));
    }

    /** Runs a request to its end and returns the generated token ids. */
    private static List<Integer> run(Scheduler scheduler, GenerationRequest request) throws InterruptedException {
        LinkedBlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();
        scheduler.submit(request, events::add);
        return collect(events);
    }

    private static List<Integer> collect(LinkedBlockingQueue<GenerationEvent> events) throws InterruptedException {
        List<Integer> ids = new ArrayList<>();
        while (true) {
            GenerationEvent e = events.poll(60, TimeUnit.SECONDS);
            assertThat(e).as("event before timeout").isNotNull();
            if (e instanceof GenerationEvent.Token t && t.tokenId() >= 0) {
                ids.add(t.tokenId());
            }
            if (e instanceof GenerationEvent.Finished f) {
                assertThat(f.completionTokens()).isGreaterThanOrEqualTo(ids.size());
                return ids;
            }
            assertThat(e).isNotInstanceOf(GenerationEvent.Failed.class);
        }
    }

    @Test
    void refusesNewRequestsWhenTheWaitingQueueIsFull() {
        try (Session session = model.newSession(SessionOptions.defaults().withThreads(1).withMaxSequences(1));
                Scheduler scheduler = new Scheduler("q", session, tokenizer, new SchedulerConfig(1, 64, 1),
                        new SchedulerMetrics(new SimpleMeterRegistry(), "q"))) {
            List<GenerationHandle> handles = new ArrayList<>();
            assertThatThrownBy(() -> {
                for (int i = 0; i < 10; i++) {
                    handles.add(scheduler.submit(greedy(2000), e -> { }));
                }
            }).isInstanceOf(QueueFullException.class);
            assertThat(handles).hasSizeBetween(1, 2);
            handles.forEach(GenerationHandle::cancel);
        }
    }

    @Test
    void preemptsAndRecomputesWhenTheKvCacheRunsOutWithoutChangingTheTokens() throws Exception {
        List<Integer> alone;
        try (Session session = model.newSession(SessionOptions.defaults().withThreads(1).withMaxSequences(4).withContextTokens(1024));
                Scheduler scheduler = new Scheduler("big", session, tokenizer, new SchedulerConfig(4, 64, 16),
                        new SchedulerMetrics(new SimpleMeterRegistry(), "big"))) {
            alone = run(scheduler, greedy(100));
        }
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        // 4 sequences of 101 tokens need 28 blocks of 16; the cache has 16
        try (Session session = model.newSession(SessionOptions.defaults().withThreads(1).withMaxSequences(4)
                .withContextTokens(256).withKvBlockSize(16));
                Scheduler scheduler = new Scheduler("small", session, tokenizer, new SchedulerConfig(4, 64, 16),
                        new SchedulerMetrics(meters, "small"))) {
            List<LinkedBlockingQueue<GenerationEvent>> queues = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                LinkedBlockingQueue<GenerationEvent> q = new LinkedBlockingQueue<>();
                scheduler.submit(greedy(100), q::add);
                queues.add(q);
            }
            for (LinkedBlockingQueue<GenerationEvent> q : queues) {
                assertThat(collect(q)).isEqualTo(alone);
            }
            assertThat(meters.get("sextant.inference.preemptions").counter().count()).isPositive();
            assertThat(scheduler.freeKvBlocks()).isEqualTo(scheduler.totalKvBlocks());
        }
    }

    @Test
    void aCancelledSequenceLeavesWithinAStepAndFreesItsBlocks() throws Exception {
        try (Session session = model.newSession(SessionOptions.defaults().withThreads(1).withMaxSequences(2));
                Scheduler scheduler = new Scheduler("c", session, tokenizer, new SchedulerConfig(2, 64, 4),
                        new SchedulerMetrics(new SimpleMeterRegistry(), "c"))) {
            LinkedBlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();
            GenerationHandle handle = scheduler.submit(greedy(100_000), events::add);
            assertThat(events.poll(30, TimeUnit.SECONDS)).isInstanceOf(GenerationEvent.Token.class);
            handle.cancel();
            GenerationEvent last;
            do {
                last = events.poll(30, TimeUnit.SECONDS);
            } while (last instanceof GenerationEvent.Token);
            assertThat(last).isInstanceOfSatisfying(GenerationEvent.Finished.class,
                    f -> assertThat(f.reason()).isEqualTo(FinishReason.CANCELLED));
            assertThat(scheduler.runningCount()).isZero();
            assertThat(scheduler.freeKvBlocks()).isEqualTo(scheduler.totalKvBlocks());
        }
    }

    @Test
    void refusesAPromptLongerThanTheContext() {
        try (Session session = model.newSession(SessionOptions.defaults().withThreads(1).withContextTokens(64));
                Scheduler scheduler = new Scheduler("l", session, tokenizer, new SchedulerConfig(1, 64, 4),
                        new SchedulerMetrics(new SimpleMeterRegistry(), "l"))) {
            int[] prompt = new int[100];
            prompt[0] = 1;
            assertThatThrownBy(() -> scheduler.submit(new GenerationRequest(prompt, SamplingParams.greedy(), 4, List.of(),
                    false, null), e -> { })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("100 tokens");
        }
    }

    @Test
    void prefixCachingCanBeTurnedOff() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (Session session = model.newSession(SessionOptions.defaults().withThreads(1).withMaxSequences(2));
                Scheduler scheduler = new Scheduler("off", session, tokenizer, new SchedulerConfig(2, 64, 4, false),
                        new SchedulerMetrics(meters, "off"))) {
            int[] prompt = new int[40];
            prompt[0] = 1;
            for (int i = 1; i < prompt.length; i++) {
                prompt[i] = 300 + i;
            }
            GenerationRequest request = new GenerationRequest(prompt, SamplingParams.greedy(), 4, List.of(), true, null);
            assertThat(run(scheduler, request)).isEqualTo(run(scheduler, request));
            assertThat(meters.find("sextant.inference.prefix.cache.hits").counter())
                    .satisfiesAnyOf(c -> assertThat(c).isNull(), c -> assertThat(c.count()).isZero());
        }
    }
}
