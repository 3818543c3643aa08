package dev.sextant.structuredoutput.compiler;

import java.math.BigInteger;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.RegExp;

/**
 * Byte automata of JSON numbers for {@link JsonSchemaCompiler}: any number, integers in a range, and numbers that
 * satisfy an integer-valued bound exactly (written without exponent, so that a bound stays a regular language).
 */
final class NumberAutomata {

    private NumberAutomata() {
    }

    /** Integers in [lo, hi] (either end open when null); the empty language when the range is empty. */
    static Automaton integer(BigInteger lo, BigInteger hi) {
        if (lo == null && hi == null) {
            return regex("\\-?(0|[1-9][0-9]*)");
        }
        String r = IntegerRanges.regex(lo, hi);
        return r == null ? BasicAutomata.makeEmpty() : regex(r);
    }

    /** Numbers written without exponent (what {@link #bound} intersects with). */
    static Automaton noExponent() {
        return regex("(0|[1-9][0-9]*)" + FRACTION + "|\\-(([1-9][0-9]*)" + FRACTION + "|0" + NONZERO_FRACTION + ")");
    }

    private static final String FRACTION = "(\\.[0-9]+)?";
    private static final String ZERO_FRACTION = "(\\.0+)?";
    private static final String NONZERO_FRACTION = "\\.[0-9]*[1-9][0-9]*";

    /** Any JSON number. */
    static Automaton number() {
        return SharedAutomata.get("number", () -> regex("\\-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+\\-]?[0-9]+)?"));
    }

    /**
     * Numbers (without exponent) that satisfy one bound keyword ({@code minimum}, {@code exclusiveMinimum},
     * {@code maximum}, {@code exclusiveMaximum}) with an integer value: the non-negative and the negative halves as
     * decimal-range regular expressions.
     */
    static Automaton bound(String k, BigInteger l) {
        BigInteger one = BigInteger.ONE;
        String nonneg;
        String neg;
        switch (k) {
            case "minimum" -> {
                nonneg = l.signum() <= 0 ? ir(BigInteger.ZERO, null) + FRACTION : ir(l, null) + FRACTION;
                neg = l.signum() >= 0 ? null : alt(ir(BigInteger.ZERO, l.negate().subtract(one)) == null ? null : ir(BigInteger.ZERO, l.negate().subtract(one)) + FRACTION, ir(l.negate(), l.negate()) + ZERO_FRACTION);
            }
            case "exclusiveMinimum" -> {
                nonneg = l.signum() < 0 ? ir(BigInteger.ZERO, null) + FRACTION : alt(ir(l.add(one), null) + FRACTION, ir(l, l) + NONZERO_FRACTION);
                neg = l.signum() >= 0 ? null : ir(BigInteger.ZERO, l.negate().subtract(one)) + FRACTION;
            }
            case "maximum" -> {
                nonneg = l.signum() < 0 ? null : alt(l.signum() == 0 ? null : ir(BigInteger.ZERO, l.subtract(one)) + FRACTION, ir(l, l) + ZERO_FRACTION);
                neg = l.signum() >= 0 ? ir(BigInteger.ZERO, null) + FRACTION : ir(l.negate(), null) + FRACTION;
            }
            default -> { // exclusiveMaximum
                nonneg = l.signum() <= 0 ? null : ir(BigInteger.ZERO, l.subtract(one)) + FRACTION;
                neg = l.signum() >= 0 ? ir(BigInteger.ZERO, null) + FRACTION : alt(ir(l.negate().add(one), null) + FRACTION, ir(l.negate(), l.negate()) + NONZERO_FRACTION);
            }
        }
        Automaton a = BasicAutomata.makeEmpty();
        if (nonneg != null) {
            a = a.union(regex(nonneg));
        }
        if (neg != null) {
            a = a.union(regex("\\-(" + neg + ")"));
        }
        return a;
    }

    private static String ir(BigInteger lo, BigInteger hi) {
        if (hi != null && hi.compareTo(lo) < 0) {
            return null;
        }
        return "(" + IntegerRanges.regex(lo, hi) + ")";
    }

    private static String alt(String a, String b) {
        if (a == null || a.startsWith("null")) {
            return b;
        }
        if (b == null || b.startsWith("null")) {
            return a;
        }
        return "(" + a + ")|(" + b + ")";
    }

    private static Automaton regex(String r) {
        return Utf8Automata.toBytes(new RegExp(r, RegExp.NONE).toAutomaton(), false);
    }
}
