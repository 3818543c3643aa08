package dev.sextant.inference.engine;

/**
 * Sizes of a session: worker threads (0 = all cores), sequence slots, KV cache cells (all sequences together,
 * in blocks of {@code kvBlockSize} tokens), most tokens per step and most output (logits) rows per step.
 */
public record SessionOptions(int threads, int maxSequences, int contextTokens, int kvBlockSize, int maxBatch, int maxOutputs) {

    public static SessionOptions defaults() {
        return new SessionOptions(0, 4, 4096, 16, 512, 64);
    }

    public SessionOptions withThreads(int t) {
        return new SessionOptions(t, maxSequences, contextTokens, kvBlockSize, maxBatch, maxOutputs);
    }

    public SessionOptions withMaxSequences(int n) {
        return new SessionOptions(threads, n, contextTokens, kvBlockSize, maxBatch, maxOutputs);
    }

    public SessionOptions withContextTokens(int n) {
        return new SessionOptions(threads, maxSequences, n, kvBlockSize, maxBatch, maxOutputs);
    }

    public SessionOptions withKvBlockSize(int n) {
        return new SessionOptions(threads, maxSequences, contextTokens, n, maxBatch, maxOutputs);
    }

    public SessionOptions withMaxBatch(int n) {
        return new SessionOptions(threads, maxSequences, contextTokens, kvBlockSize, n, maxOutputs);
    }

    public SessionOptions withMaxOutputs(int n) {
        return new SessionOptions(threads, maxSequences, contextTokens, kvBlockSize, maxBatch, n);
    }
}
