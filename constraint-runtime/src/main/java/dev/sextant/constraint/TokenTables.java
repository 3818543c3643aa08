package dev.sextant.constraint;

import java.util.Arrays;

/**
 * Per-state token classification, as XGrammar splits it: for a stack whose top is at state s, tokens in
 * {@code accepted[s]} are allowed whatever lies below the top, tokens in {@code contextDependent[s]} must be
 * checked against the actual stack, and every other token is rejected. A state's accepted set is kept either
 * as a sorted id list or as a vocabulary bitmask, whichever is smaller.
 */
final class TokenTables {

    final int[][] acceptedList;     // (state) sorted ids, or null when dense/absent
    final long[][] acceptedMask;    // (state) vocabulary bitmask, or null
    final int[][] contextDependent; // (state) sorted ids, never null for a byte state

    TokenTables(int[][] acceptedList, long[][] acceptedMask, int[][] contextDependent) {
        this.acceptedList = acceptedList;
        this.acceptedMask = acceptedMask;
        this.contextDependent = contextDependent;
    }

    static boolean denser(int count, int vocabSize) {
        return (long) count * 32 > (long) vocabSize;
    }

    /**
     * Walks the vocabulary trie from every state that has a byte edge.
     *
     * @param deadlineNanos {@link System#nanoTime()} after which the build throws {@link GrammarException}
     */
    static TokenTables build(Grammar g, Vocabulary vocab, long deadlineNanos) {
        TokenTrie trie = new TokenTrie(vocab);
        StackMachine m = new StackMachine(g);
        int n = g.stateCount();
        int[][] list = new int[n][];
        long[][] mask = new long[n][];
        int[][] ctx = new int[n][];
        Walk walk = new Walk(trie, m, vocab.size());
        for (int s = 0; s < n; s++) {
            if (!g.hasBytes[s]) {
                continue;
            }
            if (System.nanoTime() > deadlineNanos) {
                throw new GrammarException("token tables exceed the compile-time budget after " + s + " of " + n + " states");
            }
            m.reset();
            m.pushTop(m.newFrame(s, g.isPushdown() ? StackMachine.NOPOP : StackMachine.BOTTOM));
            walk.accepted = 0;
            walk.contextual = 0;
            walk.dfs(0, 0, 1, false);
            int[] acc = Arrays.copyOf(walk.acceptedIds, walk.accepted);
            Arrays.sort(acc);
            if (denser(acc.length, vocab.size())) {
                long[] words = new long[(vocab.size() + 63) >>> 6];
                for (int t : acc) {
                    words[t >>> 6] |= 1L << t;
                }
                mask[s] = words;
            } else {
                list[s] = acc;
            }
            int[] c = Arrays.copyOf(walk.contextIds, walk.contextual);
            Arrays.sort(c);
            ctx[s] = c;
        }
        return new TokenTables(list, mask, ctx);
    }

    private static final class Walk {
        final TokenTrie trie;
        final StackMachine m;
        int[] acceptedIds;
        int[] contextIds;
        int accepted;
        int contextual;

        Walk(TokenTrie trie, StackMachine m, int vocabSize) {
            this.trie = trie;
            this.m = m;
            this.acceptedIds = new int[vocabSize];
            this.contextIds = new int[vocabSize];
        }

        void dfs(int node, int from, int to, boolean needContext) {
            for (int c = trie.firstChild[node]; c >= 0; c = trie.nextSibling[c]) {
                int frameMark = m.frames;
                int setMark = m.setsTop;
                int len = m.step(from, to, trie.label[c]);
                boolean nc = needContext || m.needContext;
                boolean ok = len > 0 || m.canEnd;
                if (!ok && !nc) {
                    m.frames = frameMark;
                    m.setsTop = setMark;
                    continue;
                }
                for (int t = trie.firstToken[c]; t >= 0; t = trie.nextToken[t]) {
                    if (ok) {
                        acceptedIds[accepted++] = t;
                    } else {
                        contextIds[contextual++] = t;
                    }
                }
                if (trie.firstChild[c] >= 0) {
                    dfs(c, setMark, setMark + len, nc);
                }
                m.frames = frameMark;
                m.setsTop = setMark;
            }
        }
    }
}
