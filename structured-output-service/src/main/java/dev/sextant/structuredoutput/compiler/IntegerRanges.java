package dev.sextant.structuredoutput.compiler;

import java.math.BigInteger;

/**
 * Decimal integer ranges as regular expressions in brics syntax, exact: {@code [lo, hi]} with either end open
 * (null). Canonical JSON integers only: no leading zeros, no "-0", no plus sign.
 */
final class IntegerRanges {

    private IntegerRanges() {
    }

    static String regex(BigInteger lo, BigInteger hi) {
        if (lo != null && hi != null && lo.compareTo(hi) > 0) {
            return null;
        }
        StringBuilder alt = new StringBuilder();
        // non-negative part [max(lo,0), hi]
        if (hi == null || hi.signum() >= 0) {
            BigInteger a = lo == null || lo.signum() < 0 ? BigInteger.ZERO : lo;
            add(alt, nonNegative(a, hi));
        }
        // negative part: -m for m in [max(1, -hi), -lo]
        if (lo == null || lo.signum() < 0) {
            BigInteger a = hi == null || hi.signum() >= 0 ? BigInteger.ONE : hi.negate();
            BigInteger b = lo == null ? null : lo.negate();
            add(alt, "\\-(" + nonNegative(a, b) + ")");
        }
        return alt.toString();
    }

    private static void add(StringBuilder alt, String part) {
        if (alt.length() > 0) {
            alt.append('|');
        }
        alt.append('(').append(part).append(')');
    }

    /** [a, b] with 0 <= a, b may be null for unbounded. */
    private static String nonNegative(BigInteger a, BigInteger b) {
        String as = a.toString();
        StringBuilder alt = new StringBuilder();
        int maxLen = b == null ? as.length() : b.toString().length();
        for (int len = as.length(); len <= maxLen; len++) {
            BigInteger smallest = len == 1 ? BigInteger.ZERO : BigInteger.TEN.pow(len - 1);
            BigInteger largest = BigInteger.TEN.pow(len).subtract(BigInteger.ONE);
            BigInteger x = a.max(smallest);
            BigInteger y = b == null ? largest : b.min(largest);
            if (x.compareTo(y) <= 0) {
                add(alt, sameLength(x.toString(), y.toString()));
            }
        }
        if (b == null) {
            add(alt, "[1-9][0-9]{" + as.length() + ",}");
        }
        return alt.length() == 0 ? "#" : alt.toString();
    }

    private static String sameLength(String lo, String hi) {
        int n = lo.length();
        if (n == 1) {
            return "[" + lo + "-" + hi + "]";
        }
        if (lo.charAt(0) == hi.charAt(0)) {
            return lo.charAt(0) + "(" + sameLength(lo.substring(1), hi.substring(1)) + ")";
        }
        StringBuilder alt = new StringBuilder();
        add(alt, lo.charAt(0) + "(" + sameLength(lo.substring(1), "9".repeat(n - 1)) + ")");
        if (hi.charAt(0) - lo.charAt(0) > 1) {
            add(alt, "[" + (char) (lo.charAt(0) + 1) + "-" + (char) (hi.charAt(0) - 1) + "][0-9]{" + (n - 1) + "}");
        }
        add(alt, hi.charAt(0) + "(" + sameLength("0".repeat(n - 1), hi.substring(1)) + ")");
        return alt.toString();
    }
}
