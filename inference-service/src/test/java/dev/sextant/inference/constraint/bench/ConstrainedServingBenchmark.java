package dev.sextant.inference.constraint.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Vocabulary;
import dev.sextant.inference.engine.Model;
import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.RandomModelGenerator;
import dev.sextant.inference.sampling.SamplingParams;
import dev.sextant.inference.scheduler.FinishReason;
import dev.sextant.inference.scheduler.GenerationEvent;
import dev.sextant.inference.scheduler.GenerationRequest;
import dev.sextant.inference.scheduler.Scheduler;
import dev.sextant.inference.scheduler.SchedulerConfig;
import dev.sextant.inference.scheduler.SchedulerMetrics;
import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.tokenizer.Tokenizers;
import dev.sextant.structuredoutput.compiler.CompileBudget;
import dev.sextant.structuredoutput.compiler.ConstraintCompiler;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * What a JSON-Schema constraint costs a loaded server (a program, not a test): aggregate tokens/s at N concurrent
 * streams (default 16), the same model, prompts and greedy decoding, once free and once under a JSON Schema
 * compiled by structured-output-service's compiler and matched per token inside the scheduler, as the server does
 * it (mask before sampling). Runs alternate free / constrained for several rounds after one warm-up round of each
 * (the warm-up computes the token tables of the states the outputs visit). The loss (target: at most 5 %) is given
 * as the median over rounds of 1 - constrained/free within a round (the two runs of a round are adjacent in time, so
 * the load other work puts on a shared machine cancels best there), and over all rounds' tokens and wall time. No output of the schema can end ({@link #SCHEMA}), so both modes generate
 * the same number of tokens; the count is printed.
 *
 * <pre>
 * ./mvnw -q -o -pl inference-service -am test-compile && cd inference-service
 * ../mvnw -q -o dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
 * SEXTANT_SHARED_DIR=$PWD/../../shared java -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) \
 *     dev.sextant.inference.constraint.bench.ConstrainedServingBenchmark stories260K 2 128 128 16 128 3
 * </pre>
 * Arguments: model ({@code stories260K}, {@code generated-134m}: the 768 × 12-layer 32K-vocabulary Q8_0 model of
 * ServingBenchmark, generated on first use, or a GGUF path), engine threads (2), prompt tokens (128), output tokens
 * (128), streams (16), tokens per engine step (128), measured rounds per mode (3).
 */
public final class ConstrainedServingBenchmark {

    /**
     * Items as a linked list whose {@code next} is required: a recursive schema (the pushdown matcher, a stack frame
     * per item) with strings, integers, enums and a nullable number, that no output can complete, so every
     * constrained stream runs to the output budget exactly as the free ones (EOS ignored) do.
     */
    static final String SCHEMA = """
            {"$defs":{"list":{"type":"object","properties":{
              "item":{"type":"object","properties":{
                "id":{"type":"integer","minimum":0},
                "name":{"type":"string","maxLength":24},
                "tags":{"type":"array","items":{"enum":["red","green","blue"]},"maxItems":3},
                "price":{"type":["number","null"]}},
                "required":["id","name","tags","price"],"additionalProperties":false},
              "next":{"$ref":"#/$defs/list"}},
              "required":["item","next"],"additionalProperties":false}},
             "$ref":"#/$defs/list"}""";

    private ConstrainedServingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "stories260K";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int promptTokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int outputTokens = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int streams = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        int stepTokens = args.length > 5 ? Integer.parseInt(args[5]) : 128;
        int rounds = args.length > 6 ? Integer.parseInt(args[6]) : 3;
        Path shared = Path.of(System.getenv().getOrDefault("SEXTANT_SHARED_DIR", "../../shared"));
        Path modelPath = switch (which) {
            case "stories260K" -> shared.resolve("models/stories260K.gguf");
            case "generated-134m" -> generated(shared);
            default -> Path.of(which);
        };
        Tokenizer tokenizer = Tokenizers.fromGguf(modelPath);
        byte[][] tokens = new byte[tokenizer.vocabSize()][];
        for (int id = 0; id < tokens.length; id++) {
            tokens[id] = tokenizer.tokenBytes(id);
        }
        Vocabulary vocabulary = new Vocabulary(tokens, tokenizer.endOfGenerationIds(), tokenizer.hash());
        long c0 = System.nanoTime();
        ConstraintCompiler.Compiled compiled = ConstraintCompiler.jsonSchema(new ObjectMapper().readTree(SCHEMA),
                JsonSchemaCompiler.Draft.DRAFT_2020_12, JsonSchemaCompiler.Whitespace.COMPACT, vocabulary,
                new CompileBudget(Duration.ofSeconds(60), 200_000));
        double compileMs = (System.nanoTime() - c0) / 1e6;
        ConstraintArtifact artifact = compiled.artifact();
        System.out.printf("machine: %d cores online (shared with other work: figures are noisy); model %s (%d MB, %d-token vocabulary); "
                + "%d engine threads; %d streams; prompt %d, output %d tokens per stream; greedy; at most %d tokens per step; "
                + "%d measured rounds per mode%nschema: %d states, compiled in %.1f ms%n%n",
                Runtime.getRuntime().availableProcessors(), modelPath.getFileName(), Files.size(modelPath) >> 20, tokens.length,
                threads, streams, promptTokens, outputTokens, stepTokens, rounds, artifact.grammar().stateCount(), compileMs);
        try (Model model = Model.load(modelPath);
                Session session = model.newSession(SessionOptions.defaults().withThreads(threads).withMaxSequences(streams)
                        .withContextTokens(streams * (promptTokens + outputTokens + 16)).withMaxBatch(512)
                        .withMaxOutputs(streams));
                Scheduler scheduler = new Scheduler("bench", session, tokenizer, new SchedulerConfig(streams, stepTokens, 1024),
                        new SchedulerMetrics(new SimpleMeterRegistry(), "bench"))) {
            int vocab = model.info().vocabularySize();
            run(scheduler, vocab, streams, promptTokens, outputTokens, null); // warm-up
            Result coldRun = run(scheduler, vocab, streams, promptTokens, outputTokens, artifact);
            System.out.printf("warm-up constrained round (token tables computed on first use): %.1f tok/s, %d of %d states' tables computed%n%n",
                    coldRun.tokensPerSecond, artifact.computedTables(), artifact.grammar().stateCount());
            System.out.println("round  mode         tok/s(aggregate)  tokens  ITL p50 ms  ITL p99 ms  wall s");
            double[] loss = new double[rounds];
            double freeTokens = 0;
            double freeWall = 0;
            double constrainedTokens = 0;
            double constrainedWall = 0;
            for (int r = 0; r < rounds; r++) {
                Result f = run(scheduler, vocab, streams, promptTokens, outputTokens, null);
                print(r, "free", f);
                Result c = run(scheduler, vocab, streams, promptTokens, outputTokens, artifact);
                print(r, "constrained", c);
                if (c.tokens != f.tokens) {
                    System.out.printf("       (the constrained round generated %d tokens, the free one %d: tok/s compares them per token)%n",
                            c.tokens, f.tokens);
                }
                loss[r] = 1 - c.tokensPerSecond / f.tokensPerSecond;
                freeTokens += f.tokens;
                freeWall += f.wallSeconds;
                constrainedTokens += c.tokens;
                constrainedWall += c.wallSeconds;
            }
            double free = freeTokens / freeWall;
            double constrained = constrainedTokens / constrainedWall;
            double[] sorted = loss.clone();
            Arrays.sort(sorted);
            System.out.printf("%nthroughput loss under the constraint (target <= 5 %%): median of %d rounds %.1f %% (rounds range %.1f to %.1f %%);"
                    + " all rounds together: free %.1f tok/s, constrained %.1f tok/s, loss %.1f %%%n",
                    rounds, 100 * median(loss), 100 * sorted[0], 100 * sorted[rounds - 1], free, constrained, 100 * (1 - constrained / free));
        }
        System.exit(0);
    }

    private static Path generated(Path shared) throws Exception {
        Path modelPath = Path.of("target", "engine-models", "bench-768x12-q8_0.gguf");
        if (!Files.isRegularFile(modelPath)) {
            Files.createDirectories(modelPath.getParent());
            RandomModelGenerator.generate(new RandomModelGenerator.Spec(shared.resolve("tokenizers/ggml-vocab-llama-spm.gguf"), 768, 12,
                    12, 12, 2048, 2048, GgmlType.Q8_0, 1, false, 10000f, 1e-5f), modelPath);
        }
        return modelPath;
    }

    private static void print(int round, String mode, Result r) {
        System.out.printf("%5d  %-11s  %16.1f  %6d  %10.2f  %10.2f  %6.1f%n", round + 1, mode, r.tokensPerSecond, r.tokens, r.itlP50,
                r.itlP99, r.wallSeconds);
    }

    private record Result(double tokensPerSecond, int tokens, double itlP50, double itlP99, double wallSeconds) {
    }

    /** Every stream gets the same seeded random prompt in both modes; greedy; EOS ignored when free. */
    private static Result run(Scheduler scheduler, int vocab, int streams, int promptTokens, int outputTokens, ConstraintArtifact artifact)
            throws InterruptedException {
        SplittableRandom random = new SplittableRandom(streams);
        CountDownLatch done = new CountDownLatch(streams);
        AtomicInteger generated = new AtomicInteger();
        AtomicReference<String> failure = new AtomicReference<>();
        List<List<Long>> gaps = new ArrayList<>();
        long start = System.nanoTime();
        for (int s = 0; s < streams; s++) {
            int[] prompt = new int[promptTokens];
            prompt[0] = 1;
            for (int i = 1; i < promptTokens; i++) {
                prompt[i] = 3 + random.nextInt(vocab - 3);
            }
            List<Long> mine = new ArrayList<>();
            gaps.add(mine);
            long[] last = new long[1];
            scheduler.submit(new GenerationRequest(prompt, SamplingParams.greedy(), outputTokens, List.of(), true, Duration.ofMinutes(30),
                    artifact == null ? null : artifact.newMatcher()), event -> {
                        long now = System.nanoTime();
                        switch (event) {
                            case GenerationEvent.Token t -> {
                                if (last[0] != 0) {
                                    mine.add(now - last[0]);
                                }
                                last[0] = now;
                            }
                            case GenerationEvent.Finished f -> {
                                generated.addAndGet(f.completionTokens());
                                if (artifact != null && f.reason() == FinishReason.ERROR) {
                                    failure.set("a constrained stream ended with no allowed token");
                                }
                                done.countDown();
                            }
                            case GenerationEvent.Failed f -> {
                                failure.set(f.message());
                                done.countDown();
                            }
                        }
                    });
        }
        if (!done.await(30, TimeUnit.MINUTES)) {
            throw new IllegalStateException("streams did not finish in 30 minutes");
        }
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get());
        }
        double wall = (System.nanoTime() - start) / 1e9;
        double[] itl = gaps.stream().flatMap(List::stream).mapToDouble(n -> n / 1e6).toArray();
        return new Result(generated.get() / wall, generated.get(), pct(itl, 50), pct(itl, 99), wall);
    }

    private static double median(double[] v) {
        return pct(v, 50);
    }

    private static double pct(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }
}
