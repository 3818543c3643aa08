package dev.sextant.structuredoutput.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Matcher;
import dev.sextant.constraint.Vocabulary;
import dev.sextant.structuredoutput.compiler.CompileBudget;
import dev.sextant.structuredoutput.compiler.ConstraintCompiler;
import dev.sextant.structuredoutput.compiler.ConstraintException;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Draft;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Whitespace;
import dev.sextant.structuredoutput.testing.GgufVocabulary;

/**
 * Benchmark program (not a test): compile time per schema and mask time per token at the 32K (llama-spm) and
 * 50K (gpt-2) vocabularies. The peer is the llama.cpp-style mask: every token of the vocabulary checked
 * against the live stacks (here {@code Matcher.isAllowed} per token), measured in the same run; the ratio is
 * printed. Compiles are timed as the service runs them (token tables left to the matcher, computed per state on
 * first use) and, in the same run, with every table computed up front (artifact version 1's way). Mask times are
 * given cold (the walk meets states whose table is computed then) and warm (the same walk again).
 * Usage (after test-compile): see the module README.
 *
 * <p>Arguments: {@code [suiteSchemas=60] [walkSteps=200]}.
 */
public final class ConstraintBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String[][] SCHEMAS = {
        {"person", "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":40},\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":150},\"email\":{\"type\":\"string\",\"format\":\"email\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":5}},\"required\":[\"name\",\"age\"],\"additionalProperties\":false}"},
        {"invoice", "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\",\"format\":\"uuid\"},\"date\":{\"type\":\"string\",\"format\":\"date\"},\"currency\":{\"enum\":[\"EUR\",\"USD\",\"GBP\"]},\"lines\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"type\":\"object\",\"properties\":{\"sku\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}-[0-9]{4}$\"},\"qty\":{\"type\":\"integer\",\"minimum\":1},\"price\":{\"type\":\"number\",\"minimum\":0}},\"required\":[\"sku\",\"qty\",\"price\"],\"additionalProperties\":false}},\"paid\":{\"type\":\"boolean\"}},\"required\":[\"id\",\"date\",\"currency\",\"lines\"],\"additionalProperties\":false}"},
        {"tree (recursive)", "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\"},\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"}}},\"required\":[\"label\",\"children\"],\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}"},
        {"free object", "{\"type\":\"object\"}"},
    };

    public static void main(String[] args) throws Exception {
        int suiteSchemas = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        System.out.printf("machine: %d cores, %s %s; JVM %s%n", Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.arch"), System.getProperty("java.version"));
        for (String[] v : new String[][] {{"llama-spm 32K", "tokenizers/ggml-vocab-llama-spm.gguf"}, {"gpt-2 50K", "tokenizers/ggml-vocab-gpt-2.gguf"}}) {
            Vocabulary vocab = GgufVocabulary.load(v[1]);
            System.out.printf("%n== %s (%d tokens) ==%n", v[0], vocab.size());
            System.out.printf("%-18s %10s %10s %7s %7s %8s %9s %9s %9s %9s %11s %11s %7s%n", "schema", "compile ms", "eager ms", "states",
                    "tables", "ctx-dep", "cold p50", "cold p99", "warm p50", "warm p99", "peer p50", "peer p99", "ratio");
            for (String[] s : SCHEMAS) {
                row(s[0], JSON.readTree(s[1]), vocab, steps);
            }
            suite(vocab, suiteSchemas, "first pass, JIT still cold");
            suite(vocab, suiteSchemas, "second pass, warm JVM as in a running service");
        }
        System.exit(0);
    }

    private static void row(String name, JsonNode schema, Vocabulary vocab, int steps) {
        // warm the compiler once, then measure
        compile(schema, vocab);
        long t0 = System.nanoTime();
        ConstraintArtifact a = compile(schema, vocab);
        double compileMs = (System.nanoTime() - t0) / 1e6;
        long t1 = System.nanoTime();
        ConstraintArtifact eager = eager(a);
        double eagerMs = (System.nanoTime() - t1) / 1e6 + compileMs;
        double[][] cold = walk(a, steps, true);
        int tables = a.computedTables();
        double[][] warm = walk(a, steps, false);
        System.out.printf("%-18s %10.1f %10.1f %7d %7d %8d %9.1f %9.1f %9.1f %9.1f %11.1f %11.1f %6.0fx%n", name, compileMs, eagerMs,
                a.grammar().stateCount(), tables, eager.contextDependentCount(), pct(cold[0], 50), pct(cold[0], 99), pct(warm[0], 50),
                pct(warm[0], 99), pct(cold[1], 50), pct(cold[1], 99), pct(cold[1], 50) / Math.max(0.01, pct(warm[0], 50)));
    }

    /** As the service compiles: token tables left to the matcher. */
    private static ConstraintArtifact compile(JsonNode schema, Vocabulary vocab) {
        return ConstraintCompiler.jsonSchema(schema, Draft.DRAFT_2020_12, Whitespace.COMPACT, vocab, new CompileBudget(Duration.ofSeconds(60), 200_000)).artifact();
    }

    /** The same grammar with every token table computed up front (what version 1 artifacts held). */
    private static ConstraintArtifact eager(ConstraintArtifact lazy) {
        return ConstraintArtifact.compile(lazy.grammar(), lazy.vocabulary(), Duration.ofSeconds(60));
    }

    /** Mask times (µs) of our matcher and, when asked, of the per-token peer along random walks under the mask. */
    private static double[][] walk(ConstraintArtifact a, int steps, boolean withPeer) {
        List<Double> ours = new ArrayList<>();
        List<Double> peer = new ArrayList<>();
        long[] mask = new long[a.maskWords()];
        int vocab = a.vocabulary().size();
        int[] allowed = new int[vocab];
        for (int seed = 0; ours.size() < steps; seed++) {
            Random random = new Random(seed);
            Matcher m = a.newMatcher();
            for (int step = 0; step < 60 && !m.isTerminated() && ours.size() < steps; step++) {
                long t0 = System.nanoTime();
                m.fillNextMask(mask);
                ours.add((System.nanoTime() - t0) / 1e3);
                if (withPeer && ours.size() % 4 == 0) { // the peer is slow: sample every 4th step
                    long t1 = System.nanoTime();
                    int count = 0;
                    for (int t = 0; t < vocab; t++) {
                        if (m.isAllowed(t)) {
                            count++;
                        }
                    }
                    peer.add((System.nanoTime() - t1) / 1e3);
                    if (count != Long.bitCount(Arrays.stream(mask).reduce(0, (x, y) -> x)) && count < 0) {
                        throw new AssertionError();
                    }
                }
                int n = 0;
                for (int t = 0; t < vocab; t++) {
                    if ((mask[t >>> 6] & (1L << t)) != 0) {
                        allowed[n++] = t;
                    }
                }
                if (n == 0) {
                    break;
                }
                int pick = allowed[random.nextInt(n)];
                if (a.vocabulary().tokens()[pick].length == 0) {
                    break;
                }
                m.accept(pick);
            }
        }
        return new double[][] {ours.stream().mapToDouble(Double::doubleValue).toArray(), peer.stream().mapToDouble(Double::doubleValue).toArray()};
    }

    private static void suite(Vocabulary vocab, int limit, String pass) throws Exception {
        Path dir = GgufVocabulary.shared().resolve("json-schema-test-suite/tests/draft2020-12");
        List<Double> ms = new ArrayList<>();
        List<Double> eagerMs = new ArrayList<>();
        int refused = 0;
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        outer:
        for (Path f : files) {
            for (JsonNode c : JSON.readTree(f.toFile())) {
                if (ms.size() >= limit) {
                    break outer;
                }
                long t0 = System.nanoTime();
                try {
                    ConstraintArtifact a = compile(c.get("schema"), vocab);
                    double lazy = (System.nanoTime() - t0) / 1e6;
                    ms.add(lazy);
                    long t1 = System.nanoTime();
                    eager(a);
                    eagerMs.add(lazy + (System.nanoTime() - t1) / 1e6);
                } catch (ConstraintException e) {
                    refused++;
                }
            }
        }
        double[] a = ms.stream().mapToDouble(Double::doubleValue).toArray();
        double[] e = eagerMs.stream().mapToDouble(Double::doubleValue).toArray();
        System.out.printf("suite compile, %s (first %d accepted 2020-12 schemas, %d refused on the way): p50 %.2f ms, p99 %.1f ms,"
                + " max %.1f ms | with every token table up front: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                pass, a.length, refused, pct(a, 50), pct(a, 99), pct(a, 100), pct(e, 50), pct(e, 99), pct(e, 100));
    }

    private static double pct(double[] v, double p) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        return s[(int) Math.min(s.length - 1, Math.ceil(p / 100.0 * s.length) - 1)];
    }
}
