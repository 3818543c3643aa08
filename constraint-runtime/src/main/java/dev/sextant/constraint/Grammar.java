package dev.sextant.constraint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A byte-level recursive transition network: a set of rules, each a deterministic automaton whose edges
 * either consume one byte or call another rule (push a return state, continue at the callee's start state).
 * A rule that reaches an accepting state may return to its caller; the bottom rule's accepting states are
 * where the whole constraint may end. A grammar without calls is a plain DFA.
 *
 * <pre>{@code
 * Grammar.Builder b = new Grammar.Builder();
 * int rule = b.addRule();
 * int s0 = b.addState(rule, false), s1 = b.addState(rule, true);
 * b.setRuleStart(rule, s0);
 * b.addByteRange(s0, 'a', 'z', s1);
 * Grammar g = b.build(rule);
 * }</pre>
 */
public final class Grammar {

    final int rootRule;
    final int[] ruleStart;      // (rule) global start state
    final boolean[] accept;     // (state) rule may return / root may end here
    final int[] byteNext;       // (state * 256 + byte) next state, -1 when none
    final boolean[] hasBytes;   // (state) any byte edge
    final int[] callOffset;     // (state + 1) offsets into callRule / callReturn
    final int[] callRule;       // (call) callee rule
    final int[] callReturn;     // (call) state to continue at after the callee returns

    Grammar(int rootRule, int[] ruleStart, boolean[] accept, int[] byteNext, int[] callOffset, int[] callRule, int[] callReturn) {
        this.rootRule = rootRule;
        this.ruleStart = ruleStart;
        this.accept = accept;
        this.byteNext = byteNext;
        this.callOffset = callOffset;
        this.callRule = callRule;
        this.callReturn = callReturn;
        this.hasBytes = new boolean[accept.length];
        for (int s = 0; s < accept.length; s++) {
            for (int b = 0; b < 256; b++) {
                if (byteNext[s * 256 + b] >= 0) {
                    hasBytes[s] = true;
                    break;
                }
            }
        }
    }

    public int stateCount() {
        return accept.length;
    }

    public int ruleCount() {
        return ruleStart.length;
    }

    public int rootRule() {
        return rootRule;
    }

    /** Whether any state calls another rule (the grammar needs a stack). */
    public boolean isPushdown() {
        return callRule.length > 0;
    }

    /** Incremental construction; states are global across rules. */
    public static final class Builder {
        private final List<Integer> ruleStarts = new ArrayList<>();
        private boolean[] accept = new boolean[64];
        private int[] next = new int[64 * 256];
        private final List<int[]> calls = new ArrayList<>(); // {state, rule, ret}
        private int states;

        public int addRule() {
            ruleStarts.add(-1);
            return ruleStarts.size() - 1;
        }

        public int addState(boolean accepting) {
            if (states == accept.length) {
                accept = Arrays.copyOf(accept, states * 2);
                next = Arrays.copyOf(next, states * 2 * 256);
            }
            accept[states] = accepting;
            Arrays.fill(next, states * 256, states * 256 + 256, -1);
            return states++;
        }

        public int stateCount() {
            return states;
        }

        public void setRuleStart(int rule, int state) {
            ruleStarts.set(rule, state);
        }

        public void addByteRange(int state, int lo, int hi, int target) {
            for (int b = lo; b <= hi; b++) {
                next[state * 256 + b] = target;
            }
        }

        public void addCall(int state, int rule, int returnState) {
            calls.add(new int[] {state, rule, returnState});
        }

        public Grammar build(int rootRule) {
            int[] starts = ruleStarts.stream().mapToInt(Integer::intValue).toArray();
            for (int r = 0; r < starts.length; r++) {
                if (starts[r] < 0) {
                    throw new IllegalStateException("rule " + r + " has no start state");
                }
            }
            calls.sort((a, b) -> Integer.compare(a[0], b[0]));
            int[] offset = new int[states + 1];
            int[] rule = new int[calls.size()];
            int[] ret = new int[calls.size()];
            for (int i = 0; i < calls.size(); i++) {
                offset[calls.get(i)[0] + 1]++;
                rule[i] = calls.get(i)[1];
                ret[i] = calls.get(i)[2];
            }
            for (int s = 0; s < states; s++) {
                offset[s + 1] += offset[s];
            }
            return new Grammar(rootRule, starts, Arrays.copyOf(accept, states), Arrays.copyOf(next, states * 256), offset, rule, ret);
        }
    }
}
