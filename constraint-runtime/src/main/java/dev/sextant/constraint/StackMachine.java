package dev.sextant.constraint;

import java.util.Arrays;

/**
 * The pushdown core shared by the matcher and the token-table builder. A configuration is a stack of frames
 * kept in an append-only arena (parent links, so stacks share their tails); a set of configurations is a run of
 * top-frame indices in {@link #sets}. Every top sits at a state with a byte edge: calls, returns and the
 * root's end are resolved eagerly by {@link #closure}. Nothing is allocated once the arrays have grown.
 */
final class StackMachine {

    /** Parent of the root frame: reaching an accepting state here means the constraint may end. */
    static final int BOTTOM = -1;
    /** Parent used when building token tables: popping it means "depends on the caller". */
    static final int NOPOP = -2;
    private static final int MAX_CLOSURE_DEPTH = 4096;

    private final Grammar g;
    int[] frameState = new int[1024];  // (frame) state
    int[] frameParent = new int[1024]; // (frame) parent frame, BOTTOM or NOPOP
    int frames;
    int[] sets = new int[1024];        // runs of top frames
    int setsTop;
    boolean canEnd;
    boolean needContext;

    private long[] hashKeys = new long[256];
    private int[] hashStamp = new int[256];
    private int[] hashValue = new int[256];
    private int hashCount;
    private int stamp = 1;
    private int depth;

    StackMachine(Grammar g) {
        this.g = g;
    }

    void reset() {
        frames = 0;
        setsTop = 0;
        newGeneration();
    }

    /** Writes the closure of the root rule's start at {@link #setsTop}; returns the set's length. */
    int start() {
        newGeneration();
        int begin = setsTop;
        canEnd = false;
        needContext = false;
        closure(g.ruleStart[g.rootRule], BOTTOM);
        return setsTop - begin;
    }

    /** Writes the closure of a single frame (state, parent) at {@link #setsTop}; returns the set's length. */
    int single(int state, int parent) {
        newGeneration();
        int begin = setsTop;
        canEnd = false;
        needContext = false;
        closure(state, parent);
        return setsTop - begin;
    }

    /** Writes the successor of the set {@code sets[from, to)} on {@code b} at {@link #setsTop}; returns its length. */
    int step(int from, int to, int b) {
        newGeneration();
        int begin = setsTop;
        canEnd = false;
        needContext = false;
        int[] next = g.byteNext;
        for (int i = from; i < to; i++) {
            int f = sets[i];
            int t = next[frameState[f] * 256 + b];
            if (t >= 0) {
                closure(t, frameParent[f]);
            }
        }
        return setsTop - begin;
    }

    private void closure(int s, int p) {
        if (!firstVisit(key(s, p, 0))) {
            return;
        }
        if (++depth > MAX_CLOSURE_DEPTH) {
            depth = 0;
            throw new GrammarException("grammar is left-recursive (a rule can call itself without consuming a byte)");
        }
        if (g.hasBytes[s]) {
            pushTop(newFrame(s, p));
        }
        for (int c = g.callOffset[s]; c < g.callOffset[s + 1]; c++) {
            int ret = memoFrame(g.callReturn[c], p);
            closure(g.ruleStart[g.callRule[c]], ret);
        }
        if (g.accept[s]) {
            if (p == BOTTOM) {
                canEnd = true;
            } else if (p == NOPOP) {
                needContext = true;
            } else {
                closure(frameState[p], frameParent[p]);
            }
        }
        depth--;
    }

    int newFrame(int s, int p) {
        if (frames == frameState.length) {
            frameState = Arrays.copyOf(frameState, frames * 2);
            frameParent = Arrays.copyOf(frameParent, frames * 2);
        }
        frameState[frames] = s;
        frameParent[frames] = p;
        return frames++;
    }

    void pushTop(int frame) {
        if (setsTop == sets.length) {
            sets = Arrays.copyOf(sets, setsTop * 2);
        }
        sets[setsTop++] = frame;
    }

    void ensureSets(int extra) {
        if (setsTop + extra > sets.length) {
            sets = Arrays.copyOf(sets, Math.max(sets.length * 2, setsTop + extra));
        }
    }

    private int memoFrame(int s, int p) {
        long k = key(s, p, 1);
        int slot = slot(k);
        if (hashStamp[slot] == stamp) {
            return hashValue[slot];
        }
        int f = newFrame(s, p);
        insert(slot, k, f);
        return f;
    }

    private boolean firstVisit(long k) {
        int slot = slot(k);
        if (hashStamp[slot] == stamp) {
            return false;
        }
        insert(slot, k, 0);
        return true;
    }

    private static long key(int s, int p, int tag) {
        return ((long) s << 34) | ((long) (p + 2) << 1) | tag;
    }

    private int slot(long k) {
        int mask = hashKeys.length - 1;
        int i = (int) (mix(k) & mask);
        while (hashStamp[i] == stamp && hashKeys[i] != k) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private void insert(int slot, long k, int v) {
        hashKeys[slot] = k;
        hashStamp[slot] = stamp;
        hashValue[slot] = v;
        if (++hashCount * 2 > hashKeys.length) {
            grow();
        }
    }

    private void grow() {
        long[] oldKeys = hashKeys;
        int[] oldStamp = hashStamp;
        int[] oldValue = hashValue;
        hashKeys = new long[oldKeys.length * 2];
        hashStamp = new int[oldKeys.length * 2];
        hashValue = new int[oldKeys.length * 2];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldStamp[i] == stamp) {
                int s = slot(oldKeys[i]);
                hashKeys[s] = oldKeys[i];
                hashStamp[s] = stamp;
                hashValue[s] = oldValue[i];
            }
        }
    }

    private void newGeneration() {
        hashCount = 0;
        if (++stamp == Integer.MAX_VALUE) {
            Arrays.fill(hashStamp, 0);
            stamp = 1;
        }
    }

    private static long mix(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        return k;
    }
}
