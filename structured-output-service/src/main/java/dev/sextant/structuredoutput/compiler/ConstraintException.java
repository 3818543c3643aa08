package dev.sextant.structuredoutput.compiler;

/**
 * Why a constraint cannot be compiled. {@link Kind#UNSUPPORTED} and {@link Kind#INVALID} are the caller's to fix
 * (400); {@link Kind#BUDGET} means the constraint is too large for the compile-time or size budget (422).
 * {@code location} is the offending keyword's JSON pointer, or the position in a regex or grammar.
 */
public class ConstraintException extends RuntimeException {

    public enum Kind { UNSUPPORTED, INVALID, BUDGET }

    private final Kind kind;
    private final String keyword;
    private final String location;

    public ConstraintException(Kind kind, String keyword, String location, String detail) {
        super(detail);
        this.kind = kind;
        this.keyword = keyword;
        this.location = location;
    }

    public static ConstraintException unsupported(String keyword, String pointer, String detail) {
        return new ConstraintException(Kind.UNSUPPORTED, keyword, pointer, detail);
    }

    public static ConstraintException invalid(String keyword, String location, String detail) {
        return new ConstraintException(Kind.INVALID, keyword, location, detail);
    }

    public static ConstraintException budget(String detail) {
        return new ConstraintException(Kind.BUDGET, null, null, detail);
    }

    public Kind kind() {
        return kind;
    }

    public String keyword() {
        return keyword;
    }

    public String location() {
        return location;
    }
}
