package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Q8_0 KV cache (blocks of 32 quants with an fp16 scale, as llama.cpp's {@code --cache-type-k/v q8_0}): close to
 * the F16 cache's results, batch-invariant like it, and refused with the numbers where the head dimension is not a
 * multiple of 32.
 */
class KvCacheQ8IT {

    private static final int[][] PROMPTS = { { 1, 403, 407, 261, 378 }, { 1, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311,
            312, 313, 314, 315, 316, 317, 318 }, { 1 } };

    /** dim 256, 8 heads / 4 KV heads (head dimension 32, grouped-query attention), Q8_0 weights. */
    private static Path model() {
        return SessionIT.q8Model();
    }

    private static Session session(Model m, SessionOptions.KvCacheType kv) {
        return m.newSession(SessionOptions.defaults().withThreads(2).withMaxSequences(8).withContextTokens(1024).withKvCacheType(kv));
    }

    /** Prefills the prompt, then feeds {@code forced} one token at a time; logits after the prompt and after each fed token. */
    private static List<float[]> forced(Session s, int seq, int[] prompt, List<Integer> forced) {
        Batch b = s.newBatch();
        for (int i = 0; i < prompt.length; i++) {
            b.add(prompt[i], i, seq, i == prompt.length - 1);
        }
        s.step(b);
        List<float[]> logits = new ArrayList<>();
        logits.add(s.logitsCopy(0));
        int pos = prompt.length;
        for (int token : forced) {
            b.clear();
            b.add(token, pos++, seq, true);
            s.step(b);
            logits.add(s.logitsCopy(0));
        }
        return logits;
    }

    /** Squared error over the reference's variance: 0 for equal vectors, about 2 for unrelated ones. */
    private static double nmse(float[] got, float[] ref) {
        double mean = 0;
        for (float v : ref) {
            mean += v;
        }
        mean /= ref.length;
        double err = 0, var = 0;
        for (int i = 0; i < ref.length; i++) {
            err += (got[i] - ref[i]) * (double) (got[i] - ref[i]);
            var += (ref[i] - mean) * (ref[i] - mean);
        }
        return err / var;
    }

    @Test
    void q8CacheFollowsTheF16CacheClosely() {
        try (Model m = Model.load(model()); Session f16 = session(m, SessionOptions.KvCacheType.F16);
                Session q8 = session(m, SessionOptions.KvCacheType.Q8_0)) {
            assertThat(q8.options().kvCacheType()).isEqualTo(SessionOptions.KvCacheType.Q8_0);
            for (int p = 0; p < PROMPTS.length; p++) {
                EngineTestSupport.Run ref = EngineTestSupport.greedy(f16, p, PROMPTS[p], 48, 0);
                List<float[]> a = forced(f16, p + PROMPTS.length, PROMPTS[p], ref.ids());
                List<float[]> b = forced(q8, p, PROMPTS[p], ref.ids());
                double worst = 0;
                int sameArgmax = 0;
                for (int k = 0; k < a.size(); k++) {
                    worst = Math.max(worst, nmse(b.get(k), a.get(k)));
                    sameArgmax += argmax(b.get(k)) == argmax(a.get(k)) ? 1 : 0;
                }
                // quantizing K and V to 8 bits moves the logits by a small fraction of their spread, not more
                assertThat(worst).as("prompt %d: worst NMSE of the Q8_0 cache's logits against the F16 cache's", p).isLessThan(1e-3);
                assertThat(worst).as("prompt %d: the Q8_0 cache is a different cache", p).isGreaterThan(0);
                assertThat(sameArgmax).as("prompt %d: greedy choices that agree", p).isGreaterThanOrEqualTo(a.size() * 9 / 10);
            }
        }
    }

    @Test
    void q8CacheIsBatchInvariant() {
        try (Model m = Model.load(model()); Session s = session(m, SessionOptions.KvCacheType.Q8_0)) {
            int steps = 6;
            List<List<float[]>> alone = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                try (Session solo = session(m, SessionOptions.KvCacheType.Q8_0)) {
                    alone.add(EngineTestSupport.greedy(solo, 0, PROMPTS[i], steps, steps).logits());
                }
            }
            // all prompts prefilled in one step, then every sequence decodes in shared steps
            Batch b = s.newBatch();
            for (int i = 0; i < PROMPTS.length; i++) {
                for (int j = 0; j < PROMPTS[i].length; j++) {
                    b.add(PROMPTS[i][j], j, i, j == PROMPTS[i].length - 1);
                }
            }
            int[] pos = new int[PROMPTS.length];
            for (int i = 0; i < PROMPTS.length; i++) {
                pos[i] = PROMPTS[i].length;
            }
            for (int k = 0; k < steps; k++) {
                assertThat(s.step(b)).isEqualTo(PROMPTS.length);
                int[] next = new int[PROMPTS.length];
                for (int i = 0; i < PROMPTS.length; i++) {
                    assertThat(s.logitsCopy(i)).as("sequence %d step %d", i, k).containsExactly(alone.get(i).get(k));
                    next[i] = b.sampled(i);
                }
                b.clear();
                for (int i = 0; i < PROMPTS.length; i++) {
                    b.add(next[i], pos[i]++, i, true);
                }
            }
        }
    }

    /** The AVX2 kernels (no AVX-512) and the portable ones read the Q8_0 cache too: the same greedy ids as this machine's best kernels. */
    @Test
    void q8CacheGivesTheSameGreedyIdsOnEveryKernelPath() throws Exception {
        int[] prompt = { 1, 450, 4996, 17354 };
        List<Integer> best;
        try (Model m = Model.load(model());
                Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(256).withKvCacheType(SessionOptions.KvCacheType.Q8_0))) {
            best = EngineTestSupport.greedy(s, 0, prompt, 16, 0).ids();
        }
        for (String cpu : List.of("avx2", "scalar")) {
            assertThat(ScalarFallbackIT.runChild(model(), 16, prompt, cpu, SessionOptions.KvCacheType.Q8_0)).as(cpu).contains("ids=" + best);
        }
    }

    @Test
    void q8CacheIsRefusedWhereTheHeadDimensionIsNotAMultipleOf32() {
        try (Model m = Model.load(EngineTestSupport.stories())) { // head dimension 8
            assertThatThrownBy(() -> session(m, SessionOptions.KvCacheType.Q8_0)).isInstanceOf(EngineException.class)
                    .hasMessageContaining("multiple of 32").hasMessageContaining("this model's is 8");
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
