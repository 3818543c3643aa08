package dev.sextant.inference.model;

/** A model cannot be loaded: bad source, broken file, or it would not fit the memory budget (with the numbers). */
public class ModelLoadException extends RuntimeException {

    private final boolean conflict;

    public ModelLoadException(String message, boolean conflict, Throwable cause) {
        super(message, cause);
        this.conflict = conflict;
    }

    /** True when the request was valid but cannot be honoured now (budget, duplicate id). */
    public boolean conflict() {
        return conflict;
    }
}
