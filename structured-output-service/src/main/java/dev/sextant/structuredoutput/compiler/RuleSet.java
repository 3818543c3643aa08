package dev.sextant.structuredoutput.compiler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sextant.constraint.Grammar;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;

/**
 * Rules as byte-level brics automata (bytes are chars 0..255, a call of rule r is char
 * {@link Utf8Automata#CALL_BASE} + r), turned into the runtime's {@link Grammar}: each rule is minimized
 * (so deterministic) and its states numbered globally.
 */
public final class RuleSet {

    private final List<Automaton> rules = new ArrayList<>();

    public int add(Automaton a) {
        rules.add(a);
        return rules.size() - 1;
    }

    public int reserve() {
        rules.add(null);
        return rules.size() - 1;
    }

    public void set(int rule, Automaton a) {
        rules.set(rule, a);
    }

    public int size() {
        return rules.size();
    }

    public Grammar toGrammar(int root, CompileBudget budget) {
        Grammar.Builder b = new Grammar.Builder();
        for (int r = 0; r < rules.size(); r++) {
            b.addRule();
        }
        int total = 0;
        for (int r = 0; r < rules.size(); r++) {
            Automaton a = rules.get(r).clone();
            a.minimize();
            budget.check(a);
            total += a.getNumberOfStates();
            budget.checkEstimate(total, "the grammar");
            Map<State, Integer> ids = new HashMap<>();
            List<State> order = new ArrayList<>();
            order.add(a.getInitialState());
            ids.put(a.getInitialState(), b.addState(a.getInitialState().isAccept()));
            for (int i = 0; i < order.size(); i++) {
                for (Transition t : order.get(i).getTransitions()) {
                    if (!ids.containsKey(t.getDest())) {
                        ids.put(t.getDest(), b.addState(t.getDest().isAccept()));
                        order.add(t.getDest());
                    }
                }
            }
            b.setRuleStart(r, ids.get(a.getInitialState()));
            for (State s : order) {
                int from = ids.get(s);
                for (Transition t : s.getTransitions()) {
                    int to = ids.get(t.getDest());
                    if (t.getMin() <= 0xFF) {
                        b.addByteRange(from, t.getMin(), Math.min(t.getMax(), 0xFF), to);
                    }
                    for (int c = Math.max(t.getMin(), Utf8Automata.CALL_BASE); c <= t.getMax(); c++) {
                        int callee = c - Utf8Automata.CALL_BASE;
                        if (callee >= rules.size()) {
                            throw new IllegalStateException("edge on char " + c + " is neither a byte nor a rule call");
                        }
                        b.addCall(from, callee, to);
                    }
                }
            }
        }
        return b.build(root);
    }
}
