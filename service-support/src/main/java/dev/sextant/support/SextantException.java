package dev.sextant.support;

import java.util.Map;

/**
 * A failure that maps to one RFC 9457 problem: the code fixes status and type, {@code field} names what the
 * caller should change (a request field, a JSON pointer or a keyword), {@code detail} says how.
 */
public class SextantException extends RuntimeException {

    private final ErrorCode errorCode;
    private final String field;
    private final Map<String, Object> properties;

    public SextantException(ErrorCode errorCode, String field, String detail) {
        this(errorCode, field, detail, Map.of(), null);
    }

    public SextantException(ErrorCode errorCode, String field, String detail, Map<String, Object> properties, Throwable cause) {
        super(detail, cause);
        this.errorCode = errorCode;
        this.field = field;
        this.properties = Map.copyOf(properties);
    }

    public ErrorCode errorCode() {
        return errorCode;
    }

    /** The request field, header or keyword at fault; null when the whole request is. */
    public String field() {
        return field;
    }

    /** Extra problem members, e.g. {@code retryAfterSeconds}. */
    public Map<String, Object> properties() {
        return properties;
    }
}
