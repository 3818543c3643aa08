package dev.sextant.inference.engine;

/**
 * A failure reported by the native engine (or while loading it): the status names the kind
 * ({@code FORMAT}, {@code UNSUPPORTED}, {@code IO}, ...) and the message names the file and the reason.
 */
public class EngineException extends RuntimeException {

    /** Status codes of {@code sextant.h}. */
    public enum Status { OK, IO, FORMAT, UNSUPPORTED, ARGUMENT, NO_MEMORY, CAPACITY, BACKEND, INTERNAL, LIBRARY }

    private final Status status;

    /** Called from native code. */
    EngineException(int status, String message) {
        this(status >= 0 && status < Status.values().length ? Status.values()[status] : Status.INTERNAL, message);
    }

    public EngineException(Status status, String message) {
        super(message);
        this.status = status;
    }

    public EngineException(Status status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public Status status() {
        return status;
    }
}
