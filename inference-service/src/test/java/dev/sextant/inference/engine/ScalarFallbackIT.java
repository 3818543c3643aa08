package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The portable path: with SEXTANT_CPU=scalar (read once per process, so a child JVM) the library uses no SIMD
 * kernels and still reproduces the golden greedy ids; Q8_0 greedy ids equal the SIMD path's.
 */
class ScalarFallbackIT {

    private static List<String> runChild(Path model, int n, int[] prompt) throws IOException, InterruptedException {
        return runChild(model, n, prompt, "scalar", SessionOptions.KvCacheType.F16);
    }

    /** Greedy ids of a model in a child JVM whose engine uses the kernels SEXTANT_CPU={@code cpu} selects, with a KV cache of {@code kv}. */
    static List<String> runChild(Path model, int n, int[] prompt, String cpu, SessionOptions.KvCacheType kv)
            throws IOException, InterruptedException {
        return runChild(model, n, prompt, Map.of("SEXTANT_CPU", cpu), kv);
    }

    /** The same with the child's engine configured by the environment variables {@code env}. */
    static List<String> runChild(Path model, int n, int[] prompt, Map<String, String> env, SessionOptions.KvCacheType kv)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), "-Dprobe.kv=" + kv.name(),
                ScalarProbe.class.getName(), model.toString(), Integer.toString(n)));
        Arrays.stream(prompt).forEach(t -> cmd.add(Integer.toString(t)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().toList();
    }

    @Test
    void scalarKernelsReproduceGoldenIdsOfStories260K() throws Exception {
        JsonNode run = EngineTestSupport.golden("stories260K.golden.json").get("runs").get(1);
        int[] prompt = EngineTestSupport.ints(run.get("prompt_ids"));
        int[] golden = EngineTestSupport.ints(run.get("greedy_ids"));
        List<String> out = runChild(EngineTestSupport.stories(), 32, prompt);
        assertThat(out).contains("features=scalar");
        assertThat(out).contains("ids=" + Arrays.toString(Arrays.copyOf(golden, 32)));
    }

    /** SEXTANT_PREFETCH picks where the kernels' software prefetches put the streamed weights and KV cache (L2 is the default on AMD). */
    @Test
    void softwarePrefetchTargetFollowsSextantPrefetch() throws Exception {
        int[] prompt = { 1, 450, 4996, 17354 };
        List<String> l1 = runChild(SessionIT.q8Model(), 8, prompt, Map.of("SEXTANT_PREFETCH", "l1"), SessionOptions.KvCacheType.F16);
        List<String> l2 = runChild(SessionIT.q8Model(), 8, prompt, Map.of("SEXTANT_PREFETCH", "l2"), SessionOptions.KvCacheType.F16);
        assertThat(l1).anySatisfy(line -> assertThat(line).startsWith("features=").doesNotContain("prefetch-l2"));
        // the scalar kernels (a CPU without AVX2) do not prefetch, and the feature string then leaves it out
        assertThat(l2).anySatisfy(line -> assertThat(line).matches("features=(avx2.*,prefetch-l2|scalar)"));
        assertThat(l2.stream().filter(line -> line.startsWith("ids=")).toList())
                .isEqualTo(l1.stream().filter(line -> line.startsWith("ids=")).toList()).hasSize(1);
    }

    /**
     * SEXTANT_CPU=avx512 turns the AMX tile products off; with them on (where the CPU has AMX-INT8, as /proc/cpuinfo
     * says) the feature string names them, and a 48-token prompt's prefill (three runs of sixteen rows on the tile unit,
     * the last row's among them) gives the same greedy ids and the same logits bits as without. Where the CPU has no AMX both children run the
     * same kernels and the feature strings must not claim it.
     */
    @Test
    void amxTileProductsGiveTheSameResultsAsAvx512() throws Exception {
        int[] prompt = SessionIT.longPrompt(48);
        List<String> amx = runChild(SessionIT.q8Model(), 8, prompt, Map.of(), SessionOptions.KvCacheType.F16);
        List<String> avx512 = runChild(SessionIT.q8Model(), 8, prompt, Map.of("SEXTANT_CPU", "avx512"), SessionOptions.KvCacheType.F16);
        boolean hostHasAmx = Files.readString(Path.of("/proc/cpuinfo")).contains(" amx_int8");
        assertThat(avx512).anySatisfy(line -> assertThat(line).startsWith("features=").doesNotContain("amx"));
        if (hostHasAmx) {
            assertThat(amx).anySatisfy(line -> assertThat(line).startsWith("features=").contains(",amx-int8"));
        }
        else {
            assertThat(amx).anySatisfy(line -> assertThat(line).startsWith("features=").doesNotContain("amx"));
        }
        List<String> results = amx.stream().filter(line -> line.startsWith("ids=") || line.startsWith("logits=")).toList();
        assertThat(results).hasSize(2);
        assertThat(avx512.stream().filter(line -> line.startsWith("ids=") || line.startsWith("logits=")).toList()).isEqualTo(results);
    }

    @Test
    void scalarQ8KernelsGiveTheSameGreedyIdsAsSimd() throws Exception {
        int[] prompt = { 1, 450, 4996, 17354 };
        List<Integer> simd;
        try (Model m = Model.load(SessionIT.q8Model()); Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(256))) {
            simd = EngineTestSupport.greedy(s, 0, prompt, 8, 0).ids();
        }
        assertThat(runChild(SessionIT.q8Model(), 8, prompt)).contains("ids=" + simd);
    }
}
