package dev.sextant.constraint;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;

/**
 * Per-state token classification, as XGrammar splits it: for a stack whose top is at state s, tokens in
 * {@link Table#acceptedList()} / {@link Table#acceptedMask()} are allowed whatever lies below the top, tokens in
 * {@link Table#contextDependent()} must be checked against the actual stack, and every other token is rejected.
 *
 * <p>Tables are computed on first use, one state at a time (a walk of the vocabulary trie from that state), and
 * kept: a generation pays only for the states it visits, and compiling a constraint costs no walk at all. The
 * tables of a self-contained rule are shared with every other grammar over the same vocabulary that has a rule of
 * the same shape ({@link VocabularyIndex}). Thread-safe: matchers on several threads may share one instance; a
 * table is published once complete, and two threads racing on the same state compute equal tables.
 */
final class TokenTables {

    /** One state's split; the accepted set is a sorted id list or a vocabulary bitmask, whichever is smaller. */
    record Table(int[] acceptedList, long[] acceptedMask, int[] contextDependent) {
    }

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Table[].class);
    private static final ThreadLocal<int[][]> SCRATCH = new ThreadLocal<>();

    private final Grammar g;
    private final int vocabSize;
    private final VocabularyIndex index;
    private final Table[] own;      // (state) computed table, or null
    private Table[][] rowOf;        // (state) the array holding its table: own, or a shared rule's row
    private int[] slotOf;           // (state) index into rowOf[state]
    private volatile boolean sharingResolved;

    TokenTables(Grammar g, Vocabulary vocabulary) {
        this.g = g;
        this.vocabSize = vocabulary.size();
        this.index = VocabularyIndex.of(vocabulary);
        this.own = new Table[g.stateCount()];
    }

    /** The table of byte state {@code s}, computed now if no one has yet. */
    Table get(int s) {
        if (sharingResolved) {
            Table t = (Table) SLOT.getAcquire(rowOf[s], slotOf[s]);
            if (t != null) {
                return t;
            }
        }
        return compute(s);
    }

    /** The table of {@code s} if computed already, else null (no work). */
    Table peek(int s) {
        if (!sharingResolved) {
            return (Table) SLOT.getAcquire(own, s);
        }
        return (Table) SLOT.getAcquire(rowOf[s], slotOf[s]);
    }

    /** Installs a table read from an artifact. */
    void put(int s, Table t) {
        SLOT.setRelease(own, s, t);
    }

    /**
     * Computes every byte state's table now (eager, as artifact version 1 did).
     *
     * @param deadlineNanos {@link System#nanoTime()} after which this throws {@link GrammarException}
     */
    void computeAll(long deadlineNanos) {
        for (int s = 0; s < g.stateCount(); s++) {
            if (g.hasBytes[s]) {
                if (System.nanoTime() > deadlineNanos) {
                    throw new GrammarException("token tables exceed the compile-time budget after " + s + " of " + g.stateCount() + " states");
                }
                get(s);
            }
        }
    }

    private synchronized Table compute(int s) {
        resolveSharing();
        Table[] row = rowOf[s];
        int slot = slotOf[s];
        Table t = (Table) SLOT.getAcquire(row, slot);
        if (t == null) {
            t = (Table) SLOT.getAcquire(own, s); // read from the artifact before sharing was resolved
        }
        if (t == null) {
            t = walk(s);
        }
        SLOT.setRelease(row, slot, t);
        if (row != own) {
            SLOT.setRelease(own, s, t);
        }
        return t;
    }

    private Table walk(int s) {
        int[][] scratch = SCRATCH.get();
        if (scratch == null || scratch[0].length < vocabSize) {
            scratch = new int[][] {new int[vocabSize], new int[vocabSize]};
            SCRATCH.set(scratch);
        }
        Walk walk = new Walk(index.trie, new StackMachine(g), g, scratch[0], scratch[1]);
        if (g.isPushdown()) {
            walk.m.reset();
            walk.dfsFast(0, s);
        } else {
            walk.dfsDfa(0, s);
        }
        int[] acc = Arrays.copyOf(walk.acceptedIds, walk.accepted);
        Arrays.sort(acc);
        int[] ctx = Arrays.copyOf(walk.contextIds, walk.contextual);
        Arrays.sort(ctx);
        if (denser(acc.length, vocabSize)) {
            long[] words = new long[(vocabSize + 63) >>> 6];
            for (int t : acc) {
                words[t >>> 6] |= 1L << t;
            }
            return new Table(null, words, ctx);
        }
        return new Table(acc, null, ctx);
    }

    static boolean denser(int count, int vocabSize) {
        return (long) count * 32 > (long) vocabSize;
    }

    /** Maps each state to its slot: in the shared row of its self-contained rule, else in {@link #own}. */
    private void resolveSharing() {
        if (sharingResolved) {
            return;
        }
        int n = g.stateCount();
        Table[][] rows = new Table[n][];
        int[] slots = new int[n];
        for (int s = 0; s < n; s++) {
            rows[s] = own;
            slots[s] = s;
        }
        if (g.isPushdown()) {
            for (int r = 0; r < g.ruleCount(); r++) {
                int[] local = selfContainedRule(g, r);
                if (local == null) {
                    continue;
                }
                Table[] shared = index.sharedRule(shape(g, local), local.length);
                for (int i = 0; i < local.length; i++) {
                    rows[local[i]] = shared;
                    slots[local[i]] = i;
                }
            }
        }
        rowOf = rows;
        slotOf = slots;
        sharingResolved = true; // volatile write publishes rowOf and slotOf
    }

    /** Number of context-dependent (state, token) pairs among the tables computed so far. */
    long contextDependentCount() {
        long count = 0;
        for (int s = 0; s < g.stateCount(); s++) {
            Table t = peek(s);
            count += t == null ? 0 : t.contextDependent().length;
        }
        return count;
    }

    /** The rule's states in BFS order from its start when it calls no rule but itself; null otherwise. */
    private static int[] selfContainedRule(Grammar g, int r) {
        LinkedHashMap<Integer, Integer> order = new LinkedHashMap<>();
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        order.put(g.ruleStart[r], 0);
        queue.add(g.ruleStart[r]);
        while (!queue.isEmpty()) {
            int s = queue.poll();
            for (int c = g.callOffset[s]; c < g.callOffset[s + 1]; c++) {
                if (g.callRule[c] != r) {
                    return null;
                }
                if (order.putIfAbsent(g.callReturn[c], order.size()) == null) {
                    queue.add(g.callReturn[c]);
                }
            }
            for (int b = 0; b < 256; b++) {
                int t = g.byteNext[s * 256 + b];
                if (t >= 0 && order.putIfAbsent(t, order.size()) == null) {
                    queue.add(t);
                }
            }
        }
        return order.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    /** The rule's structure with states renumbered in BFS order: equal shapes have equal tables. */
    private static String shape(Grammar g, int[] local) {
        HashMap<Integer, Integer> at = new HashMap<>();
        for (int i = 0; i < local.length; i++) {
            at.put(local[i], i);
        }
        StringBuilder sb = new StringBuilder();
        for (int s : local) {
            sb.append(g.accept[s] ? 'A' : 'a');
            for (int b = 0; b < 256; b++) {
                int t = g.byteNext[s * 256 + b];
                if (t >= 0) {
                    sb.append(b).append('>').append(at.get(t)).append(',');
                }
            }
            for (int c = g.callOffset[s]; c < g.callOffset[s + 1]; c++) {
                sb.append("call>").append(at.get(g.callReturn[c])).append(',');
            }
            sb.append(';');
        }
        return sb.toString();
    }

    private static final class Walk {
        final TokenTrie trie;
        final StackMachine m;
        final int[] acceptedIds;
        final int[] contextIds;
        int accepted;
        int contextual;

        final int[] byteNext;
        final boolean[] accept;
        final boolean[] hasBytes;
        final int[] callOffset;

        Walk(TokenTrie trie, StackMachine m, Grammar g, int[] acceptedIds, int[] contextIds) {
            this.trie = trie;
            this.m = m;
            this.byteNext = g.byteNext;
            this.accept = g.accept;
            this.hasBytes = g.hasBytes;
            this.callOffset = g.callOffset;
            this.acceptedIds = acceptedIds;
            this.contextIds = contextIds;
        }

        /** The DFA case: one state instead of a set of stacks; accepts exactly what {@code Matcher.accept} does. */
        void dfsDfa(int node, int state) {
            for (int c = trie.firstChild[node]; c >= 0; c = trie.nextSibling[c]) {
                int t = byteNext[state * 256 + trie.label[c]];
                if (t < 0 || !(hasBytes[t] || accept[t])) {
                    continue;
                }
                for (int tok = trie.firstToken[c]; tok >= 0; tok = trie.nextToken[tok]) {
                    acceptedIds[accepted++] = tok;
                }
                if (hasBytes[t] && trie.firstChild[c] >= 0) {
                    dfsDfa(c, t);
                }
            }
        }

        /**
         * The pushdown case while the walk stays on one stack top at plain byte states (no call, no return):
         * a table lookup per byte; at the first state that calls or may return it hands over to {@link #dfs}.
         */
        void dfsFast(int node, int state) {
            for (int c = trie.firstChild[node]; c >= 0; c = trie.nextSibling[c]) {
                int t = byteNext[state * 256 + trie.label[c]];
                if (t < 0) {
                    continue;
                }
                if (callOffset[t] == callOffset[t + 1] && !accept[t]) {
                    if (!hasBytes[t]) {
                        continue;
                    }
                    for (int tok = trie.firstToken[c]; tok >= 0; tok = trie.nextToken[tok]) {
                        acceptedIds[accepted++] = tok;
                    }
                    if (trie.firstChild[c] >= 0) {
                        dfsFast(c, t);
                    }
                    continue;
                }
                int frameMark = m.frames;
                int setMark = m.setsTop;
                int len = m.single(t, StackMachine.NOPOP);
                boolean nc = m.needContext;
                boolean ok = len > 0;
                if (ok || nc) {
                    for (int tok = trie.firstToken[c]; tok >= 0; tok = trie.nextToken[tok]) {
                        if (ok) {
                            acceptedIds[accepted++] = tok;
                        } else {
                            contextIds[contextual++] = tok;
                        }
                    }
                    if (trie.firstChild[c] >= 0) {
                        dfs(c, setMark, setMark + len, nc);
                    }
                }
                m.frames = frameMark;
                m.setsTop = setMark;
            }
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
