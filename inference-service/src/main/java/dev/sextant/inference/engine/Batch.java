package dev.sextant.inference.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The tokens of one step, kept in direct buffers that go to native code without copying: token id, position,
 * sequence id and whether the row wants logits. After {@link Session#step} the greedy token of the k-th output
 * row is {@link #sampled(int)}. Reuse one batch per session: {@link #clear()} between steps.
 */
public final class Batch {

    final ByteBuffer tokens;
    final ByteBuffer positions;
    final ByteBuffer seqIds;
    final ByteBuffer outputs;
    final ByteBuffer sampled;
    private final int capacity;
    private int size;
    int outputCount;

    Batch(int capacity, int maxOutputs) {
        this.capacity = capacity;
        this.tokens = ByteBuffer.allocateDirect(capacity * 4).order(ByteOrder.nativeOrder());
        this.positions = ByteBuffer.allocateDirect(capacity * 4).order(ByteOrder.nativeOrder());
        this.seqIds = ByteBuffer.allocateDirect(capacity * 4).order(ByteOrder.nativeOrder());
        this.outputs = ByteBuffer.allocateDirect(capacity).order(ByteOrder.nativeOrder());
        this.sampled = ByteBuffer.allocateDirect(maxOutputs * 4).order(ByteOrder.nativeOrder());
    }

    /** Adds a row; returns this batch. */
    public Batch add(int token, int position, int sequence, boolean output) {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " tokens)");
        }
        tokens.putInt(size * 4, token);
        positions.putInt(size * 4, position);
        seqIds.putInt(size * 4, sequence);
        outputs.put(size, (byte) (output ? 1 : 0));
        size++;
        return this;
    }

    public void clear() {
        size = 0;
        outputCount = 0;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    /** Output rows of the last step. */
    public int outputCount() {
        return outputCount;
    }

    /** Greedy token of the k-th output row of the last step. */
    public int sampled(int k) {
        if (k < 0 || k >= outputCount) {
            throw new IndexOutOfBoundsException("output row " + k + " of " + outputCount);
        }
        return sampled.getInt(k * 4);
    }
}
