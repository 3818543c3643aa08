package dev.sextant.structuredoutput.compiler;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import dk.brics.automaton.Automaton;

/**
 * Automata that depend only on their key (any JSON string, any number, the "any value" rule for a given rule index
 * and whitespace policy), built and minimized once per JVM instead of once per compile.
 *
 * <pre>{@code
 * Automaton any = SharedAutomata.get("number", () -> regex("-?(0|[1-9][0-9]*)"));
 * }</pre>
 */
final class SharedAutomata {

    private static final int MAX_ENTRIES = 256;
    private static final Map<Object, Automaton> BUILT = new ConcurrentHashMap<>();

    private SharedAutomata() {
    }

    /**
     * A copy of the automaton built once for {@code key} (brics automata are mutable, so each caller gets its own).
     * Built outside the map's lock, since a builder may ask for another shared automaton.
     */
    static Automaton get(Object key, Supplier<Automaton> build) {
        Automaton a = BUILT.get(key);
        if (a != null) {
            return a.clone();
        }
        a = build.get();
        if (BUILT.size() < MAX_ENTRIES) {
            BUILT.putIfAbsent(key, a.clone());
        }
        return a;
    }
}
