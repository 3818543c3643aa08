package dev.sextant.inference.engine;

/**
 * Sizes of a session: worker threads (0 = all cores), sequence slots, KV cache cells (all sequences together,
 * in blocks of {@code kvBlockSize} tokens), most tokens per step, most output (logits) rows per step, and the
 * element type of the KV cache on the CPU backend (F16 by default, as llama.cpp and vLLM keep it: half the
 * memory and the bandwidth of attention; F32 for bit-level comparisons with float references; Q8_0, as llama.cpp's
 * {@code --cache-type-k/v q8_0}: about half of F16's memory and attention bandwidth, slightly different results,
 * for models whose head dimension is a multiple of 32, CPU backend only).
 */
public record SessionOptions(int threads, int maxSequences, int contextTokens, int kvBlockSize, int maxBatch, int maxOutputs,
        KvCacheType kvCacheType) {

    /** Element type of the KV cache; the codes are the engine's dtype codes. */
    public enum KvCacheType {
        F32(0), F16(1), Q8_0(8);

        final int code;

        KvCacheType(int code) {
            this.code = code;
        }

        /** Bytes that {@code elements} cached elements take (Q8_0: blocks of 32 quants and an fp16 scale, 34 bytes). */
        public long cacheBytes(long elements) {
            return switch (this) {
                case F32 -> 4 * elements;
                case F16 -> 2 * elements;
                case Q8_0 -> (elements + 31) / 32 * 34;
            };
        }

        static KvCacheType ofCode(int code) {
            for (KvCacheType t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown KV cache type code " + code);
        }
    }

    public SessionOptions {
        if (kvCacheType == null) {
            throw new IllegalArgumentException("kvCacheType must be F32, F16 or Q8_0");
        }
    }

    public static SessionOptions defaults() {
        return new SessionOptions(0, 4, 4096, 16, 512, 64, KvCacheType.F16);
    }

    public SessionOptions withThreads(int t) {
        return new SessionOptions(t, maxSequences, contextTokens, kvBlockSize, maxBatch, maxOutputs, kvCacheType);
    }

    public SessionOptions withMaxSequences(int n) {
        return new SessionOptions(threads, n, contextTokens, kvBlockSize, maxBatch, maxOutputs, kvCacheType);
    }

    public SessionOptions withContextTokens(int n) {
        return new SessionOptions(threads, maxSequences, n, kvBlockSize, maxBatch, maxOutputs, kvCacheType);
    }

    public SessionOptions withKvBlockSize(int n) {
        return new SessionOptions(threads, maxSequences, contextTokens, n, maxBatch, maxOutputs, kvCacheType);
    }

    public SessionOptions withMaxBatch(int n) {
        return new SessionOptions(threads, maxSequences, contextTokens, kvBlockSize, n, maxOutputs, kvCacheType);
    }

    public SessionOptions withMaxOutputs(int n) {
        return new SessionOptions(threads, maxSequences, contextTokens, kvBlockSize, maxBatch, n, kvCacheType);
    }

    public SessionOptions withKvCacheType(KvCacheType t) {
        return new SessionOptions(threads, maxSequences, contextTokens, kvBlockSize, maxBatch, maxOutputs, t);
    }
}
