package dev.sextant.inference.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class SamplerTests {

    private static FloatBuffer logits(float... values) {
        return FloatBuffer.wrap(values);
    }

    @Test
    void greedyPicksTheHighestLogitAndTheLowestIdOnTies() {
        Sampler s = new Sampler(SamplingParams.greedy(), 4);
        assertThat(s.sample(logits(1f, 3f, 3f, 2f), null).token()).isEqualTo(1);
    }

    @Test
    void aSmallerVocabularyAfterALargerOneOnTheSameThreadSeesOnlyItsOwnLogits() {
        // the work buffers are the thread's and sized for the largest vocabulary so far: what lies past a sampler's
        // vocabulary is another sampler's old logits, which neither greedy nor stochastic sampling may read
        float[] large = new float[64];
        large[40] = 100f;
        assertThat(new Sampler(SamplingParams.greedy(), 64).sample(logits(large), null).token()).isEqualTo(40);
        assertThat(new Sampler(SamplingParams.greedy(), 4).sample(logits(1f, 3f, 2f, 0f), null).token()).isEqualTo(1);
        Sampler stochastic = new Sampler(SamplingParams.greedy().withTemperature(1f).withSeed(3L), 4);
        for (int i = 0; i < 50; i++) {
            assertThat(stochastic.sample(logits(0f, 0f, 0f, 0f), null).token()).isBetween(0, 3);
        }
        Sampler.Choice withLogprobs = new Sampler(SamplingParams.greedy().withLogprobs(true, 2), 4).sample(logits(1f, 3f, 2f, 0f), null);
        assertThat(withLogprobs.topTokens()).containsExactly(1, 2);
    }

    @Test
    void theSameSeedGivesTheSameTokens() {
        SamplingParams p = SamplingParams.greedy().withTemperature(1f).withSeed(7L);
        Sampler a = new Sampler(p, 5);
        Sampler b = new Sampler(p, 5);
        for (int i = 0; i < 50; i++) {
            FloatBuffer l = logits(0.1f, 0.2f, 0.3f, 0.2f, 0.1f);
            assertThat(a.sample(l, null).token()).isEqualTo(b.sample(l, null).token());
        }
    }

    @Test
    void topKOfOneIsGreedy() {
        Sampler s = new Sampler(SamplingParams.greedy().withTemperature(1.5f).withTopK(1).withSeed(1L), 4);
        for (int i = 0; i < 20; i++) {
            assertThat(s.sample(logits(0f, 0.5f, 0.4f, 0f), null).token()).isEqualTo(1);
        }
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        // p = softmax: token 0 holds ~0.97 of the mass
        Sampler s = new Sampler(SamplingParams.greedy().withTemperature(1f).withTopP(0.5f).withSeed(3L), 3);
        for (int i = 0; i < 50; i++) {
            assertThat(s.sample(logits(5f, 1f, 1f), null).token()).isZero();
        }
    }

    @Test
    void minPDropsUnlikelyTokens() {
        Sampler s = new Sampler(SamplingParams.greedy().withTemperature(1f).withMinP(0.5f).withSeed(5L), 3);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(s.sample(logits(2f, 2f, -3f), null).token());
        }
        assertThat(seen).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void maskRestrictsCandidates() {
        Sampler s = new Sampler(SamplingParams.greedy(), 70);
        float[] v = new float[70];
        v[3] = 10f;
        v[65] = 1f;
        long[] mask = new long[2];
        mask[1] = 1L << (65 - 64);
        assertThat(s.sample(FloatBuffer.wrap(v), mask).token()).isEqualTo(65);
    }

    @Test
    void frequencyPenaltyLowersRepeatedTokens() {
        Sampler s = new Sampler(SamplingParams.greedy().withPenalties(1f, 0f, 2f), 2);
        s.observe(0, true);
        assertThat(s.sample(logits(1f, 0f), null).token()).isEqualTo(1);
    }

    @Test
    void logprobsAreNormalised() {
        Sampler s = new Sampler(SamplingParams.greedy().withLogprobs(true, 2), 2);
        Sampler.Choice c = s.sample(logits(0f, 0f), null);
        assertThat(c.logprob()).isCloseTo((float) Math.log(0.5), org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(c.topTokens()).containsExactly(0, 1);
    }

    @Test
    void rejectsOutOfRangeParametersByName() {
        assertThatThrownBy(() -> SamplingParams.greedy().withTopP(0f))
                .isInstanceOf(InvalidSamplingParameterException.class)
                .satisfies(e -> assertThat(((InvalidSamplingParameterException) e).parameter()).isEqualTo("top_p"));
    }
}
