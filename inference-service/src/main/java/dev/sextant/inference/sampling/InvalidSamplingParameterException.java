package dev.sextant.inference.sampling;

/** A sampling parameter out of range; {@link #parameter()} is its wire name. */
public class InvalidSamplingParameterException extends IllegalArgumentException {

    private final String parameter;

    public InvalidSamplingParameterException(String parameter, String message) {
        super(message);
        this.parameter = parameter;
    }

    public String parameter() {
        return parameter;
    }
}
