package dev.sextant.inference.constraint;

/**
 * The compiler refused the constraint (an unsupported keyword, a bad regex, a grammar too big): the request must
 * change. {@code param} names the request field; the message carries the compiler's reason and JSON pointer.
 */
public class ConstraintRejectedException extends RuntimeException {

    private final String param;
    private final boolean unavailable;

    public ConstraintRejectedException(String param, String message, boolean unavailable) {
        super(message);
        this.param = param;
        this.unavailable = unavailable;
    }

    public String param() {
        return param;
    }

    /** True when structured-output-service could not be reached: a 503, not the caller's fault. */
    public boolean unavailable() {
        return unavailable;
    }
}
