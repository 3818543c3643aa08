package dev.sextant.constraint;

/** A grammar that cannot be matched (left recursion, a budget exceeded). */
public class GrammarException extends RuntimeException {
    public GrammarException(String message) {
        super(message);
    }
}
