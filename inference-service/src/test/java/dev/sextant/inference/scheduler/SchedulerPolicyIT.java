package dev.sextant.inference.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.sampling.SamplingParams;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The step policy on the real engine (stories260K): how prefill chunks share steps with decode rows. Event sinks run
 * on the scheduler thread, so one log of all streams' tokens records the order of steps exactly; a stream "Z" whose
 * sink holds its first token until the other requests are queued makes the arrivals deterministic.
 */
class SchedulerPolicyIT extends StoriesEngine {

    /** Tokens of all streams in the order their events came out, as "name:index". */
    private static final class Log {
        final List<String> entries = new ArrayList<>();
        final CountDownLatch done;

        Log(int streams) {
            done = new CountDownLatch(streams);
        }

        synchronized void token(String name, int index) {
            entries.add(name + ":" + index);
        }

        synchronized int indexOf(String entry) {
            assertThat(entries).contains(entry);
            return entries.indexOf(entry);
        }

        synchronized long count(String name, int from, int to) {
            return entries.subList(from, to).stream().filter(e -> e.startsWith(name + ":")).count();
        }
    }

    private static GenerationRequest request(int[] prompt, int maxTokens) {
        // logprobs on: every sampled token comes out as an event, even one that decodes to no text yet
        return new GenerationRequest(prompt, SamplingParams.greedy().withLogprobs(true, 0), maxTokens, List.of(), true,
                Duration.ofMinutes(1));
    }

    private static int[] prompt(int length, int salt) {
        int[] p = new int[length];
        p[0] = 1;
        for (int i = 1; i < length; i++) {
            p[i] = 3 + (i * 7 + salt * 31) % 400;
        }
        return p;
    }

    private static GenerationHandle submit(Scheduler scheduler, String name, GenerationRequest request, Log log,
            CountDownLatch firstToken, CountDownLatch release) {
        int[] n = {0};
        return scheduler.submit(request, event -> {
            if (event instanceof GenerationEvent.Token t && t.tokenId() >= 0) {
                log.token(name, n[0]++);
                if (n[0] == 1 && release != null) {
                    firstToken.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS); // holds the scheduler thread while the test queues more
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            } else if (!(event instanceof GenerationEvent.Token)) {
                log.done.countDown();
            }
        });
    }

    /**
     * Z decodes (its first token held until the others are queued, so the arrival order is deterministic); then the
     * {@code arrivals} (in their order) come together. Returns the log once they are done; Z is cancelled.
     */
    private static Log whileZDecodes(SchedulerConfig config, Map<String, GenerationRequest> arrivals) throws Exception {
        try (Session session = model.newSession(SessionOptions.defaults().withThreads(1).withMaxSequences(arrivals.size() + 1));
                Scheduler scheduler = new Scheduler("policy", session, tokenizer, config,
                        new SchedulerMetrics(new SimpleMeterRegistry(), "policy"))) {
            Log log = new Log(arrivals.size());
            CountDownLatch zFirst = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            GenerationHandle z = submit(scheduler, "Z", request(new int[] {1}, 10_000), log, zFirst, release);
            assertThat(zFirst.await(30, TimeUnit.SECONDS)).isTrue();
            arrivals.forEach((name, request) -> submit(scheduler, name, request, log, null, null));
            release.countDown();
            assertThat(log.done.await(60, TimeUnit.SECONDS)).isTrue();
            z.cancel();
            return log;
        }
    }

    /** Z decodes; A, B, C, D (60-token prompts, 64 tokens per step) arrive together: Z keeps decoding beside them either way. */
    private static Log burst(SchedulerConfig config) throws Exception {
        Map<String, GenerationRequest> arrivals = new LinkedHashMap<>();
        String[] names = {"A", "B", "C", "D"};
        for (int i = 0; i < names.length; i++) {
            arrivals.put(names[i], request(prompt(60, i), 3));
        }
        return whileZDecodes(config, arrivals);
    }

    @Test
    void aBurstOfArrivalsIsPrefilledBeforeItsStreamsStartDecoding() throws Exception {
        Log log = burst(new SchedulerConfig(5, 64, 16, false));
        int lastPrefilled = log.indexOf("D:0");
        for (String s : List.of("A", "B", "C")) {
            assertThat(log.indexOf(s + ":0")).isLessThan(lastPrefilled);
            assertThat(log.indexOf(s + ":1")).as("%s decodes only once the burst is prefilled", s).isGreaterThan(lastPrefilled);
        }
        // Z was decoding before the burst came: it was never held (one token per step, 4 prompts of 60 in 63-token chunks)
        assertThat(log.count("Z", log.indexOf("Z:0") + 1, lastPrefilled)).isEqualTo(4);
    }

    @Test
    void withoutPrefillBurstsFirstTheFirstStreamsDecodeBesideTheOthersPrefill() throws Exception {
        Log log = burst(new SchedulerConfig(5, 64, 16, false).withPrefillBurstsFirst(false));
        assertThat(log.indexOf("A:1")).isLessThan(log.indexOf("D:0"));
        assertThat(log.indexOf("B:1")).isLessThan(log.indexOf("D:0"));
    }

    /** Z decodes; a 100-token prompt arrives. Returns how many tokens Z gave before the newcomer's first token. */
    private static long zTokensDuringPrefill(SchedulerConfig config) throws Exception {
        Log log = whileZDecodes(config, Map.of("A", request(prompt(100, 5), 2)));
        return log.count("Z", log.indexOf("Z:0") + 1, log.indexOf("A:0"));
    }

    @Test
    void mixedPrefillTokensBoundsThePrefillChunkBesideDecodeRows() throws Exception {
        // 64 tokens per step: Z's decode and 63 prompt tokens, so the prompt takes 2 steps
        assertThat(zTokensDuringPrefill(new SchedulerConfig(2, 64, 4, false))).isEqualTo(2);
        // at most 16 prompt tokens beside a decode row: 7 steps, each with one of Z's tokens
        assertThat(zTokensDuringPrefill(new SchedulerConfig(2, 64, 4, false).withMixedPrefillTokens(16))).isEqualTo(7);
    }
}
