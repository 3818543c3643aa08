package dev.sextant.structuredoutput.compiler;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;

/**
 * Byte automata of JSON strings for {@link JsonSchemaCompiler}: any string, runs of a bounded number of JSON
 * characters (built directly as a DFA), and the quoting of a string body. The shared ones are built once per JVM.
 */
final class StringAutomata {

    /** One JSON string character (an escape or a UTF-8 scalar other than '"', '\\' and controls) as bytes. */
    private static final Automaton JSON_CHAR = Utf8Automata.jsonChar();

    /** States of {@link #JSON_CHAR}: the unit of the compile budget's estimate for length bounds. */
    static final int JSON_CHAR_STATES = JSON_CHAR.getNumberOfStates();

    private StringAutomata() {
    }

    /** Any JSON string, quotes included. */
    static Automaton string() {
        return SharedAutomata.get("string", () -> {
            Automaton q = Utf8Automata.bytes("\"");
            return minimal(q.concatenate(JSON_CHAR.repeat()).concatenate(q));
        });
    }

    /** min to max JSON characters (a string body without quotes). */
    static Automaton chars(int min, int max) {
        return SharedAutomata.get(List.of("chars", min, max), () -> minimal(chain(JSON_CHAR, min, max)));
    }

    /** At least min JSON characters. */
    static Automaton chars(int min) {
        return SharedAutomata.get(List.of("chars", min), () -> minimal(JSON_CHAR.repeat(min)));
    }

    /**
     * {@code "body"} for a DFA {@code body}: built directly (a new start with '"' into the body, '"' from each
     * accepting state to a new end), which stays a DFA, and minimal when the body was, as long as no accepting state
     * reads '"' itself (a JSON string body never does); otherwise concatenated and minimized.
     */
    static Automaton quoted(Automaton body) {
        Automaton b = body.clone();
        if (!b.isDeterministic() || b.getAcceptStates().stream().anyMatch(f -> f.step('"') != null)) {
            Automaton q = Utf8Automata.bytes("\"");
            return minimal(q.concatenate(body).concatenate(q));
        }
        State start = new State();
        State end = new State();
        end.setAccept(true);
        start.addTransition(new Transition('"', b.getInitialState()));
        for (State f : b.getAcceptStates()) {
            f.setAccept(false);
            f.addTransition(new Transition('"', end));
        }
        Automaton a = new Automaton();
        a.setInitialState(start);
        a.setDeterministic(true);
        a.removeDeadTransitions();
        return a;
    }

    /**
     * {@code unit{min,max}} built directly as a DFA (copy i's accepting states merged into copy i+1's start), where
     * brics' {@code repeat(min, max)} builds an NFA whose determinization dominated bounded-string compiles. Falls
     * back to {@code repeat} unless the unit is deterministic, its start has no incoming edge and its accepting
     * states no outgoing edge (true of one JSON character).
     */
    static Automaton chain(Automaton unit, int min, int max) {
        Automaton u = unit.clone();
        u.determinize();
        State init = u.getInitialState();
        boolean simple = !init.isAccept();
        for (State s : u.getStates()) {
            simple &= !(s.isAccept() && !s.getTransitions().isEmpty());
            for (Transition t : s.getTransitions()) {
                simple &= t.getDest() != init;
            }
        }
        if (!simple) {
            return unit.repeat(min, max);
        }
        State[] joints = new State[max + 1];
        for (int i = 0; i <= max; i++) {
            joints[i] = new State();
            joints[i].setAccept(i >= min);
        }
        for (int i = 0; i < max; i++) {
            Map<State, State> copy = new HashMap<>();
            copy.put(init, joints[i]);
            for (State s : u.getStates()) {
                if (s != init) {
                    copy.put(s, s.isAccept() ? joints[i + 1] : new State());
                }
            }
            for (State s : u.getStates()) {
                for (Transition t : s.getTransitions()) {
                    copy.get(s).addTransition(new Transition(t.getMin(), t.getMax(), copy.get(t.getDest())));
                }
            }
        }
        Automaton a = new Automaton();
        a.setInitialState(joints[0]);
        a.setDeterministic(true);
        return a;
    }

    private static Automaton minimal(Automaton a) {
        a.minimize();
        return a;
    }
}
