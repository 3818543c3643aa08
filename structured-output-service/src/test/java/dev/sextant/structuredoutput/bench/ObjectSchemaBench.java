package dev.sextant.structuredoutput.bench;

import java.time.Duration;
import java.util.Arrays;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.sextant.constraint.Vocabulary;
import dev.sextant.structuredoutput.compiler.CompileBudget;
import dev.sextant.structuredoutput.compiler.ConstraintCompiler;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Draft;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Whitespace;
import dev.sextant.structuredoutput.testing.GgufVocabulary;

/**
 * Benchmark program (not a test): compile time of realistic object schemas (the ones that were slow when every
 * member was inlined into one minimized DFA) at the 32K llama-spm vocabulary. Prints, per schema, states and
 * compile ms (first compile, then p50 / max over {@code repeats} more, and the compiling thread's CPU ms p50, which
 * the shared machine's load inflates less than wall time). Usage as ConstraintBench (module README),
 * class {@code dev.sextant.structuredoutput.bench.ObjectSchemaBench [repeats=5]}.
 */
public final class ObjectSchemaBench {

    static final String ITEM = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":24},"
            + "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"red\",\"green\",\"blue\",\"large\",\"small\"]},\"maxItems\":4},"
            + "\"price\":{\"type\":[\"number\",\"null\"],\"minimum\":0}},\"required\":[\"name\",\"tags\",\"price\"],\"additionalProperties\":false}";

    public static final String[][] SCHEMAS = {
        {"person", ConstraintBench.SCHEMAS[0][1]},
        {"item", ITEM},
        {"item[] minItems 10", "{\"type\":\"array\",\"items\":" + ITEM + ",\"minItems\":10}"},
    };

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        ObjectMapper json = new ObjectMapper();
        Vocabulary vocab = GgufVocabulary.load("tokenizers/ggml-vocab-llama-spm.gguf");
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        System.out.printf("%-20s %7s %12s %10s %10s %14s%n", "schema", "states", "first ms", "p50 ms", "max ms", "cpu p50 ms");
        for (String[] s : SCHEMAS) {
            var schema = json.readTree(s[1]);
            double[] ms = new double[repeats + 1];
            double[] cpu = new double[repeats + 1];
            int states = 0;
            for (int i = 0; i <= repeats; i++) {
                long c0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                states = ConstraintCompiler.jsonSchema(schema, Draft.DRAFT_2020_12, Whitespace.COMPACT, vocab,
                        new CompileBudget(Duration.ofSeconds(120), 2_000_000)).states();
                ms[i] = (System.nanoTime() - t0) / 1e6;
                cpu[i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
            }
            double[] rest = Arrays.copyOfRange(ms, 1, ms.length);
            double[] restCpu = Arrays.copyOfRange(cpu, 1, cpu.length);
            Arrays.sort(rest);
            Arrays.sort(restCpu);
            System.out.printf("%-20s %7d %12.1f %10.1f %10.1f %14.1f%n", s[0], states, ms[0], rest.length == 0 ? 0 : rest[rest.length / 2],
                    rest.length == 0 ? 0 : rest[rest.length - 1], restCpu.length == 0 ? 0 : restCpu[restCpu.length / 2]);
        }
        System.exit(0);
    }
}
