package dev.sextant.structuredoutput.compiler;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.RegExp;

/**
 * ECMA-262 regular expressions (the dialect of JSON Schema's {@code pattern}) translated to dk.brics syntax:
 * {@code \d \w \s} and their negations, {@code \\uXXXX}, {@code \\xHH}, non-capturing and named groups, lazy
 * quantifiers (same language), {@code .} without line terminators, anchors at the ends. Lookaround,
 * backreferences, word boundaries and Unicode property classes are refused with their position.
 */
public final class EcmaRegex {

    private static final String SPACE_CHARS = " \t\n\r\f\u000B\u00A0\u1680\u2028\u2029\u202F\u205F\u3000\uFEFF";
    /** The ECMA white-space class in brics syntax: every char escaped, plus the range U+2000..U+200A. */
    private static final String SPACE = escapeAll(SPACE_CHARS) + "\\\u2000-\\\u200A";

    private EcmaRegex() {
    }

    /** A compiled pattern: char automaton plus whether it was anchored at each end. */
    public record Compiled(Automaton automaton, boolean anchoredStart, boolean anchoredEnd) {

        /** The language of strings containing a match (JSON Schema semantics: unanchored search). */
        public Automaton search() {
            Automaton a = automaton;
            if (!anchoredStart) {
                a = Automaton.makeAnyString().concatenate(a);
            }
            if (!anchoredEnd) {
                a = a.concatenate(Automaton.makeAnyString());
            }
            return a;
        }
    }

    /** Parses {@code pattern}; {@code keyword} names it in errors ("pattern" or "regex"). */
    public static Compiled compile(String pattern, String keyword, String pointer) {
        String translated;
        boolean start = false;
        boolean end = false;
        String body = pattern;
        if (body.startsWith("^")) {
            start = true;
            body = body.substring(1);
        }
        if (body.endsWith("$") && !body.endsWith("\\$")) {
            end = true;
            body = body.substring(0, body.length() - 1);
        }
        translated = translate(body, start ? 1 : 0, keyword, pointer);
        try {
            Automaton a = new RegExp(translated, RegExp.NONE).toAutomaton();
            return new Compiled(a, start, end);
        } catch (IllegalArgumentException e) {
            throw ConstraintException.invalid(keyword, pointer, "invalid regular expression '" + pattern + "': " + e.getMessage());
        }
    }

    private static String translate(String p, int offset, String keyword, String pointer) {
        StringBuilder out = new StringBuilder();
        boolean inClass = false;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            int pos = i + offset;
            if (c == '\\') {
                if (i + 1 >= p.length()) {
                    throw ConstraintException.invalid(keyword, pointer, "regular expression ends with a lone backslash at position " + pos);
                }
                char e = p.charAt(++i);
                switch (e) {
                    case 'd' -> out.append(inClass ? "0-9" : "[0-9]");
                    case 'w' -> out.append(inClass ? "a-zA-Z0-9_" : "[a-zA-Z0-9_]");
                    case 's' -> out.append(inClass ? SPACE : "[" + SPACE + "]");
                    case 'D', 'W', 'S' -> {
                        if (inClass) {
                            throw ConstraintException.unsupported(keyword, pointer, "\\" + e + " inside a character class at position " + pos + " is not supported");
                        }
                        out.append(switch (e) {
                            case 'D' -> "[^0-9]";
                            case 'W' -> "[^a-zA-Z0-9_]";
                            default -> "[^" + SPACE + "]";
                        });
                    }
                    case 'n' -> out.append("\\\n");
                    case 't' -> out.append("\\\t");
                    case 'r' -> out.append("\\\r");
                    case 'f' -> out.append("\\\f");
                    case 'v' -> out.append("\\\u000B");
                    case '0' -> out.append("\\\u0000");
                    case 'u', 'x' -> {
                        int len = e == 'u' ? 4 : 2;
                        String hex = p.substring(i + 1, Math.min(p.length(), i + 1 + len));
                        if (hex.length() != len || !hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                            throw ConstraintException.unsupported(keyword, pointer, "escape \\" + e + hex + " at position " + pos + " is not supported");
                        }
                        out.append('\\').append((char) Integer.parseInt(hex, 16));
                        i += len;
                    }
                    case 'b', 'B' -> {
                        if (inClass && e == 'b') {
                            out.append("\\\b");
                        } else {
                            throw ConstraintException.unsupported(keyword, pointer, "word boundary \\" + e + " at position " + pos + " is not supported");
                        }
                    }
                    case 'p', 'P', 'k', 'c' -> throw ConstraintException.unsupported(keyword, pointer, "escape \\" + e + " at position " + pos + " is not supported");
                    default -> {
                        if (Character.isDigit(e)) {
                            throw ConstraintException.unsupported(keyword, pointer, "backreference \\" + e + " at position " + pos + " is not supported");
                        }
                        out.append('\\').append(e);
                    }
                }
                continue;
            }
            if (inClass) {
                if (c == ']') {
                    inClass = false;
                    out.append(c);
                } else if (c == '-' || (c == '^' && p.charAt(i - 1) == '[')) {
                    out.append(c);
                } else {
                    appendLiteral(out, c);
                }
                continue;
            }
            switch (c) {
                case '[' -> {
                    inClass = true;
                    out.append(c);
                    if (i + 1 < p.length() && p.charAt(i + 1) == ']') {
                        throw ConstraintException.unsupported(keyword, pointer, "empty character class at position " + pos + " is not supported");
                    }
                }
                case '(' -> {
                    out.append('(');
                    if (i + 1 < p.length() && p.charAt(i + 1) == '?') {
                        if (i + 2 < p.length() && p.charAt(i + 2) == ':') {
                            i += 2;
                        } else if (i + 2 < p.length() && p.charAt(i + 2) == '<' && i + 3 < p.length() && p.charAt(i + 3) != '=' && p.charAt(i + 3) != '!') {
                            int close = p.indexOf('>', i);
                            if (close < 0) {
                                throw ConstraintException.invalid(keyword, pointer, "unterminated group name at position " + pos);
                            }
                            i = close;
                        } else {
                            throw ConstraintException.unsupported(keyword, pointer, "lookaround or inline flags at position " + pos + " are not supported");
                        }
                    }
                }
                case ')', '|' -> out.append(c);
                case '*', '+', '?' -> {
                    out.append(c);
                    if (i + 1 < p.length() && p.charAt(i + 1) == '?') {
                        i++; // lazy: same language
                    }
                }
                case '{' -> {
                    int close = p.indexOf('}', i);
                    if (close > 0 && p.substring(i + 1, close).matches("\\d+(,\\d*)?")) {
                        out.append(p, i, close + 1);
                        i = close;
                        if (i + 1 < p.length() && p.charAt(i + 1) == '?') {
                            i++;
                        }
                    } else {
                        appendLiteral(out, c);
                    }
                }
                case '.' -> out.append("[^\\\n\\\r\\\u2028\\\u2029]");
                case '^', '$' -> throw ConstraintException.unsupported(keyword, pointer, "anchor '" + c + "' inside the pattern at position " + pos + " is not supported");
                default -> appendLiteral(out, c);
            }
        }
        if (inClass) {
            throw ConstraintException.invalid(keyword, pointer, "unterminated character class");
        }
        return out.toString();
    }

    private static void appendLiteral(StringBuilder out, char c) {
        if (Character.isLetterOrDigit(c)) {
            out.append(c);
        } else {
            out.append('\\').append(c);
        }
    }

    private static String escapeAll(String chars) {
        StringBuilder sb = new StringBuilder();
        for (char c : chars.toCharArray()) {
            sb.append('\\').append(c);
        }
        return sb.toString();
    }

    static boolean isSpace(char c) {
        return SPACE_CHARS.indexOf(c) >= 0 || (c >= '\u2000' && c <= '\u200A');
    }
}
