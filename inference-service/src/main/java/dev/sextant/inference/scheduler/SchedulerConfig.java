package dev.sextant.inference.scheduler;

/**
 * Limits of one model's scheduler: most running sequences, most tokens per engine step (prefill chunks are cut
 * to fit), most requests waiting before new ones are refused (429), and whether admitted prompts reuse cached
 * KV blocks of identical prefixes (vLLM's {@code enable_prefix_caching}; on by default).
 */
public record SchedulerConfig(int maxNumSeqs, int maxBatchedTokens, int maxWaiting, boolean prefixCaching) {

    public SchedulerConfig(int maxNumSeqs, int maxBatchedTokens, int maxWaiting) {
        this(maxNumSeqs, maxBatchedTokens, maxWaiting, true);
    }

    public SchedulerConfig {
        if (maxNumSeqs < 1 || maxBatchedTokens < 1 || maxWaiting < 0) {
            throw new IllegalArgumentException("max_num_seqs and max_batched_tokens must be positive, max_waiting >= 0");
        }
    }
}
