package dev.sextant.inference.engine;

import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A native context on a {@link Model}: thread pool, paged KV cache for several sequences, scratch. One step
 * runs a batch that mixes prefill chunks and decode tokens of different sequences. Not thread-safe: one
 * scheduler thread steps a session (methods are synchronized only so that close() can never free the native
 * context under a running step).
 */
public final class Session implements AutoCloseable {

    /** Owns the context handle and the model reference; run once by close() or the cleaner. */
    private static final class State implements Runnable {
        private long ptr;
        private final Model.Handle model;

        State(long ptr, Model.Handle model) {
            this.ptr = ptr;
            this.model = model;
        }

        @Override
        public synchronized void run() {
            if (ptr != 0) {
                SextantNative.contextFree(ptr);
                ptr = 0;
                model.release();
            }
        }
    }

    private final State state;
    private final Cleaner.Cleanable cleanable;
    private final Model model;
    private final SessionOptions options;
    private final FloatBuffer logits;
    private final int vocab;
    private long ptr;

    Session(Model model, Model.Handle modelHandle, SessionOptions requested) {
        this.model = model;
        long m = modelHandle.acquire();
        long c;
        try {
            c = SextantNative.contextInit(m, requested.threads(), requested.maxSequences(), requested.contextTokens(),
                    requested.kvBlockSize(), requested.maxBatch(), requested.maxOutputs(), requested.kvCacheType().code);
        }
        catch (RuntimeException e) {
            modelHandle.release();
            throw e;
        }
        this.ptr = c;
        this.state = new State(c, modelHandle);
        this.cleanable = Model.CLEANER.register(this, state);
        int[] p = SextantNative.contextParams(c);
        this.options = new SessionOptions(p[0], p[1], p[2], p[3], p[4], p[5], SessionOptions.KvCacheType.ofCode(p[6]));
        this.vocab = model.info().vocabularySize();
        this.logits = SextantNative.logitsBuffer(c, vocab).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    public Model model() {
        return model;
    }

    /** The sizes in effect (threads resolved, cache rounded up to whole blocks). */
    public SessionOptions options() {
        return options;
    }

    public Batch newBatch() {
        return new Batch(options.maxBatch(), options.maxOutputs());
    }

    /** Runs one step; returns the number of output rows (their greedy tokens are in the batch). */
    public synchronized int step(Batch batch) {
        if (batch.size() == 0) {
            throw new IllegalArgumentException("empty batch");
        }
        int n = SextantNative.decode(handle(), batch.size(), batch.tokens, batch.positions, batch.seqIds, batch.outputs,
                batch.sampled);
        batch.outputCount = n;
        return n;
    }

    /** Logits of the k-th output row of the last step (a read-only view, overwritten by the next step). */
    public synchronized FloatBuffer logits(int k) {
        handle();
        return logits.slice(k * vocab, vocab).asReadOnlyBuffer();
    }

    /** A copy of the logits of the k-th output row of the last step. */
    public float[] logitsCopy(int k) {
        float[] out = new float[vocab];
        logits(k).get(out);
        return out;
    }

    public synchronized void clearSequence(int seq) {
        SextantNative.kvClearSeq(handle(), seq);
    }

    public synchronized void truncateSequence(int seq, int keep) {
        SextantNative.kvTruncateSeq(handle(), seq, keep);
    }

    public synchronized int sequenceLength(int seq) {
        return SextantNative.kvSeqLen(handle(), seq);
    }

    /** Free KV blocks, counting cached prefix blocks that no sequence holds (they are evicted on demand). */
    public synchronized int freeBlocks() {
        return SextantNative.kvFreeBlocks(handle());
    }

    /**
     * Prefix caching: gives the empty sequence {@code seq} the cached KV blocks of the longest run of whole
     * blocks that starts {@code prompt} and was computed before (by any sequence, running or finished), and
     * returns how many tokens that covers: a multiple of the block size, at most {@code prompt.length - 1}.
     * The caller then decodes {@code prompt} from that position on.
     * <pre>{@code
     * int cached = session.attachPrefix(seq, prompt);
     * for (int p = cached; p < prompt.length; p++) batch.add(prompt[p], p, seq, p == prompt.length - 1);
     * }</pre>
     */
    public synchronized int attachPrefix(int seq, int[] prompt) {
        return SextantNative.kvAttachPrefix(handle(), seq, prompt);
    }

    private long handle() {
        if (ptr == 0) {
            throw new IllegalStateException("session is closed");
        }
        return ptr;
    }

    /** Frees the native context; waits for a step in progress (the monitor), so it never frees under one. */
    @Override
    public synchronized void close() {
        ptr = 0;
        cleanable.clean();
    }
}
