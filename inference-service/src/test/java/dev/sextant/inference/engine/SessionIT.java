package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sextant.inference.gguf.GgmlType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Batching, threading, paged KV cache and misuse of the Java API against the real engine. */
class SessionIT {

    private static final int[][] PROMPTS = { { 1 }, { 1, 403, 407, 261, 378 }, { 1, 300, 301, 302, 303, 304, 305, 306, 307 } };

    /** dim 256, 2 layers, 8 heads / 4 KV heads, FFN 512, 32K vocab, Q8_0: large enough that every op is split across threads. */
    static Path q8Model() {
        return EngineTestSupport.generated("q8-256x2", 256, 2, 8, 4, 512, GgmlType.Q8_0);
    }

    private static List<float[]> solo(Model m, int threads, int[] prompt, int n) {
        try (Session s = m.newSession(SessionOptions.defaults().withThreads(threads).withContextTokens(256))) {
            return EngineTestSupport.greedy(s, 0, prompt, n, n).logits();
        }
    }

    @Test
    void oneAndTwoThreadsGiveIdenticalLogits() {
        try (Model m = Model.load(q8Model())) {
            for (int[] prompt : PROMPTS) {
                List<float[]> one = solo(m, 1, prompt, 6), two = solo(m, 2, prompt, 6);
                for (int k = 0; k < one.size(); k++) {
                    assertThat(two.get(k)).as("step %d", k).containsExactly(one.get(k));
                }
            }
        }
    }

    @Test
    void batchOfSeveralSequencesGivesSameLogitsAsEachAlone() {
        for (Path model : List.of(EngineTestSupport.stories(), q8Model())) {
            try (Model m = Model.load(model); Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(256))) {
                int steps = 5;
                float[][][] alone = new float[PROMPTS.length][][];
                for (int i = 0; i < PROMPTS.length; i++) {
                    alone[i] = solo(m, 2, PROMPTS[i], steps).toArray(float[][]::new);
                }
                // Step 1: all prompts prefilled in one batch; then every sequence decodes in one shared batch.
                Batch b = s.newBatch();
                for (int i = 0; i < PROMPTS.length; i++) {
                    for (int j = 0; j < PROMPTS[i].length; j++) {
                        b.add(PROMPTS[i][j], j, i, j == PROMPTS[i].length - 1);
                    }
                }
                int[] pos = new int[PROMPTS.length];
                for (int k = 0; k < steps; k++) {
                    assertThat(s.step(b)).isEqualTo(PROMPTS.length);
                    int[] next = new int[PROMPTS.length];
                    for (int i = 0; i < PROMPTS.length; i++) {
                        assertThat(s.logitsCopy(i)).as("%s seq %d step %d", model.getFileName(), i, k).containsExactly(alone[i][k]);
                        next[i] = b.sampled(i);
                        pos[i] = k == 0 ? PROMPTS[i].length : pos[i] + 1;
                    }
                    b.clear();
                    for (int i = PROMPTS.length - 1; i >= 0; i--) { // a different row order than the prefill
                        b.add(next[i], pos[i], i, true);
                    }
                    // outputs now come in batch order: reverse sequence order
                    if (k + 1 < steps) {
                        assertThat(s.step(b)).isEqualTo(PROMPTS.length);
                        for (int i = 0; i < PROMPTS.length; i++) {
                            int row = PROMPTS.length - 1 - i;
                            assertThat(s.logitsCopy(row)).containsExactly(alone[i][k + 1]);
                            next[i] = b.sampled(row);
                        }
                        b.clear();
                        for (int i = 0; i < PROMPTS.length; i++) {
                            pos[i]++;
                            b.add(next[i], pos[i], i, true);
                        }
                        k++;
                    }
                }
            }
        }
    }

    /** A prompt of n tokens: BOS, then ids spread over the first 20K of the vocabulary. */
    static int[] longPrompt(int n) {
        int[] p = new int[n];
        for (int j = 0; j < n; j++) {
            p[j] = j == 0 ? 1 : 300 + 97 * j % 20000;
        }
        return p;
    }

    /** Logits of every row of a prefill (all rows output) equal those of decoding the prompt token by token. */
    private static void assertPrefillRowsEqualTokenByToken(Path model, int[] p) {
        try (Model m = Model.load(model); Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(128))) {
            Batch b = s.newBatch();
            for (int j = 0; j < p.length; j++) {
                b.add(p[j], j, 0, true);
            }
            assertThat(s.step(b)).isEqualTo(p.length);
            float[][] all = new float[p.length][];
            for (int j = 0; j < p.length; j++) {
                all[j] = s.logitsCopy(j);
            }
            for (int j = 0; j < p.length; j++) {
                b.clear();
                b.add(p[j], j, 1, true);
                s.step(b);
                assertThat(s.logitsCopy(0)).as("%s position %d (cpu %s)", model.getFileName(), j, Model.cpuFeatures()).containsExactly(all[j]);
            }
        }
    }

    @Test
    void prefillLogitsOfEveryRowEqualTokenByTokenDecoding() {
        assertPrefillRowsEqualTokenByToken(EngineTestSupport.stories(), PROMPTS[2]);
    }

    /**
     * The same on the Q8_0 model with a 40-token prompt: the prefill's products take 40 rows (on a CPU with AMX, two
     * runs of sixteen on the tile unit and eight with VNNI; the 32K-row output product too), token-by-token decoding
     * one row (VNNI): the logits must be the same bits.
     */
    @Test
    void q8PrefillOfFortyRowsEqualsTokenByTokenDecoding() {
        assertPrefillRowsEqualTokenByToken(q8Model(), longPrompt(40));
    }

    @Test
    void clearedAndTruncatedSequencesReuseBlocksAndRecompute() {
        try (Model m = Model.load(EngineTestSupport.stories());
                Session s = m.newSession(SessionOptions.defaults().withThreads(1).withContextTokens(64).withKvBlockSize(4))) {
            assertThat(s.options().contextTokens()).isEqualTo(64);
            int free = s.freeBlocks();
            List<Integer> first = EngineTestSupport.greedy(s, 0, PROMPTS[1], 20, 0).ids();
            assertThat(s.sequenceLength(0)).isEqualTo(PROMPTS[1].length + 19);
            assertThat(s.freeBlocks()).isEqualTo(free - (PROMPTS[1].length + 19 + 3) / 4);
            s.truncateSequence(0, 3);
            assertThat(s.sequenceLength(0)).isEqualTo(3);
            s.clearSequence(0);
            assertThat(s.freeBlocks()).isEqualTo(free);
            assertThat(EngineTestSupport.greedy(s, 2, PROMPTS[1], 20, 0).ids()).isEqualTo(first);
        }
    }

    @Test
    void fullCacheIsReportedAsCapacityError() {
        try (Model m = Model.load(EngineTestSupport.stories());
                Session s = m.newSession(SessionOptions.defaults().withThreads(1).withContextTokens(8).withKvBlockSize(4))) {
            Batch b = s.newBatch();
            for (int j = 0; j < 8; j++) {
                b.add(1, j, 0, j == 7);
            }
            s.step(b);
            b.clear();
            b.add(1, 0, 1, true);
            assertThatThrownBy(() -> s.step(b)).isInstanceOf(EngineException.class)
                    .satisfies(e -> assertThat(((EngineException) e).status()).isEqualTo(EngineException.Status.CAPACITY));
            s.clearSequence(0);
            assertThat(s.step(b)).isEqualTo(1);
        }
    }

    @Test
    void rejectsBadTokensPositionsAndSequencesWithoutChangingTheCache() {
        try (Model m = Model.load(EngineTestSupport.stories());
                Session s = m.newSession(SessionOptions.defaults().withThreads(1).withContextTokens(64))) {
            Batch b = s.newBatch();
            assertThatThrownBy(() -> s.step(b.add(512, 0, 0, true))).isInstanceOf(EngineException.class).hasMessageContaining("token id 512");
            b.clear();
            assertThatThrownBy(() -> s.step(b.add(1, 3, 0, true))).isInstanceOf(EngineException.class).hasMessageContaining("skips ahead");
            b.clear();
            assertThatThrownBy(() -> s.step(b.add(1, 0, 99, true))).isInstanceOf(EngineException.class).hasMessageContaining("sequence id 99");
            b.clear();
            assertThatThrownBy(() -> s.step(b.add(1, 0, 0, true).add(1, 0, 0, true))).isInstanceOf(EngineException.class)
                    .hasMessageContaining("does not follow");
            assertThat(s.sequenceLength(0)).isZero();
        }
    }

    @Test
    void closedSessionAndModelRefuseUse() {
        Model m = Model.load(EngineTestSupport.stories());
        Session s = m.newSession(SessionOptions.defaults().withThreads(1).withContextTokens(64));
        m.close(); // the session keeps the native model alive
        Batch b = s.newBatch().add(1, 0, 0, true);
        assertThat(s.step(b)).isEqualTo(1);
        s.close();
        assertThatThrownBy(() -> s.step(b)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> m.newSession(SessionOptions.defaults())).isInstanceOf(IllegalStateException.class);
    }
}
