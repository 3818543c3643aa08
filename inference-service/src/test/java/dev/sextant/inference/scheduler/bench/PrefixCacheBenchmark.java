package dev.sextant.inference.scheduler.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.sextant.inference.engine.Model;
import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.RandomModelGenerator;
import dev.sextant.inference.sampling.SamplingParams;
import dev.sextant.inference.scheduler.GenerationEvent;
import dev.sextant.inference.scheduler.GenerationRequest;
import dev.sextant.inference.scheduler.Scheduler;
import dev.sextant.inference.scheduler.SchedulerConfig;
import dev.sextant.inference.scheduler.SchedulerMetrics;
import dev.sextant.inference.tokenizer.Tokenizers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Prefix caching (a program, not a test): time to first token of a request whose first {@code prefix} tokens
 * (a system prompt, a RAG preamble) an earlier request already computed, against the same request on a cold
 * cache (a fresh session, the peer measured in the same run), on the generated 768 × 12-layer Q8_0 model through
 * the scheduler. Each repetition: a fresh session; request A (prefix + tail A) cold, then request B (prefix +
 * tail B), which finds the prefix cached; B's tokens are checked against B run cold. Prints both TTFTs (median
 * over the repetitions), their ratio and the hit rate from the scheduler's counters.
 *
 * <pre>
 * ./mvnw -q -o -pl inference-service test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.sextant.inference.scheduler.bench.PrefixCacheBenchmark -Dexec.args="2 400 16 5"
 * </pre>
 * Arguments: threads (default 2), shared prefix tokens (400), own tail tokens (16), repetitions (5).
 */
public final class PrefixCacheBenchmark {

    private PrefixCacheBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int prefix = args.length > 1 ? Integer.parseInt(args[1]) : 400;
        int tail = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        Path shared = Path.of(System.getenv().getOrDefault("SEXTANT_SHARED_DIR", "../../shared"));
        Path modelPath = Path.of("target", "engine-models", "bench-768x12-q8_0.gguf");
        if (!Files.isRegularFile(modelPath)) {
            Files.createDirectories(modelPath.getParent());
            RandomModelGenerator.generate(new RandomModelGenerator.Spec(shared.resolve("tokenizers/ggml-vocab-llama-spm.gguf"),
                    768, 12, 12, 12, 2048, 2048, GgmlType.Q8_0, 1, false, 10000f, 1e-5f), modelPath);
        }
        System.out.printf("machine: %d cores online (shared with other work: figures are noisy); model %s; %d engine threads; "
                + "prompt = %d shared + %d own tokens; KV blocks of 16; output 4 tokens greedy; %d repetitions%n",
                Runtime.getRuntime().availableProcessors(), modelPath, threads, prefix, tail, reps);
        var tokenizer = Tokenizers.fromGguf(modelPath);
        double[] cold = new double[reps], warm = new double[reps];
        double queries = 0, hits = 0;
        try (Model model = Model.load(modelPath)) {
            int vocab = model.info().vocabularySize();
            SplittableRandom random = new SplittableRandom(7);
            for (int r = 0; r < reps; r++) {
                int[] common = tokens(random, vocab, prefix, true);
                int[] a = concat(common, tokens(random, vocab, tail, false));
                int[] b = concat(common, tokens(random, vocab, tail, false));
                SimpleMeterRegistry meters = new SimpleMeterRegistry();
                Run coldB;
                Run warmB;
                try (Session session = newSession(model, threads);
                        Scheduler scheduler = new Scheduler("cold", session, tokenizer, new SchedulerConfig(4, 512, 16),
                                new SchedulerMetrics(new SimpleMeterRegistry(), "cold"))) {
                    coldB = run(scheduler, b);
                }
                try (Session session = newSession(model, threads);
                        Scheduler scheduler = new Scheduler("warm", session, tokenizer, new SchedulerConfig(4, 512, 16),
                                new SchedulerMetrics(meters, "warm"))) {
                    run(scheduler, a);
                    warmB = run(scheduler, b);
                }
                if (!Arrays.equals(coldB.tokens, warmB.tokens)) {
                    throw new AssertionError("cached prefix changed the tokens: " + Arrays.toString(coldB.tokens) + " vs "
                            + Arrays.toString(warmB.tokens));
                }
                cold[r] = coldB.ttftMillis;
                warm[r] = warmB.ttftMillis;
                queries += meters.get("sextant.inference.prefix.cache.queries").counter().count();
                hits += meters.get("sextant.inference.prefix.cache.hits").counter().count();
                System.out.printf("rep %d: TTFT cold %.1f ms, with cached prefix %.1f ms%n", r, cold[r], warm[r]);
            }
        }
        double c = median(cold), w = median(warm);
        System.out.printf("TTFT median: cold %.1f ms, cached prefix %.1f ms, ratio cold/cached %.2fx; "
                + "hit rate %.1f%% of prompt tokens (%.0f of %.0f, both requests of each repetition counted)%n",
                c, w, c / w, 100 * hits / queries, hits, queries);
        System.exit(0);
    }

    private record Run(int[] tokens, double ttftMillis) {
    }

    private static Session newSession(Model model, int threads) {
        return model.newSession(SessionOptions.defaults().withThreads(threads).withMaxSequences(4).withContextTokens(2048)
                .withKvBlockSize(16).withMaxBatch(512));
    }

    private static Run run(Scheduler scheduler, int[] prompt) throws Exception {
        CompletableFuture<Run> done = new CompletableFuture<>();
        int[] out = new int[4];
        long[] first = new long[1];
        int[] n = new int[1];
        long start = System.nanoTime();
        scheduler.submit(new GenerationRequest(prompt, SamplingParams.greedy(), out.length, List.of(), true,
                Duration.ofMinutes(10)), event -> {
                    if (event instanceof GenerationEvent.Token t && t.tokenId() >= 0) {
                        if (first[0] == 0) {
                            first[0] = System.nanoTime();
                        }
                        out[n[0]++] = t.tokenId();
                    } else if (event instanceof GenerationEvent.Finished) {
                        done.complete(new Run(Arrays.copyOf(out, n[0]), (first[0] - start) / 1e6));
                    } else if (event instanceof GenerationEvent.Failed f) {
                        done.completeExceptionally(new IllegalStateException(f.toString()));
                    }
                });
        return done.get(10, TimeUnit.MINUTES);
    }

    private static int[] tokens(SplittableRandom random, int vocab, int n, boolean bos) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = i == 0 && bos ? 1 : 3 + random.nextInt(vocab - 3);
        }
        return t;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
