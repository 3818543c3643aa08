package dev.sextant.inference.scheduler;

/**
 * Limits of one model's scheduler: most running sequences, most tokens per engine step (prefill chunks are cut
 * to fit), most requests waiting before new ones are refused (429).
 */
public record SchedulerConfig(int maxNumSeqs, int maxBatchedTokens, int maxWaiting) {

    public SchedulerConfig {
        if (maxNumSeqs < 1 || maxBatchedTokens < 1 || maxWaiting < 0) {
            throw new IllegalArgumentException("max_num_seqs and max_batched_tokens must be positive, max_waiting >= 0");
        }
    }
}
