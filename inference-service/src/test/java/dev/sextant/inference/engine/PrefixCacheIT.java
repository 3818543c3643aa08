package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prefix caching in the paged KV cache (stories260K, blocks of 16): reuse, exactness, eviction, sharing rules. */
class PrefixCacheIT {

    private static final int BLOCK = 16;
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(EngineTestSupport.stories());
    }

    @AfterAll
    static void free() {
        model.close();
    }

    private static Session session(int contextTokens) {
        return model.newSession(SessionOptions.defaults().withThreads(2).withMaxSequences(4)
                .withContextTokens(contextTokens).withKvBlockSize(BLOCK));
    }

    /** Token 1 (BOS) then {@code n - 1} ids drawn from the vocabulary with the given seed. */
    private static int[] prompt(long seed, int n) {
        Random r = new Random(seed);
        int[] p = new int[n];
        p[0] = 1;
        for (int i = 1; i < n; i++) {
            p[i] = 3 + r.nextInt(model.info().vocabularySize() - 3);
        }
        return p;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** Prefills {@code prompt} from position {@code from} on, then decodes greedily; logits of every step. */
    private static List<float[]> generate(Session s, int seq, int[] prompt, int from, int n) {
        Batch b = s.newBatch();
        for (int i = from; i < prompt.length; i++) {
            b.add(prompt[i], i, seq, i == prompt.length - 1);
        }
        List<float[]> logits = new ArrayList<>();
        s.step(b);
        for (int k = 0, pos = prompt.length; k < n; k++, pos++) {
            logits.add(s.logitsCopy(0));
            int next = b.sampled(0);
            b.clear();
            b.add(next, pos, seq, true);
            s.step(b);
        }
        return logits;
    }

    private static List<float[]> withoutCache(int[] prompt, int n) {
        try (Session s = session(512)) {
            return generate(s, 0, prompt, 0, n);
        }
    }

    private static void assertSameLogits(List<float[]> actual, List<float[]> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int k = 0; k < expected.size(); k++) {
            assertThat(actual.get(k)).as("step %d", k).containsExactly(expected.get(k));
        }
    }

    @Test
    void aPromptSharingAFinishedRequestsPrefixReusesItsBlocksAndGivesTheSameLogits() {
        int[] shared = prompt(7, 70);
        int[] first = concat(shared, prompt(8, 9)), second = concat(shared, prompt(9, 12));
        List<float[]> expected = withoutCache(second, 20);
        try (Session s = session(512)) {
            int total = s.freeBlocks();
            generate(s, 0, first, 0, 5);
            s.clearSequence(0);
            assertThat(s.freeBlocks()).as("cached blocks count as free").isEqualTo(total);
            int cached = s.attachPrefix(1, second);
            assertThat(cached).isEqualTo(4 * BLOCK);
            assertThat(s.sequenceLength(1)).isEqualTo(cached);
            assertThat(s.freeBlocks()).as("attached blocks are in use again").isEqualTo(total - 4);
            assertSameLogits(generate(s, 1, second, cached, 20), expected);
        }
    }

    @Test
    void aPromptSharingARunningSequencesPrefixSharesItsBlocksAndBothKeepTheirLogits() {
        int[] shared = prompt(11, 50);
        int[] first = concat(shared, prompt(12, 3)), second = concat(shared, prompt(13, 5));
        List<float[]> firstAlone = withoutCache(first, 12), secondAlone = withoutCache(second, 12);
        try (Session s = session(512)) {
            Batch b = s.newBatch();
            for (int i = 0; i < first.length; i++) {
                b.add(first[i], i, 0, i == first.length - 1);
            }
            s.step(b);
            int freeBefore = s.freeBlocks();
            int cached = s.attachPrefix(1, second);
            assertThat(cached).isEqualTo(3 * BLOCK);
            assertThat(s.freeBlocks()).as("shared blocks are not taken from the pool").isEqualTo(freeBefore);
            // both sequences decode side by side over the shared blocks
            List<float[]> firstLogits = new ArrayList<>(), secondLogits = new ArrayList<>();
            firstLogits.add(s.logitsCopy(0));
            int next0 = b.sampled(0);
            b.clear();
            for (int i = cached; i < second.length; i++) {
                b.add(second[i], i, 1, i == second.length - 1);
            }
            s.step(b);
            secondLogits.add(s.logitsCopy(0));
            int next1 = b.sampled(0);
            for (int k = 1, p0 = first.length, p1 = second.length; k < 12; k++, p0++, p1++) {
                b.clear();
                b.add(next0, p0, 0, true).add(next1, p1, 1, true);
                s.step(b);
                firstLogits.add(s.logitsCopy(0));
                secondLogits.add(s.logitsCopy(1));
                next0 = b.sampled(0);
                next1 = b.sampled(1);
            }
            assertSameLogits(firstLogits, firstAlone);
            assertSameLogits(secondLogits, secondAlone);
        }
    }

    @Test
    void aCachedBlockIsReusedOnlyAfterTheSameTokensBeforeIt() {
        int[] a = prompt(61, BLOCK), b = prompt(62, BLOCK), c = prompt(63, BLOCK), d = prompt(64, BLOCK), e = prompt(65, BLOCK);
        int[] x = concat(concat(concat(a, b), c), prompt(66, 5)), w = concat(concat(concat(d, b), e), prompt(67, 5));
        int[] y = concat(concat(concat(d, b), c), prompt(68, 5));
        List<float[]> expected = withoutCache(y, 6);
        try (Session s = session(512)) {
            generate(s, 0, x, 0, 1);
            generate(s, 1, w, 0, 1);
            s.clearSequence(0);
            s.clearSequence(1);
            int cached = s.attachPrefix(2, y);
            assertThat(cached).as("block c follows a, not d, in the cache").isEqualTo(2 * BLOCK);
            assertSameLogits(generate(s, 2, y, cached, 6), expected);
        }
    }

    @Test
    void theLastPromptTokenIsAlwaysLeftToCompute() {
        int[] p = prompt(21, 2 * BLOCK);
        try (Session s = session(512)) {
            generate(s, 0, p, 0, 3);
            s.clearSequence(0);
            assertThat(s.attachPrefix(1, p)).as("two whole blocks cached, the second holds the last token").isEqualTo(BLOCK);
            assertThat(s.attachPrefix(2, Arrays.copyOf(p, BLOCK))).isZero();
            assertThat(s.attachPrefix(3, new int[0])).isZero();
        }
    }

    @Test
    void refusesToAttachToASequenceThatHoldsTokens() {
        int[] p = prompt(31, 40);
        try (Session s = session(512)) {
            generate(s, 0, p, 0, 1);
            assertThatThrownBy(() -> s.attachPrefix(0, p)).isInstanceOfSatisfying(EngineException.class,
                    e -> assertThat(e.status()).isEqualTo(EngineException.Status.ARGUMENT));
        }
    }

    @Test
    void refusesToWriteIntoABlockSharedWithAnotherSequence() {
        int[] p = prompt(41, 40);
        try (Session s = session(512)) {
            generate(s, 0, p, 0, 1);
            assertThat(s.attachPrefix(1, p)).isEqualTo(2 * BLOCK);
            s.truncateSequence(1, 20);
            Batch b = s.newBatch().add(5, 20, 1, true);
            assertThatThrownBy(() -> s.step(b)).isInstanceOfSatisfying(EngineException.class,
                    e -> assertThat(e.status()).isEqualTo(EngineException.Status.ARGUMENT));
            assertThat(s.sequenceLength(0)).as("the owner is untouched").isEqualTo(p.length + 1);
        }
    }

    @Test
    void overwrittenBlocksAreNoLongerFoundUnderTheirOldTokens() {
        int[] p = prompt(51, 60);
        List<float[]> expected = withoutCache(p, 6);
        try (Session s = session(512)) {
            generate(s, 0, p, 0, 1);
            s.truncateSequence(0, 20);
            int[] other = prompt(52, 60);
            Batch b = s.newBatch();
            for (int i = 20; i < 60; i++) {
                b.add(other[i], i, 0, i == 59);
            }
            s.step(b);
            s.clearSequence(0);
            int cached = s.attachPrefix(1, p);
            assertThat(cached).as("only the block before the truncation point still holds p's tokens").isEqualTo(BLOCK);
            assertSameLogits(generate(s, 1, p, cached, 6), expected);
        }
    }

    @Test
    void evictsCachedBlocksWhenThePoolRunsOutAndCountsThemAsFree() {
        try (Session s = session(256)) {
            int total = s.freeBlocks();
            assertThat(total).isEqualTo(256 / BLOCK);
            for (int r = 0; r < 5; r++) {
                generate(s, 0, prompt(100 + r, 100), 0, 2);
                s.clearSequence(0);
                assertThat(s.freeBlocks()).isEqualTo(total);
            }
            // a sequence that needs every block of the pool: all the cached ones are evicted for it
            int[] big = prompt(200, 250);
            List<float[]> logits = generate(s, 0, big, 0, 5);
            assertThat(logits).hasSize(5);
            assertThat(s.freeBlocks()).isZero();
            s.clearSequence(0);
            assertThat(s.freeBlocks()).isEqualTo(total);
            assertThat(s.attachPrefix(1, prompt(100, 100))).as("the old prefixes were evicted").isZero();
            assertThat(s.attachPrefix(2, big)).isEqualTo(15 * BLOCK);
        }
    }
}
