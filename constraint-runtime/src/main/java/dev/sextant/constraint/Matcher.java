package dev.sextant.constraint;

import java.util.Arrays;

/**
 * The per-sequence state of a constraint: which tokens may come next, and advancing on the sampled one.
 * Not thread-safe: one per sequence, driven by the sampling loop. The hot path allocates nothing once its
 * arrays have grown to the sequence's needs and the token tables of the states it meets have been computed (the
 * first mask at a state no matcher over this artifact has met before walks the vocabulary trie once; see
 * {@code TokenTables}).
 *
 * <pre>{@code
 * long[] mask = new long[artifact.maskWords()];
 * Matcher m = artifact.newMatcher();
 * while (!m.isTerminated()) {
 *     m.fillNextMask(mask);          // bit t of mask[t >>> 6] set = token t allowed
 *     int token = sample(logits, mask);
 *     if (!m.accept(token)) throw new IllegalStateException("sampler ignored the mask");
 * }
 * }</pre>
 */
public final class Matcher {

    private final ConstraintArtifact artifact;
    private final Grammar g;
    private final TokenTables tables;
    private final byte[][] tokens;
    private final StackMachine m;

    // history, one entry per accepted token plus the start: the set sets[setStart, setStart + setLength)
    private int[] setStart = new int[64];
    private int[] setLength = new int[64];
    private int[] frameMark = new int[64];
    private boolean[] canEnd = new boolean[64];
    private int position;
    private boolean finished;
    private final int[] seenStamp;
    private int seen;

    Matcher(ConstraintArtifact artifact) {
        this.artifact = artifact;
        this.g = artifact.grammar;
        this.tables = artifact.tables;
        this.tokens = artifact.vocabulary.tokens();
        this.m = new StackMachine(g);
        this.seenStamp = new int[g.stateCount()];
        m.reset();
        int len = m.start();
        setStart[0] = 0;
        setLength[0] = len;
        canEnd[0] = m.canEnd;
        frameMark[0] = m.frames;
    }

    /** Tokens accepted so far (EOS included once accepted). */
    public int position() {
        return position;
    }

    /** Whether the output so far is complete: EOS is allowed now. */
    public boolean isAccepting() {
        return canEnd[position];
    }

    /** Whether nothing but EOS can follow (or EOS was accepted): generation should stop. */
    public boolean isTerminated() {
        return finished || setLength[position] == 0;
    }

    /**
     * Writes the allowed-token bitmask for the next step: bit {@code t & 63} of {@code mask[t >>> 6]}.
     * EOS ids are set only where the constraint may end.
     */
    public void fillNextMask(long[] mask) {
        Arrays.fill(mask, 0L);
        if (finished) {
            return;
        }
        int from = setStart[position];
        int to = from + setLength[position];
        if (++seen == Integer.MAX_VALUE) {
            Arrays.fill(seenStamp, 0);
            seen = 1;
        }
        for (int i = from; i < to; i++) {
            int frame = m.sets[i];
            int s = m.frameState[frame];
            TokenTables.Table table = tables.get(s);
            if (seenStamp[s] != seen) {
                seenStamp[s] = seen;
                long[] dense = table.acceptedMask();
                if (dense != null) {
                    for (int w = 0; w < mask.length; w++) {
                        mask[w] |= dense[w];
                    }
                } else {
                    for (int t : table.acceptedList()) {
                        mask[t >>> 6] |= 1L << t;
                    }
                }
            }
            for (int t : table.contextDependent()) {
                if ((mask[t >>> 6] & (1L << t)) == 0 && fits(frame, tokens[t])) {
                    mask[t >>> 6] |= 1L << t;
                }
            }
        }
        if (canEnd[position]) {
            for (int e : artifact.vocabulary.eosTokenIds()) {
                mask[e >>> 6] |= 1L << e;
            }
        }
    }

    /** Whether {@code token} may come next; does not advance. */
    public boolean isAllowed(int token) {
        if (finished || token < 0 || token >= tokens.length) {
            return false;
        }
        if (artifact.isEos[token]) {
            return canEnd[position];
        }
        int frames = m.frames;
        int top = m.setsTop;
        boolean ok = run(setStart[position], setStart[position] + setLength[position], tokens[token]) >= 0;
        m.frames = frames;
        m.setsTop = top;
        return ok;
    }

    /** Advances on {@code token}; returns false (and stays put) when the constraint does not allow it. */
    public boolean accept(int token) {
        if (finished || token < 0 || token >= tokens.length) {
            return false;
        }
        if (artifact.isEos[token]) {
            if (!canEnd[position]) {
                return false;
            }
            grow();
            position++;
            setStart[position] = m.setsTop;
            setLength[position] = 0;
            canEnd[position] = false;
            frameMark[position] = m.frames;
            finished = true;
            return true;
        }
        int frames = m.frames;
        int end = setStart[position] + setLength[position];
        int top = m.setsTop;
        int from = run(setStart[position], end, tokens[token]);
        if (from < 0) {
            m.frames = frames;
            m.setsTop = top;
            return false;
        }
        boolean ends = m.canEnd;
        int len = m.setsTop - from;
        System.arraycopy(m.sets, from, m.sets, end, len); // keep the history compact
        m.setsTop = end + len;
        grow();
        position++;
        setStart[position] = end;
        setLength[position] = len;
        canEnd[position] = ends;
        frameMark[position] = m.frames;
        return true;
    }

    /** Undoes the last {@code n} accepted tokens (speculative decoding, stop-string trimming). */
    public void rollback(int n) {
        if (n < 0 || n > position) {
            throw new IllegalArgumentException("cannot roll back " + n + " of " + position + " tokens");
        }
        position -= n;
        finished = false;
        m.setsTop = setStart[position] + setLength[position];
        m.frames = frameMark[position];
    }

    /** Runs bytes from the set [from, to); returns the start of the final set in m.sets, or -1 when rejected. */
    private int run(int from, int to, byte[] bytes) {
        if (bytes.length == 0) {
            return -1;
        }
        for (int i = 0; i < bytes.length; i++) {
            int begin = m.setsTop;
            int len = m.step(from, to, bytes[i] & 0xFF);
            if (len == 0 && !(m.canEnd && i == bytes.length - 1)) {
                return -1;
            }
            from = begin;
            to = begin + len;
        }
        return from;
    }

    /** Whether a token's bytes fit on the single stack topped by {@code frame}. */
    private boolean fits(int frame, byte[] bytes) {
        int frames = m.frames;
        int top = m.setsTop;
        m.pushTop(frame);
        int r = run(top, top + 1, bytes);
        m.frames = frames;
        m.setsTop = top;
        return r >= 0;
    }

    private void grow() {
        if (position + 2 > setStart.length) {
            int n = setStart.length * 2;
            setStart = Arrays.copyOf(setStart, n);
            setLength = Arrays.copyOf(setLength, n);
            frameMark = Arrays.copyOf(frameMark, n);
            canEnd = Arrays.copyOf(canEnd, n);
        }
    }
}
