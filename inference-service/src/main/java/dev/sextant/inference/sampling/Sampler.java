package dev.sextant.inference.sampling;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses one sequence's next tokens. Deterministic given the seed and the logits: since the engine's logits do
 * not depend on what else is in the batch, the same request with the same seed yields the same tokens under any
 * load. Not thread-safe; one per sequence. The vocabulary-sized work buffers belong to the sampling thread (a
 * scheduler samples its sequences one after another on its own thread), not to each sampler: they are allocated
 * once per thread and grown for a larger vocabulary, so neither a new request (640 KB at a 32K vocabulary, per
 * sampler, when each had its own) nor a token allocates them.
 */
public final class Sampler {

    /** The chosen token and, when asked, its log-probability and the top alternatives. */
    public record Choice(int token, float logprob, int[] topTokens, float[] topLogprobs) {
    }

    /** Work buffers of one sampling thread, valid for the duration of one {@link #sample} call. */
    private static final class Scratch {
        final float[] work;
        final int[] order;
        final long[] keys;
        final float[] probabilities;

        Scratch(int vocab) {
            work = new float[vocab];
            order = new int[vocab];
            keys = new long[vocab];
            probabilities = new float[vocab];
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    private final SamplingParams params;
    private final SplittableRandom random;
    private final int vocab;
    private final int[] counts;

    public Sampler(SamplingParams params, int vocab) {
        this.params = params;
        this.vocab = vocab;
        this.random = new SplittableRandom(params.seed() != null ? params.seed() : System.nanoTime());
        this.counts = params.hasPenalties() ? new int[vocab] : null;
    }

    public SamplingParams params() {
        return params;
    }

    public int vocabSize() {
        return vocab;
    }

    /** Records a token of the context (prompt or generated) for the repetition penalty and generated counts. */
    public void observe(int token, boolean generated) {
        if (counts == null || token < 0 || token >= vocab) {
            return;
        }
        if (generated) {
            counts[token] = Math.max(counts[token], 0) + 1;
        } else if (counts[token] == 0) {
            counts[token] = -1; // seen in the prompt only: repetition penalty applies, presence/frequency do not
        }
    }

    /** Samples from a logits row; {@code mask} (bit t of mask[t/64]) restricts the candidates when non-null. */
    public Choice sample(FloatBuffer logits, long[] mask) {
        Scratch scratch = SCRATCH.get();
        if (scratch == null || scratch.work.length < vocab) {
            scratch = new Scratch(vocab);
            SCRATCH.set(scratch);
        }
        float[] work = scratch.work;
        logits.get(0, work, 0, vocab);
        applyPenalties(work);
        if (mask != null) {
            for (int t = 0; t < vocab; t++) {
                if ((mask[t >>> 6] & (1L << t)) == 0) {
                    work[t] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        int token;
        if (params.isGreedy()) {
            token = argmax(work, vocab);
        } else {
            token = sampleStochastic(scratch);
        }
        if (!params.logprobs()) {
            return new Choice(token, Float.NaN, null, null);
        }
        return withLogprobs(token, scratch);
    }

    private void applyPenalties(float[] work) {
        if (counts == null) {
            return;
        }
        float rep = params.repetitionPenalty();
        for (int t = 0; t < vocab; t++) {
            int c = counts[t];
            if (c == 0) {
                continue;
            }
            float l = work[t];
            if (rep != 1f) {
                l = l > 0 ? l / rep : l * rep;
            }
            if (c > 0) {
                l -= params.presencePenalty() + c * params.frequencyPenalty();
            }
            work[t] = l;
        }
    }

    /** The first index of the largest of v[0..n). */
    static int argmax(float[] v, int n) {
        int best = 0;
        float bestValue = v[0];
        for (int i = 1; i < n; i++) {
            if (v[i] > bestValue) {
                bestValue = v[i];
                best = i;
            }
        }
        return best;
    }

    /** Temperature, then top-k, top-p and min-p over the candidates sorted by logit (ties by id). */
    private int sampleStochastic(Scratch scratch) {
        float[] work = scratch.work;
        int[] order = scratch.order;
        float invT = 1f / params.temperature();
        int n = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < vocab; t++) {
            if (work[t] != Float.NEGATIVE_INFINITY) {
                order[n++] = t;
                max = Math.max(max, work[t]);
            }
        }
        if (n == 0) {
            return argmax(work, vocab);
        }
        int k = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        partialSort(scratch, n, k);
        // probabilities (unnormalised) of the k best, in order
        double sum = 0;
        float[] p = scratch.probabilities;
        for (int i = 0; i < k; i++) {
            p[i] = (float) Math.exp((work[order[i]] - max) * invT);
            sum += p[i];
        }
        int keep = k;
        if (params.minP() > 0) {
            float threshold = p[0] * params.minP();
            for (int i = 1; i < keep; i++) {
                if (p[i] < threshold) {
                    keep = i;
                    break;
                }
            }
        }
        if (params.topP() < 1) {
            double cumulative = 0;
            for (int i = 0; i < keep; i++) {
                cumulative += p[i] / sum;
                if (cumulative >= params.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += p[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= p[i];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /** Orders order[0..n) so that its first k entries are the k highest logits, descending, ties by id. */
    private static void partialSort(Scratch scratch, int n, int k) {
        float[] work = scratch.work;
        int[] order = scratch.order;
        long[] keys = scratch.keys;
        if (k > 32) {
            for (int i = 0; i < n; i++) {
                int t = order[i];
                int bits = Float.floatToIntBits(work[t]);
                bits ^= (bits >> 31) & 0x7fffffff; // ascending int order == ascending float order
                keys[i] = ((long) ~bits << 32) | t; // ascending keys: descending logit, then ascending id
            }
            Arrays.sort(keys, 0, n);
            for (int i = 0; i < n; i++) {
                order[i] = (int) keys[i];
            }
            return;
        }
        for (int i = 0; i < k; i++) {
            int best = i;
            for (int j = i + 1; j < n; j++) {
                int a = order[j];
                int b = order[best];
                if (work[a] > work[b] || (work[a] == work[b] && a < b)) {
                    best = j;
                }
            }
            int tmp = order[i];
            order[i] = order[best];
            order[best] = tmp;
        }
    }

    private Choice withLogprobs(int token, Scratch scratch) {
        float[] work = scratch.work;
        int[] order = scratch.order;
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t < vocab; t++) {
            max = Math.max(max, work[t]);
        }
        double sum = 0;
        for (int t = 0; t < vocab; t++) {
            if (work[t] != Float.NEGATIVE_INFINITY) {
                sum += Math.exp(work[t] - max);
            }
        }
        float logZ = (float) (max + Math.log(sum));
        int top = params.topLogprobs();
        int[] topTokens = new int[top];
        float[] topLp = new float[top];
        if (top > 0) {
            int n = 0;
            for (int t = 0; t < vocab; t++) {
                order[n++] = t;
            }
            partialSort(scratch, n, Math.min(top, n));
            for (int i = 0; i < top; i++) {
                topTokens[i] = order[i];
                topLp[i] = work[order[i]] - logZ;
            }
        }
        return new Choice(token, work[token] - logZ, topTokens, topLp);
    }
}
