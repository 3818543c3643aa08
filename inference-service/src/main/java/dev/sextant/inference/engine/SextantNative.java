package dev.sextant.inference.engine;

import java.nio.ByteBuffer;

/**
 * The one class that declares libsextant's native methods: static, never overloaded, handles as {@code long}.
 * Every method throws {@link EngineException} on failure. Use {@link Model} and {@link Session} instead.
 */
final class SextantNative {

    static {
        NativeLibrary.load();
    }

    private SextantNative() {
    }

    static native String cpuFeatures();

    static native long modelLoad(String path, int backend, int device);

    static native void modelFree(long model);

    /** {@code [n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx_train, n_params, weight_bytes]}. */
    static native long[] modelInfo(long model);

    static native String modelArch(long model);

    static native long contextInit(long model, int nThreads, int nSeqMax, int nCtx, int kvBlockSize, int nBatchMax, int nOutMax, int kvType);

    static native void contextFree(long context);

    /** {@code [n_threads, n_seq_max, n_ctx, kv_block_size, n_batch_max, n_out_max]}. */
    static native int[] contextParams(long context);

    static native int decode(long context, int n, ByteBuffer tokens, ByteBuffer positions, ByteBuffer seqIds,
            ByteBuffer outputs, ByteBuffer sampled);

    static native ByteBuffer logitsBuffer(long context, int nVocab);

    static native void kvClearSeq(long context, int seq);

    static native void kvTruncateSeq(long context, int seq, int keep);

    static native int kvSeqLen(long context, int seq);

    static native int kvFreeBlocks(long context);

    /** Attaches cached blocks matching the prompt's prefix to the empty sequence; returns the tokens cached. */
    static native int kvAttachPrefix(long context, int seq, int[] tokens);
}
