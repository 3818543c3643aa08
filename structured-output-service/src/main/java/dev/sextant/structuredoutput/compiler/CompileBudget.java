package dev.sextant.structuredoutput.compiler;

import java.time.Duration;

import dk.brics.automaton.Automaton;

/** Compile-time and size limits checked between automaton operations, so a hostile constraint stops early. */
public final class CompileBudget {

    private final long deadlineNanos;
    private final int maxStates;
    private final Duration time;

    public CompileBudget(Duration time, int maxStates) {
        this.time = time;
        this.deadlineNanos = System.nanoTime() + time.toNanos();
        this.maxStates = maxStates;
    }

    public long deadlineNanos() {
        return deadlineNanos;
    }

    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    public Automaton check(Automaton a) {
        checkTime();
        int states = a.getNumberOfStates();
        if (states > maxStates) {
            throw ConstraintException.budget("constraint needs more than " + maxStates + " automaton states");
        }
        return a;
    }

    /** Refuses before building an automaton whose estimated size is over the limit. */
    public void checkEstimate(long states, String what) {
        if (states > maxStates) {
            throw ConstraintException.budget(what + " would need about " + states + " automaton states (limit " + maxStates + ")");
        }
    }

    public void checkTime() {
        if (System.nanoTime() > deadlineNanos) {
            throw ConstraintException.budget("constraint exceeds the compile-time budget of " + time.toMillis() + " ms");
        }
    }
}
