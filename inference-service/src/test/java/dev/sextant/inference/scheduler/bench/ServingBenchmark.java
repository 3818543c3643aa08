package dev.sextant.inference.scheduler.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.sextant.inference.engine.Model;
import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.engine.bench.EngineBenchmark;
import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.RandomModelGenerator;
import dev.sextant.inference.sampling.SamplingParams;
import dev.sextant.inference.scheduler.GenerationEvent;
import dev.sextant.inference.scheduler.GenerationRequest;
import dev.sextant.inference.scheduler.Scheduler;
import dev.sextant.inference.scheduler.SchedulerConfig;
import dev.sextant.inference.scheduler.SchedulerMetrics;
import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.tokenizer.Tokenizers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Continuous batching under load (a program, not a test): aggregate tokens/s and time-to-first-token /
 * inter-token latency p50/p99 at 1, 4, 16 and 64 concurrent streams (prompt 128, output 128 tokens, greedy,
 * EOS ignored) on the generated 768 × 12-layer 32K-vocabulary Q8_0 model, through the same scheduler the
 * server uses. Prints the 16-stream/1-stream throughput ratio and ITL p99 ratio (targets ≥ 4× and ≤ 3×).
 *
 * <pre>
 * ./mvnw -q -o -pl inference-service -am test-compile && cd inference-service
 * ../mvnw -q -o dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
 * SEXTANT_SHARED_DIR=$PWD/../../shared java -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) \
 *     dev.sextant.inference.scheduler.bench.ServingBenchmark 2 128 128
 * </pre>
 * Arguments: threads (default 2), prompt tokens (128), output tokens (128), stream counts (default 1,4,16,64),
 * tokens per engine step (max-batched-tokens, default 512: smaller chunks keep running streams' ITL down), prefill
 * tokens a step may carry beside decode rows (mixed-prefill-tokens, default: all of the step's), and whether a burst
 * of arrivals is prefilled before its streams decode ({@code true}, the default, or {@code false}: the streams
 * prefilled first decode beside the others' prefill chunks), and rounds per stream count (default 3). See
 * {@link SchedulerConfig}.
 *
 * <p>After a warm-up that runs until the JIT compiler is done with the per-step code (see {@link #warmUp}), the stream
 * counts take turns: round 1 of each, then round 2 of each, and so on, so that a slower phase of a shared machine
 * falls on all of them rather than on one. Throughput is a stream count's tokens over its rounds' wall time and the
 * percentiles are over its rounds' samples pooled (one round of one stream has 127 inter-token gaps, whose "p99"
 * is its second-largest gap). {@code -Dbench.tail=true} prints the 60 largest gaps of each stream count (a burst's
 * prefill shows as a ladder of one-prefill-step rungs, a slow step as a run of equal gaps); {@code -Dbench.kv=q8_0} runs
 * with a Q8_0 KV cache instead of the default F16 one; {@code -Dbench.block=n} sets the KV block size (default 64, the
 * server's).
 */
public final class ServingBenchmark {

    private ServingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int promptTokens = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int outputTokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int[] streams = args.length > 3 ? Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 4, 16, 64};
        Path shared = Path.of(System.getenv().getOrDefault("SEXTANT_SHARED_DIR", "../../shared"));
        Path vocab = shared.resolve("tokenizers/ggml-vocab-llama-spm.gguf");
        Path modelPath = Path.of("target", "engine-models", "bench-768x12-q8_0.gguf");
        if (!Files.isRegularFile(modelPath)) {
            Files.createDirectories(modelPath.getParent());
            RandomModelGenerator.generate(new RandomModelGenerator.Spec(vocab, 768, 12, 12, 12, 2048, 2048, GgmlType.Q8_0, 1,
                    false, 10000f, 1e-5f), modelPath);
        }
        int stepTokens = args.length > 4 ? Integer.parseInt(args[4]) : 512;
        int mixedPrefill = args.length > 5 ? Integer.parseInt(args[5]) : stepTokens;
        boolean burstsFirst = args.length > 6 ? Boolean.parseBoolean(args[6]) : true;
        int rounds = args.length > 7 ? Integer.parseInt(args[7]) : 3;
        SessionOptions.KvCacheType kv = SessionOptions.KvCacheType.valueOf(System.getProperty("bench.kv", "f16").toUpperCase(java.util.Locale.ROOT));
        int maxStreams = Arrays.stream(streams).max().orElse(64);
        System.out.printf("machine: %s, %d cores online (shared with other work: figures are noisy), CPU features %s; model %s (%d MB); "
                + "%d engine threads; prompt %d, output %d tokens per stream; greedy; at most %d tokens per step, %d of them "
                + "prefill beside decode rows; bursts prefilled first: %s; %d rounds per stream count; KV cache %s%n%n",
                EngineBenchmark.cpuName(), Runtime.getRuntime().availableProcessors(),
                Model.cpuFeatures(), modelPath, Files.size(modelPath) >> 20, threads, promptTokens,
                outputTokens, stepTokens, mixedPrefill, burstsFirst, rounds, kv);
        Tokenizer tokenizer = Tokenizers.fromGguf(modelPath);
        double base = 0;
        double baseItl = 0;
        try (Model model = Model.load(modelPath);
                Session session = model.newSession(SessionOptions.defaults().withThreads(threads).withMaxSequences(maxStreams)
                        .withContextTokens(maxStreams * (promptTokens + outputTokens + 16)).withMaxBatch(Math.max(512, stepTokens))
                        .withMaxOutputs(maxStreams).withKvCacheType(kv).withKvBlockSize(Integer.getInteger("bench.block", 64)));
                Scheduler scheduler = new Scheduler("bench", session, tokenizer, new SchedulerConfig(maxStreams, stepTokens, 1024)
                        .withMixedPrefillTokens(mixedPrefill).withPrefillBurstsFirst(burstsFirst),
                        new SchedulerMetrics(new SimpleMeterRegistry(), "bench"))) {
            int vocabSize = model.info().vocabularySize();
            warmUp(scheduler, vocabSize, Math.min(16, maxStreams), promptTokens, outputTokens);
            // the stream counts take turns, round by round, so that each sees the same phases of a shared machine
            Samples[] samples = new Samples[streams.length];
            for (int i = 0; i < streams.length; i++) {
                samples[i] = new Samples();
            }
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < streams.length; i++) {
                    round(scheduler, vocabSize, streams[i], promptTokens, outputTokens, new SplittableRandom(31L * streams[i] + round), samples[i]);
                }
            }
            System.out.println("streams  tok/s(aggregate)  TTFT p50 ms  TTFT p99 ms  ITL p50 ms  ITL p99 ms  ITL max ms  wall s (all rounds)");
            for (int i = 0; i < streams.length; i++) {
                int n = streams[i];
                Result r = samples[i].result(rounds * n * (double) outputTokens);
                System.out.printf("%7d  %16.1f  %11.1f  %11.1f  %10.2f  %10.2f  %10.1f  %6.1f%n", n, r.tokensPerSecond,
                        r.ttftP50, r.ttftP99, r.itlP50, r.itlP99, r.itlMax, r.wallSeconds);
                if (n == 1) {
                    base = r.tokensPerSecond;
                    baseItl = r.itlP99;
                }
                if (n == 16 && base > 0) {
                    System.out.printf("         16 streams / 1 stream: throughput %.2fx (target >= 4x), ITL p99 %.2fx (target <= 3x)%n",
                            r.tokensPerSecond / base, r.itlP99 / baseItl);
                }
            }
        }
        System.exit(0);
    }

    /**
     * Rounds of {@code streams} and of one stream, with prompts of their own (the measured prompts would otherwise be
     * prefix-cache hits), until the JIT compiler is done with the per-step code: two cycles in a row that add less than
     * 10 ms of compilation each (one quiet cycle was not enough: the big compilations come once counters cross their
     * thresholds), after at least three and at most 20 cycles. The scheduler's step loop is compiled by C2 only after
     * thousands of steps (on-stack replacement at four of its loops, then the whole method, ~12 s into a run here); each
     * compilation takes one of the two cores from the engine for a run of steps, which with a fixed two-round warm-up
     * showed in the 16-stream ITL p99.
     */
    private static void warmUp(Scheduler scheduler, int vocab, int streams, int promptTokens, int outputTokens) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long start = System.nanoTime();
        long before = jit.getTotalCompilationTime();
        int cycle = 0;
        int quiet = 0;
        long added;
        do {
            for (int n : new int[] {streams, 1}) {
                round(scheduler, vocab, n, promptTokens, outputTokens, new SplittableRandom(1_000_000L + 97L * cycle + n), new Samples());
            }
            long now = jit.getTotalCompilationTime();
            added = now - before;
            before = now;
            quiet = added < 10 ? quiet + 1 : 0;
            cycle++;
        } while (cycle < 20 && (cycle < 3 || quiet < 2));
        System.out.printf("warm-up: %d cycles of %d streams and 1 stream, %.1f s, %d ms of JIT compilation in all, %d ms in the last cycle%n%n",
                cycle, streams, (System.nanoTime() - start) / 1e9, jit.getTotalCompilationTime(), added);
    }

    private record Result(double tokensPerSecond, double ttftP50, double ttftP99, double itlP50, double itlP99, double itlMax,
            double wallSeconds) {
    }

    /** One stream count's samples over all its rounds: TTFTs and inter-token gaps (ms), wall seconds. */
    private static final class Samples {
        final List<Double> ttft = new ArrayList<>();
        final List<Double> itl = new ArrayList<>();
        double wall;

        Result result(double tokens) {
            double[] t = ttft.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double[] g = itl.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            if (Boolean.getBoolean("bench.tail")) {
                System.out.println("largest gaps: " + Arrays.toString(Arrays.copyOfRange(g, Math.max(0, g.length - 60), g.length)));
            }
            return new Result(tokens / wall, pct(t, 50), pct(t, 99), pct(g, 50), pct(g, 99), pct(g, 100), wall);
        }
    }

    /** One wave of {@code streams} requests submitted at once; adds its TTFTs and inter-token gaps (ms) and its wall seconds to {@code into}. */
    private static void round(Scheduler scheduler, int vocab, int streams, int promptTokens, int outputTokens, SplittableRandom random,
            Samples into) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(streams);
        long[] submitted = new long[streams];
        long[] first = new long[streams];
        List<List<Long>> gaps = new ArrayList<>();
        long start = System.nanoTime();
        for (int s = 0; s < streams; s++) {
            int[] prompt = new int[promptTokens];
            prompt[0] = 1;
            for (int i = 1; i < promptTokens; i++) {
                prompt[i] = 3 + random.nextInt(vocab - 3);
            }
            int stream = s;
            List<Long> mine = new ArrayList<>();
            gaps.add(mine);
            long[] last = new long[1];
            submitted[s] = System.nanoTime();
            scheduler.submit(new GenerationRequest(prompt, SamplingParams.greedy(), outputTokens, List.of(), true,
                    Duration.ofMinutes(30)), event -> {
                        long now = System.nanoTime();
                        if (event instanceof GenerationEvent.Token) {
                            if (first[stream] == 0) {
                                first[stream] = now;
                            } else {
                                mine.add(now - last[0]);
                            }
                            last[0] = now;
                        } else {
                            done.countDown();
                        }
                    });
        }
        done.await(30, TimeUnit.MINUTES);
        into.wall += (System.nanoTime() - start) / 1e9;
        for (int s = 0; s < streams; s++) {
            into.ttft.add((first[s] - submitted[s]) / 1e6);
        }
        gaps.stream().flatMap(List::stream).forEach(n -> into.itl.add(n / 1e6));
    }

    /** The p-th percentile (nearest rank) of an ascending array. */
    private static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }
}
