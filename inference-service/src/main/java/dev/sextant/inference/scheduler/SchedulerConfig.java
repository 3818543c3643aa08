package dev.sextant.inference.scheduler;

/**
 * Limits and step policy of one model's scheduler.
 *
 * <ul>
 * <li>{@code maxNumSeqs}: most running sequences; {@code maxBatchedTokens}: most tokens per engine step (prefill
 * chunks are cut to fit); {@code maxWaiting}: most requests waiting before new ones are refused (429);
 * {@code prefixCaching}: admitted prompts reuse cached KV blocks of identical prefixes (vLLM's
 * {@code enable_prefix_caching}; on by default).</li>
 * <li>{@code mixedPrefillTokens}: most prefill tokens a step may carry beside decode rows (a step with no decode row
 * may use all of {@code maxBatchedTokens}). On a CPU a decode step of a dozen rows is already compute-bound, so every
 * prefill token added to it lengthens the running streams' inter-token gap; a smaller value bounds that gap at the
 * price of a slower first token for the newcomer. Default: {@code maxBatchedTokens} (no bound beyond the budget).</li>
 * <li>{@code prefillBurstsFirst}: a sequence whose prompt has just been prefilled does not start decoding while
 * prompts submitted before its first token are still being prefilled. Requests that arrive together (a burst) are
 * then prefilled in full-size chunks before their streams start decoding: the burst's prefill delays each of those
 * streams once, between its first and second token, instead of slowing every step of the streams that finished
 * prefilling first. Streams already decoding are never held: a request that arrives later is prefilled in chunks
 * beside them (bounded by {@code mixedPrefillTokens}). On by default.</li>
 * </ul>
 */
public record SchedulerConfig(int maxNumSeqs, int maxBatchedTokens, int maxWaiting, boolean prefixCaching, int mixedPrefillTokens,
        boolean prefillBurstsFirst) {

    public SchedulerConfig(int maxNumSeqs, int maxBatchedTokens, int maxWaiting) {
        this(maxNumSeqs, maxBatchedTokens, maxWaiting, true);
    }

    public SchedulerConfig(int maxNumSeqs, int maxBatchedTokens, int maxWaiting, boolean prefixCaching) {
        this(maxNumSeqs, maxBatchedTokens, maxWaiting, prefixCaching, maxBatchedTokens, true);
    }

    public SchedulerConfig {
        if (maxNumSeqs < 1 || maxBatchedTokens < 1 || maxWaiting < 0 || mixedPrefillTokens < 1) {
            throw new IllegalArgumentException(
                    "max_num_seqs, max_batched_tokens and mixed_prefill_tokens must be positive, max_waiting >= 0");
        }
    }

    /** This configuration with at most {@code tokens} prefill tokens in a step that carries decode rows. */
    public SchedulerConfig withMixedPrefillTokens(int tokens) {
        return new SchedulerConfig(maxNumSeqs, maxBatchedTokens, maxWaiting, prefixCaching, tokens, prefillBurstsFirst);
    }

    /** This configuration with bursts of arrivals prefilled before their streams decode ({@code true}) or not. */
    public SchedulerConfig withPrefillBurstsFirst(boolean first) {
        return new SchedulerConfig(maxNumSeqs, maxBatchedTokens, maxWaiting, prefixCaching, mixedPrefillTokens, first);
    }
}
