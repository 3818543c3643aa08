package dev.sextant.structuredoutput.compiler;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.State;
import dk.brics.automaton.Transition;

/**
 * Byte-level automata: brics automata whose alphabet is chars 0..255 (one per byte), plus chars from
 * {@link #CALL_BASE} for rule calls. Converts code-point automata to their UTF-8 encoding, optionally as the
 * body of a JSON string (quote, backslash and control characters escaped).
 */
public final class Utf8Automata {

    /** Char {@code CALL_BASE + r} on an edge means "call rule r". */
    public static final char CALL_BASE = 0x100;

    private Utf8Automata() {
    }

    public static Automaton bytes(String text) {
        return bytes(text.getBytes(StandardCharsets.UTF_8));
    }

    public static Automaton bytes(byte[] data) {
        StringBuilder sb = new StringBuilder(data.length);
        for (byte b : data) {
            sb.append((char) (b & 0xFF));
        }
        return BasicAutomata.makeString(sb.toString());
    }

    public static Automaton byteRange(int lo, int hi) {
        return BasicAutomata.makeCharRange((char) lo, (char) hi);
    }

    public static Automaton call(int rule) {
        return BasicAutomata.makeChar((char) (CALL_BASE + rule));
    }

    /** One code point of a JSON string body, in canonical form (escapes only where JSON requires them). */
    public static Automaton jsonChar() {
        Automaton chars = BasicAutomata.makeCharRange((char) 0, (char) 0xD7FF).union(BasicAutomata.makeCharRange((char) 0xE000, (char) 0xFFFF));
        Automaton a = toBytes(chars, true);
        State start = new State();
        State end = new State();
        end.setAccept(true);
        addCodePoints(start, end, 0x10000, 0x10FFFF);
        Automaton supplementary = new Automaton();
        supplementary.setInitialState(start);
        supplementary.setDeterministic(false);
        supplementary.restoreInvariant();
        Automaton result = a.union(supplementary);
        result.minimize();
        return result;
    }

    /** UTF-8 encodings of the code points in the given inclusive ranges (surrogates excluded). */
    public static Automaton codePoints(java.util.List<int[]> ranges) {
        State start = new State();
        State end = new State();
        end.setAccept(true);
        for (int[] r : ranges) {
            int[][] segments = {{0, 0xD7FF}, {0xE000, 0x10FFFF}};
            for (int[] seg : segments) {
                int a = Math.max(r[0], seg[0]);
                int b = Math.min(r[1], seg[1]);
                if (a <= b) {
                    addCodePoints(start, end, a, b);
                }
            }
        }
        Automaton a = new Automaton();
        a.setInitialState(start);
        a.setDeterministic(false);
        a.restoreInvariant();
        a.minimize();
        return a;
    }

    /** The UTF-8 (and with {@code json}, JSON-string-escaped) encoding of a UTF-16 char automaton. */
    public static Automaton toBytes(Automaton chars, boolean json) {
        Map<State, State> map = new HashMap<>();
        for (State s : chars.getStates()) {
            State n = new State();
            n.setAccept(s.isAccept());
            map.put(s, n);
        }
        for (State s : chars.getStates()) {
            for (Transition t : s.getTransitions()) {
                addChars(map.get(s), map.get(t.getDest()), t.getMin(), t.getMax(), json);
            }
        }
        Automaton a = new Automaton();
        a.setInitialState(map.get(chars.getInitialState()));
        a.setDeterministic(false);
        a.restoreInvariant();
        a.minimize();
        return a;
    }

    private static void addChars(State from, State to, int lo, int hi, boolean json) {
        if (json) {
            for (int c = lo; c <= Math.min(hi, 0x1F); c++) {
                addEscape(from, to, c);
            }
            lo = Math.max(lo, 0x20);
            if (lo > hi) {
                return;
            }
            if (lo <= '"' && '"' <= hi) {
                addString(from, to, "\\\"");
                addPlain(from, to, lo, '"' - 1);
                lo = '"' + 1;
            }
            if (lo <= '\\' && '\\' <= hi) {
                addString(from, to, "\\\\");
                addPlain(from, to, lo, '\\' - 1);
                lo = '\\' + 1;
            }
        }
        addPlain(from, to, lo, hi);
    }

    private static void addPlain(State from, State to, int lo, int hi) {
        if (lo > hi) {
            return;
        }
        int[][] segments = {{0, 0xD7FF}, {0xE000, 0xFFFF}};
        for (int[] seg : segments) {
            int a = Math.max(lo, seg[0]);
            int b = Math.min(hi, seg[1]);
            if (a <= b) {
                addCodePoints(from, to, a, b);
            }
        }
        if (Math.max(lo, 0xD800) <= Math.min(hi, 0xDBFF)) {
            // a high surrogate: the first three bytes of any supplementary code point, the low surrogate the
            // last byte. Exact for patterns that allow any supplementary character, wider for ones that pick some.
            linkPrefix(from, to);
        }
        if (Math.max(lo, 0xDC00) <= Math.min(hi, 0xDFFF)) {
            from.addTransition(new Transition((char) 0x80, (char) 0xBF, to));
        }
    }

    private static void linkPrefix(State from, State to) {
        // F0 90-BF 80-BF | F1-F3 80-BF 80-BF | F4 80-8F 80-BF
        State a = new State();
        State b = new State();
        State c = new State();
        from.addTransition(new Transition((char) 0xF0, (char) 0xF0, a));
        a.addTransition(new Transition((char) 0x90, (char) 0xBF, c));
        from.addTransition(new Transition((char) 0xF1, (char) 0xF3, b));
        b.addTransition(new Transition((char) 0x80, (char) 0xBF, c));
        State d = new State();
        from.addTransition(new Transition((char) 0xF4, (char) 0xF4, d));
        d.addTransition(new Transition((char) 0x80, (char) 0x8F, c));
        c.addTransition(new Transition((char) 0x80, (char) 0xBF, to));
    }

    private static void addEscape(State from, State to, int c) {
        switch (c) {
            case '\b' -> addString(from, to, "\\b");
            case '\t' -> addString(from, to, "\\t");
            case '\n' -> addString(from, to, "\\n");
            case '\f' -> addString(from, to, "\\f");
            case '\r' -> addString(from, to, "\\r");
            default -> { }
        }
        String hex = String.format("%04x", c);
        State s = from;
        for (int i = 0; i < 2; i++) {
            State n = new State();
            s.addTransition(new Transition(i == 0 ? '\\' : 'u', n));
            s = n;
        }
        for (int i = 0; i < 4; i++) {
            State n = i == 3 ? to : new State();
            char h = hex.charAt(i);
            s.addTransition(new Transition(h, n));
            if (Character.isLetter(h)) {
                s.addTransition(new Transition(Character.toUpperCase(h), n));
            }
            s = n;
        }
    }

    private static void addString(State from, State to, String ascii) {
        State s = from;
        for (int i = 0; i < ascii.length(); i++) {
            State n = i == ascii.length() - 1 ? to : new State();
            s.addTransition(new Transition(ascii.charAt(i), n));
            s = n;
        }
    }

    /** Adds paths for the UTF-8 encodings of code points lo..hi (no surrogates). */
    static void addCodePoints(State from, State to, int lo, int hi) {
        int[] bounds = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
        int a = lo;
        for (int bound : bounds) {
            if (a > hi) {
                break;
            }
            if (a <= bound) {
                int b = Math.min(hi, bound);
                addSequence(from, to, encode(a), encode(b), 0);
                a = b + 1;
            }
        }
    }

    private static int[] encode(int cp) {
        byte[] bytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        int[] r = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            r[i] = bytes[i] & 0xFF;
        }
        return r;
    }

    private static void addSequence(State from, State to, int[] lo, int[] hi, int i) {
        int n = lo.length;
        if (i == n - 1) {
            from.addTransition(new Transition((char) lo[i], (char) hi[i], to));
            return;
        }
        if (lo[i] == hi[i]) {
            State mid = new State();
            from.addTransition(new Transition((char) lo[i], (char) lo[i], mid));
            addSequence(mid, to, lo, hi, i + 1);
            return;
        }
        if (all(lo, i + 1, 0x80) && all(hi, i + 1, 0xBF)) {
            State mid = new State();
            from.addTransition(new Transition((char) lo[i], (char) hi[i], mid));
            continuations(mid, to, n - i - 1);
            return;
        }
        int[] loMax = lo.clone();
        for (int j = i + 1; j < n; j++) {
            loMax[j] = 0xBF;
        }
        addSequence(from, to, lo, loMax, i);
        if (hi[i] - lo[i] > 1) {
            State mid = new State();
            from.addTransition(new Transition((char) (lo[i] + 1), (char) (hi[i] - 1), mid));
            continuations(mid, to, n - i - 1);
        }
        int[] hiMin = hi.clone();
        for (int j = i + 1; j < n; j++) {
            hiMin[j] = 0x80;
        }
        addSequence(from, to, hiMin, hi, i);
    }

    private static boolean all(int[] v, int from, int value) {
        for (int j = from; j < v.length; j++) {
            if (v[j] != value) {
                return false;
            }
        }
        return true;
    }

    private static void continuations(State from, State to, int k) {
        State s = from;
        for (int j = 0; j < k; j++) {
            State n = j == k - 1 ? to : new State();
            s.addTransition(new Transition((char) 0x80, (char) 0xBF, n));
            s = n;
        }
    }
}
