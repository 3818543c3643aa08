package dev.sextant.structuredoutput.compiler;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;

/**
 * llama.cpp's GBNF: {@code name ::= alternatives}, string literals, character classes ({@code [^a-z]}),
 * {@code .}, groups, {@code * + ? {m} {m,} {m,n}}, comments. The start rule is {@code root}. Rules that can
 * reach themselves become pushdown rules; all others are inlined into their callers' automata.
 */
final class GbnfParser {

    private sealed interface Node permits Lit, Cls, Ref, Seq, Alt, Rep {
    }

    private record Lit(String text) implements Node {
    }

    private record Cls(List<int[]> ranges) implements Node {
    }

    private record Ref(String name, int pos) implements Node {
    }

    private record Seq(List<Node> items) implements Node {
    }

    private record Alt(List<Node> options) implements Node {
    }

    private record Rep(Node node, int min, int max) implements Node {
    }

    private final String src;
    private final CompileBudget budget;
    private int pos;
    private final Map<String, Node> defs = new LinkedHashMap<>();
    private final Map<String, Integer> ruleIndex = new HashMap<>();
    private final Map<String, Automaton> inlined = new HashMap<>();
    private final Set<String> recursive = new HashSet<>();
    private final Set<String> building = new HashSet<>();

    GbnfParser(String src, CompileBudget budget) {
        this.src = src;
        this.budget = budget;
    }

    RuleSet parse() {
        skipSpace(true);
        while (pos < src.length()) {
            int at = pos;
            String name = name();
            if (name.isEmpty()) {
                throw error("expected a rule name", at);
            }
            skipSpace(false);
            if (!src.startsWith("::=", pos)) {
                throw error("expected '::=' after rule name '" + name + "'", pos);
            }
            pos += 3;
            if (defs.containsKey(name)) {
                throw error("rule '" + name + "' is defined twice", at);
            }
            defs.put(name, alternatives(false));
            skipSpace(true);
        }
        if (!defs.containsKey("root")) {
            throw ConstraintException.invalid("grammar", "grammar", "the grammar has no 'root' rule");
        }
        for (String r : defs.keySet()) {
            if (reaches(defs.get(r), r, new HashSet<>())) {
                recursive.add(r);
            }
        }
        RuleSet rules = new RuleSet();
        rules.reserve(); // root
        ruleIndex.put("root", 0);
        for (String r : recursive) {
            if (!r.equals("root")) {
                ruleIndex.put(r, rules.reserve());
            }
        }
        rules.set(0, build(defs.get("root")));
        for (String r : recursive) {
            if (!r.equals("root")) {
                rules.set(ruleIndex.get(r), build(defs.get(r)));
            }
        }
        return rules;
    }

    private boolean reaches(Node n, String target, Set<String> seen) {
        return switch (n) {
            case Lit l -> false;
            case Cls c -> false;
            case Ref r -> {
                Node def = defs.get(r.name());
                if (def == null) {
                    throw error("undefined rule '" + r.name() + "'", r.pos());
                }
                if (r.name().equals(target)) {
                    yield true;
                }
                yield seen.add(r.name()) && reaches(def, target, seen);
            }
            case Seq s -> s.items().stream().anyMatch(x -> reaches(x, target, seen));
            case Alt a -> a.options().stream().anyMatch(x -> reaches(x, target, seen));
            case Rep r -> reaches(r.node(), target, seen);
        };
    }

    private Automaton build(Node n) {
        budget.checkTime();
        Automaton a = switch (n) {
            case Lit l -> Utf8Automata.bytes(l.text().getBytes(StandardCharsets.UTF_8));
            case Cls c -> Utf8Automata.codePoints(c.ranges());
            case Ref r -> {
                if (ruleIndex.containsKey(r.name())) {
                    yield Utf8Automata.call(ruleIndex.get(r.name()));
                }
                Automaton cached = inlined.get(r.name());
                if (cached == null) {
                    if (!building.add(r.name())) {
                        throw new IllegalStateException("cycle through non-recursive rule " + r.name());
                    }
                    cached = build(defs.get(r.name()));
                    building.remove(r.name());
                    inlined.put(r.name(), cached);
                }
                yield cached;
            }
            case Seq s -> {
                Automaton acc = BasicAutomata.makeEmptyString();
                for (Node x : s.items()) {
                    acc = acc.concatenate(build(x));
                }
                yield acc;
            }
            case Alt alt -> BasicOperations.union(alt.options().stream().map(this::build).toList());
            case Rep r -> {
                Automaton inner = build(r.node());
                budget.checkEstimate((long) inner.getNumberOfStates() * Math.max(r.min(), r.max()), "repetition {" + r.min() + "," + r.max() + "}");
                yield r.max() < 0 ? inner.repeat(r.min()) : inner.repeat(r.min(), r.max());
            }
        };
        a.minimize();
        return budget.check(a);
    }

    // ---- parsing

    private Node alternatives(boolean nested) {
        List<Node> options = new ArrayList<>();
        options.add(sequence(nested));
        while (pos < src.length() && src.charAt(pos) == '|') {
            pos++;
            options.add(sequence(nested));
        }
        return options.size() == 1 ? options.get(0) : new Alt(options);
    }

    private Node sequence(boolean nested) {
        List<Node> items = new ArrayList<>();
        while (true) {
            skipSpace(nested);
            if (pos >= src.length()) {
                break;
            }
            char c = src.charAt(pos);
            if (c == '|' || c == ')') {
                break;
            }
            if (c == '\n' || c == '\r') {
                // a newline ends the rule unless the next line continues it (starts with | or is not "name ::=")
                int save = pos;
                skipSpace(true);
                if (pos >= src.length() || startsDefinition()) {
                    pos = save;
                    break;
                }
                continue;
            }
            Node atom;
            int at = pos;
            if (c == '"') {
                atom = literal();
            } else if (c == '[') {
                atom = charClass();
            } else if (c == '.') {
                pos++;
                atom = new Cls(List.of(new int[] {0, 0x10FFFF}));
            } else if (c == '(') {
                pos++;
                atom = alternatives(true);
                skipSpace(true);
                if (pos >= src.length() || src.charAt(pos) != ')') {
                    throw error("expected ')'", pos);
                }
                pos++;
            } else if (isNameChar(c)) {
                String name = name();
                atom = new Ref(name, at);
            } else {
                throw error("unexpected character '" + c + "'", pos);
            }
            atom = repetition(atom);
            items.add(atom);
        }
        if (items.size() == 1) {
            return items.get(0);
        }
        return new Seq(items);
    }

    private boolean startsDefinition() {
        int save = pos;
        String name = name();
        skipSpace(false);
        boolean def = !name.isEmpty() && src.startsWith("::=", pos);
        pos = save;
        return def;
    }

    private Node repetition(Node atom) {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '*') {
                atom = new Rep(atom, 0, -1);
            } else if (c == '+') {
                atom = new Rep(atom, 1, -1);
            } else if (c == '?') {
                atom = new Rep(atom, 0, 1);
            } else if (c == '{') {
                int close = src.indexOf('}', pos);
                String body = close < 0 ? "" : src.substring(pos + 1, close).replace(" ", "");
                if (!body.matches("\\d+(,\\d*)?")) {
                    throw error("malformed repetition", pos);
                }
                String[] parts = body.split(",", -1);
                int min = Integer.parseInt(parts[0]);
                int max = parts.length == 1 ? min : parts[1].isEmpty() ? -1 : Integer.parseInt(parts[1]);
                if (max >= 0 && max < min) {
                    throw error("repetition maximum below minimum", pos);
                }
                atom = new Rep(atom, min, max);
                pos = close;
            } else {
                break;
            }
            pos++;
        }
        return atom;
    }

    private Node literal() {
        int start = pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length()) {
                throw error("unterminated string literal", start);
            }
            char c = src.charAt(pos);
            if (c == '"') {
                pos++;
                break;
            }
            sb.appendCodePoint(c == '\\' ? escape() : src.codePointAt(pos));
            if (c != '\\') {
                pos += Character.charCount(src.codePointAt(pos));
            }
        }
        return new Lit(sb.toString());
    }

    private Node charClass() {
        int start = pos++;
        boolean negated = pos < src.length() && src.charAt(pos) == '^';
        if (negated) {
            pos++;
        }
        List<int[]> ranges = new ArrayList<>();
        while (true) {
            if (pos >= src.length()) {
                throw error("unterminated character class", start);
            }
            if (src.charAt(pos) == ']') {
                pos++;
                break;
            }
            int lo = classChar();
            int hi = lo;
            if (pos + 1 < src.length() && src.charAt(pos) == '-' && src.charAt(pos + 1) != ']') {
                pos++;
                hi = classChar();
            }
            if (hi < lo) {
                throw error("inverted range in character class", pos);
            }
            ranges.add(new int[] {lo, hi});
        }
        if (!negated) {
            return new Cls(ranges);
        }
        ranges.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<int[]> complement = new ArrayList<>();
        int next = 0;
        for (int[] r : ranges) {
            if (r[0] > next) {
                complement.add(new int[] {next, r[0] - 1});
            }
            next = Math.max(next, r[1] + 1);
        }
        if (next <= 0x10FFFF) {
            complement.add(new int[] {next, 0x10FFFF});
        }
        return new Cls(complement);
    }

    private int classChar() {
        char c = src.charAt(pos);
        if (c == '\\') {
            return escape();
        }
        int cp = src.codePointAt(pos);
        pos += Character.charCount(cp);
        return cp;
    }

    private int escape() {
        int at = pos;
        pos++; // backslash
        if (pos >= src.length()) {
            throw error("dangling escape", at);
        }
        char e = src.charAt(pos++);
        return switch (e) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            case 'x' -> hex(2, at);
            case 'u' -> hex(4, at);
            case 'U' -> hex(8, at);
            case '\\', '"', '[', ']', '-', '^', '/', '.' -> e;
            default -> throw error("unknown escape '\\" + e + "'", at);
        };
    }

    private int hex(int n, int at) {
        if (pos + n > src.length()) {
            throw error("truncated escape", at);
        }
        try {
            int v = Integer.parseInt(src.substring(pos, pos + n), 16);
            pos += n;
            return v;
        } catch (NumberFormatException ex) {
            throw error("malformed escape", at);
        }
    }

    private String name() {
        int start = pos;
        while (pos < src.length() && isNameChar(src.charAt(pos))) {
            pos++;
        }
        return src.substring(start, pos);
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private void skipSpace(boolean newlines) {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '#') {
                while (pos < src.length() && src.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (c == ' ' || c == '\t' || (newlines && (c == '\n' || c == '\r'))) {
                pos++;
            } else {
                break;
            }
        }
    }

    private ConstraintException error(String what, int at) {
        int line = 1;
        int col = 1;
        for (int i = 0; i < at && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return ConstraintException.invalid("grammar", "grammar:" + line + ":" + col, what + " at line " + line + ", column " + col);
    }
}
