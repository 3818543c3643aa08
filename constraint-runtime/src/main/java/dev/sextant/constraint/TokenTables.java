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

    private static final java.util.Map<byte[][], TokenTrie> TRIES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** One trie per vocabulary instance (the service keeps vocabularies cached per model). */
    private static TokenTrie trie(Vocabulary vocab) {
        return TRIES.computeIfAbsent(vocab.tokens(), k -> new TokenTrie(vocab));
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
        TokenTrie trie = trie(vocab);
        StackMachine m = new StackMachine(g);
        int n = g.stateCount();
        int[][] list = new int[n][];
        long[][] mask = new long[n][];
        int[][] ctx = new int[n][];
        Walk walk = new Walk(trie, m, vocab.size(), g);
        int maxLen = 1;
        for (byte[] t : vocab.tokens()) {
            maxLen = Math.max(maxLen, t.length);
        }
        int[] cls = localClasses(g, maxLen + 1);
        int[] representative = new int[n];
        Arrays.fill(representative, -1);
        boolean[] done = new boolean[n];
        java.util.Map<String, Object[]> shared = SHARED.computeIfAbsent(vocab.tokens(), k -> java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>()));
        java.util.List<Object[]> toShare = new java.util.ArrayList<>();
        for (int r = 0; r < g.ruleCount(); r++) {
            int[] local = selfContainedRule(g, r);
            if (local == null) {
                continue;
            }
            String key = signature(g, r, local);
            Object[] hit = shared.get(key);
            if (hit != null) {
                for (int i = 0; i < local.length; i++) {
                    list[local[i]] = ((int[][]) hit[0])[i];
                    mask[local[i]] = ((long[][]) hit[1])[i];
                    ctx[local[i]] = ((int[][]) hit[2])[i];
                    done[local[i]] = true;
                }
            } else {
                toShare.add(new Object[] {key, local});
            }
        }
        for (int s = 0; s < n; s++) {
            if (!g.hasBytes[s] || done[s]) {
                continue;
            }
            int rep = representative[cls[s]];
            if (rep >= 0) { // same behaviour for every string up to the longest token: same tables
                list[s] = list[rep];
                mask[s] = mask[rep];
                ctx[s] = ctx[rep];
                continue;
            }
            representative[cls[s]] = s;
            if (System.nanoTime() > deadlineNanos) {
                throw new GrammarException("token tables exceed the compile-time budget after " + s + " of " + n + " states");
            }
            walk.accepted = 0;
            walk.contextual = 0;
            if (g.isPushdown()) {
                m.reset();
                walk.dfsFast(0, s);
            } else {
                walk.dfsDfa(0, s);
            }
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
        for (Object[] e : toShare) {
            int[] local = (int[]) e[1];
            int[][] l = new int[local.length][];
            long[][] mk = new long[local.length][];
            int[][] c = new int[local.length][];
            for (int i = 0; i < local.length; i++) {
                l[i] = list[local[i]];
                mk[i] = mask[local[i]];
                c[i] = ctx[local[i]];
            }
            if (shared.size() < 64) {
                shared.put((String) e[0], new Object[] {l, mk, c});
            }
        }
        return new TokenTables(list, mask, ctx);
    }

    /** Tables of self-contained rules (calls only themselves, like "any JSON value"), per vocabulary and rule shape. */
    private static final java.util.Map<byte[][], java.util.Map<String, Object[]>> SHARED =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The rule's states in BFS order from its start when it calls no rule but itself; null otherwise. */
    private static int[] selfContainedRule(Grammar g, int r) {
        java.util.LinkedHashMap<Integer, Integer> order = new java.util.LinkedHashMap<>();
        java.util.ArrayDeque<Integer> queue = new java.util.ArrayDeque<>();
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

    private static String signature(Grammar g, int r, int[] local) {
        java.util.HashMap<Integer, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < local.length; i++) {
            index.put(local[i], i);
        }
        StringBuilder sb = new StringBuilder();
        for (int s : local) {
            sb.append(g.accept[s] ? 'A' : 'a');
            for (int b = 0; b < 256; b++) {
                int t = g.byteNext[s * 256 + b];
                if (t >= 0) {
                    sb.append(b).append('>').append(index.get(t)).append(',');
                }
            }
            for (int c = g.callOffset[s]; c < g.callOffset[s + 1]; c++) {
                sb.append("call>").append(index.get(g.callReturn[c])).append(',');
            }
            sb.append(';');
        }
        return sb.toString();
    }

    /**
     * Partition refinement, {@code depth} rounds: states in one class behave alike on every byte string up to
     * {@code depth} long (same edges into same classes, same accept flag, same calls), so they accept the same
     * tokens. The many string-body states of a schema collapse this way.
     */
    static int[] localClasses(Grammar g, int depth) {
        int n = g.stateCount();
        int[] cls = new int[n];
        java.util.HashMap<java.util.List<Integer>, Integer> ids = new java.util.HashMap<>();
        for (int s = 0; s < n; s++) {
            java.util.List<Integer> sig = new java.util.ArrayList<>();
            sig.add(g.accept[s] ? 1 : 0);
            for (int c = g.callOffset[s]; c < g.callOffset[s + 1]; c++) {
                sig.add(g.callRule[c]);
                sig.add(-1 - g.callReturn[c]); // return states kept exact: what follows a call is beyond the token
            }
            cls[s] = ids.computeIfAbsent(sig, k -> ids.size());
        }
        for (int round = 0; round < depth; round++) {
            ids.clear();
            int[] next = new int[n];
            for (int s = 0; s < n; s++) {
                java.util.List<Integer> sig = new java.util.ArrayList<>(260);
                sig.add(cls[s]);
                int prev = Integer.MIN_VALUE;
                for (int b = 0; b < 256; b++) {
                    int t = g.byteNext[s * 256 + b];
                    int c = t < 0 ? -1 : cls[t];
                    if (c != prev || b == 0) {
                        sig.add(b);
                        sig.add(c);
                        prev = c;
                    }
                }
                next[s] = ids.computeIfAbsent(sig, k -> ids.size());
            }
            boolean stable = ids.size() == java.util.Arrays.stream(cls).distinct().count();
            cls = next;
            if (stable) {
                break;
            }
        }
        return cls;
    }

    private static final class Walk {
        final TokenTrie trie;
        final StackMachine m;
        int[] acceptedIds;
        int[] contextIds;
        int accepted;
        int contextual;

        final int[] byteNext;
        final boolean[] accept;
        final boolean[] hasBytes;
        final int[] callOffset;

        Walk(TokenTrie trie, StackMachine m, int vocabSize, Grammar g) {
            this.trie = trie;
            this.m = m;
            this.byteNext = g.byteNext;
            this.accept = g.accept;
            this.hasBytes = g.hasBytes;
            this.callOffset = g.callOffset;
            this.acceptedIds = new int[vocabSize];
            this.contextIds = new int[vocabSize];
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
