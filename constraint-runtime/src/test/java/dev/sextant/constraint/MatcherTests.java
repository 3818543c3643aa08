package dev.sextant.constraint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

class MatcherTests {

    private static Vocabulary vocab(String... tokens) {
        byte[][] bytes = new byte[tokens.length + 1][];
        for (int i = 0; i < tokens.length; i++) {
            bytes[i] = tokens[i].getBytes(StandardCharsets.UTF_8);
        }
        bytes[tokens.length] = new byte[0];
        return new Vocabulary(bytes, new int[] {tokens.length});
    }

    /** The literal string as a one-rule DFA. */
    private static Grammar literal(String text) {
        Grammar.Builder b = new Grammar.Builder();
        int rule = b.addRule();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int state = b.addState(bytes.length == 0);
        b.setRuleStart(rule, state);
        for (int i = 0; i < bytes.length; i++) {
            int next = b.addState(i == bytes.length - 1);
            b.addByteRange(state, bytes[i] & 0xFF, bytes[i] & 0xFF, next);
            state = next;
        }
        return b.build(rule);
    }

    /** S := ( '(' S ')' )* as a recursive rule. */
    private static Grammar balanced() {
        Grammar.Builder b = new Grammar.Builder();
        int rule = b.addRule();
        int s0 = b.addState(true);
        int s1 = b.addState(false);
        int s2 = b.addState(false);
        b.setRuleStart(rule, s0);
        b.addByteRange(s0, '(', '(', s1);
        b.addCall(s1, rule, s2);
        b.addByteRange(s2, ')', ')', s0);
        return b.build(rule);
    }

    private static List<Integer> allowed(Matcher m, int vocabSize) {
        long[] mask = new long[(vocabSize + 63) >>> 6];
        m.fillNextMask(mask);
        List<Integer> ids = new ArrayList<>();
        for (int t = 0; t < vocabSize; t++) {
            if ((mask[t >>> 6] & (1L << t)) != 0) {
                ids.add(t);
            }
        }
        return ids;
    }

    @Test
    void allowsOnlyTokensThatContinueALiteralAndEosAtItsEnd() {
        Vocabulary v = vocab("a", "b", "ab", "c", "abc", "x");
        Matcher m = ConstraintArtifact.compile(literal("abc"), v, Duration.ofSeconds(5)).newMatcher();
        assertThat(allowed(m, v.size())).containsExactly(0, 2, 4);
        assertThat(m.accept(2)).isTrue();
        assertThat(allowed(m, v.size())).containsExactly(3);
        assertThat(m.isAccepting()).isFalse();
        assertThat(m.accept(5)).isFalse();
        assertThat(m.accept(3)).isTrue();
        assertThat(m.isAccepting()).isTrue();
        assertThat(allowed(m, v.size())).containsExactly(6);
        assertThat(m.accept(6)).isTrue();
        assertThat(m.isTerminated()).isTrue();
    }

    @Test
    void tracksNestingWithTheStackAndRollsBack() {
        Vocabulary v = vocab("(", ")", "()", "))", "(()", ")(");
        Matcher m = ConstraintArtifact.compile(balanced(), v, Duration.ofSeconds(5)).newMatcher();
        assertThat(allowed(m, v.size())).containsExactly(0, 2, 4, 6);
        assertThat(m.accept(4)).isTrue(); // "(()" depth 1
        assertThat(allowed(m, v.size())).containsExactly(0, 1, 2, 4, 5);
        assertThat(m.accept(3)).isFalse(); // "))" would go below zero
        assertThat(m.accept(1)).isTrue();
        assertThat(m.isAccepting()).isTrue();
        assertThat(allowed(m, v.size())).containsExactly(0, 2, 4, 6);
        m.rollback(1);
        assertThat(m.isAccepting()).isFalse();
        assertThat(m.accept(0)).isTrue(); // depth 2
        assertThat(m.accept(3)).isTrue();
        assertThat(m.isAccepting()).isTrue();
    }

    @Test
    void maskAgreesWithTokenBySimulationOnRandomWalks() {
        Vocabulary v = vocab("(", ")", "()", "))", "(()", ")(", "((", ")))", "x");
        ConstraintArtifact a = ConstraintArtifact.compile(balanced(), v, Duration.ofSeconds(5));
        Random random = new Random(7);
        for (int walk = 0; walk < 200; walk++) {
            Matcher m = a.newMatcher();
            for (int step = 0; step < 30 && !m.isTerminated(); step++) {
                List<Integer> ids = allowed(m, v.size());
                for (int t = 0; t < v.size(); t++) {
                    assertThat(ids.contains(t)).as("token %d at step %d", t, step).isEqualTo(m.isAllowed(t));
                }
                int pick = ids.get(random.nextInt(ids.size()));
                assertThat(m.accept(pick)).isTrue();
            }
        }
    }

    @Test
    void hotPathAllocatesNothingOnceWarm() {
        Vocabulary v = vocab("(", ")", "()", "))", "(()", ")(", "((");
        ConstraintArtifact a = ConstraintArtifact.compile(balanced(), v, Duration.ofSeconds(5));
        Matcher m = a.newMatcher();
        long[] mask = new long[a.maskWords()];
        int[] tokens = {6, 4, 0, 2, 1, 1, 3};
        Runnable cycle = () -> {
            for (int t : tokens) {
                m.fillNextMask(mask);
                assertThat(m.accept(t)).isTrue();
            }
            m.fillNextMask(mask);
            m.rollback(tokens.length);
        };
        for (int i = 0; i < 200; i++) {
            cycle.run(); // grows the arrays to this sequence's needs
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1000; i++) {
            for (int t : tokens) {
                m.fillNextMask(mask);
                m.accept(t);
            }
            m.fillNextMask(mask);
            m.rollback(tokens.length);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated by 8000 mask+accept steps").isLessThan(1024);
    }

    @Test
    void roundTripsThroughTheBinaryFormat() throws IOException {
        Vocabulary v = vocab("(", ")", "()", "))", "(()");
        ConstraintArtifact a = ConstraintArtifact.compile(balanced(), v, Duration.ofSeconds(5));
        byte[] bytes = a.toBytes();
        ConstraintArtifact b = ConstraintArtifact.read(new ByteArrayInputStream(bytes));
        assertThat(b.toBytes()).isEqualTo(bytes);
        assertThat(b.vocabulary().hash()).isEqualTo(v.hash());
        Matcher m = b.newMatcher();
        assertThat(m.accept(4)).isTrue();
        assertThat(allowed(m, v.size())).containsExactly(0, 1, 2, 4);
    }

    @Test
    void rejectsACorruptArtifact() {
        byte[] bytes = ConstraintArtifact.compile(literal("ab"), vocab("a", "b"), Duration.ofSeconds(5)).toBytes();
        bytes[bytes.length / 2] ^= 0x5A;
        assertThatThrownBy(() -> ConstraintArtifact.read(new ByteArrayInputStream(bytes))).isInstanceOf(IOException.class);
    }

    /** Root: '[' then any number of balanced groups (rule 1, self-contained) then ']' ; or a literal "x:" then one group. */
    private static Grammar bracketedBalanced(char open, char close) {
        Grammar.Builder b = new Grammar.Builder();
        int root = b.addRule();
        int group = b.addRule();
        int r0 = b.addState(false);
        int r1 = b.addState(false);
        int r2 = b.addState(false);
        int r3 = b.addState(true);
        b.setRuleStart(root, r0);
        b.addByteRange(r0, '[', '[', r1);
        b.addCall(r1, group, r2);
        b.addByteRange(r2, ']', ']', r3);
        int g0 = b.addState(true);
        int g1 = b.addState(false);
        int g2 = b.addState(false);
        b.setRuleStart(group, g0);
        b.addByteRange(g0, open, open, g1);
        b.addCall(g1, group, g2);
        b.addByteRange(g2, close, close, g0);
        return b.build(root);
    }

    /** Masks of the two artifacts agree along random walks under the first one's mask; returns the steps taken. */
    private static int assertSameMasks(ConstraintArtifact lazy, ConstraintArtifact eager, long seed, int walks) {
        int vocab = lazy.vocabulary().size();
        Random random = new Random(seed);
        int steps = 0;
        for (int walk = 0; walk < walks; walk++) {
            Matcher a = lazy.newMatcher();
            Matcher b = eager.newMatcher();
            for (int step = 0; step < 30 && !a.isTerminated(); step++, steps++) {
                List<Integer> ids = allowed(a, vocab);
                assertThat(ids).as("walk %d step %d", walk, step).isEqualTo(allowed(b, vocab));
                int pick = ids.get(random.nextInt(ids.size()));
                assertThat(a.accept(pick)).isTrue();
                assertThat(b.accept(pick)).isTrue();
            }
        }
        return steps;
    }

    @Test
    void computesTokenTablesOnFirstUseEqualToTheEagerOnes() {
        Vocabulary v = vocab("[", "]", "(", ")", "()", "[(", ")]", "))", "(()", ")(", "((", "[]", "x");
        ConstraintArtifact lazy = ConstraintArtifact.of(bracketedBalanced('(', ')'), v);
        ConstraintArtifact eager = ConstraintArtifact.compile(bracketedBalanced('(', ')'), v, Duration.ofSeconds(5));
        assertThat(lazy.computedTables()).isZero();
        assertThat(eager.computedTables()).isEqualTo(4); // every state with a byte edge: r0, r2, g0, g2
        assertSameMasks(lazy, eager, 11, 100);
        assertThat(lazy.computedTables()).isPositive();
        assertThat(lazy.contextDependentCount()).isEqualTo(eager.contextDependentCount());
    }

    @Test
    void keepsTablesOfRulesWithTheSameShapeApartFromOthers() {
        // the same vocabulary, a self-contained rule over () in one grammar and over [] ... in the other: tables
        // shared per vocabulary by rule shape must never leak from one to the other
        Vocabulary v = vocab("[", "]", "(", ")", "{", "}", "()", "{}", "[(", "[{", ")]", "}]", "x");
        ConstraintArtifact parens = ConstraintArtifact.of(bracketedBalanced('(', ')'), v);
        ConstraintArtifact braces = ConstraintArtifact.of(bracketedBalanced('{', '}'), v);
        ConstraintArtifact parensAgain = ConstraintArtifact.of(bracketedBalanced('(', ')'), v);
        assertSameMasks(parens, ConstraintArtifact.compile(bracketedBalanced('(', ')'), v, Duration.ofSeconds(5)), 3, 50);
        assertSameMasks(braces, ConstraintArtifact.compile(bracketedBalanced('{', '}'), v, Duration.ofSeconds(5)), 3, 50);
        assertSameMasks(parensAgain, ConstraintArtifact.compile(bracketedBalanced('(', ')'), v, Duration.ofSeconds(5)), 5, 50);
    }

    @Test
    void writesUncomputedTablesAsLazyAndReadsThemBack() throws IOException {
        Vocabulary v = vocab("[", "]", "(", ")", "()", "[(", ")]", "))", "(()", "x");
        ConstraintArtifact lazy = ConstraintArtifact.of(bracketedBalanced('(', ')'), v);
        lazy.newMatcher().fillNextMask(new long[lazy.maskWords()]); // one table computed, the rest left lazy
        int computed = lazy.computedTables();
        assertThat(computed).isBetween(1, 3);
        byte[] bytes = lazy.toBytes();
        ConstraintArtifact read = ConstraintArtifact.read(new ByteArrayInputStream(bytes));
        assertThat(read.computedTables()).isEqualTo(computed);
        assertThat(read.toBytes()).isEqualTo(bytes);
        assertSameMasks(read, ConstraintArtifact.compile(bracketedBalanced('(', ')'), v, Duration.ofSeconds(5)), 13, 60);
    }

    @Test
    void sharesOneLazyArtifactBetweenThreads() throws Exception {
        List<String> tokens = new ArrayList<>(List.of("[", "]", "(", ")"));
        for (int i = 0; i < 200; i++) { // enough tokens that walks take a while and threads overlap
            tokens.add("(".repeat(1 + i % 7) + ")".repeat(i % 5));
        }
        Vocabulary v = vocab(tokens.toArray(String[]::new));
        ConstraintArtifact eager = ConstraintArtifact.compile(bracketedBalanced('(', ')'), v, Duration.ofSeconds(5));
        for (int round = 0; round < 20; round++) {
            ConstraintArtifact lazy = ConstraintArtifact.of(bracketedBalanced('(', ')'), new Vocabulary(v.tokens(), v.eosTokenIds(), "round-" + round));
            List<java.util.concurrent.Future<Integer>> runs = new ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                for (int t = 0; t < 4; t++) {
                    long seed = round * 10 + t;
                    runs.add(pool.submit(() -> assertSameMasks(lazy, eager, seed, 5)));
                }
                for (var run : runs) {
                    assertThat(run.get()).isPositive();
                }
            }
        }
    }

    @Test
    void refusesLeftRecursion() {
        Grammar.Builder b = new Grammar.Builder();
        int rule = b.addRule();
        int s0 = b.addState(false);
        int s1 = b.addState(false);
        int s2 = b.addState(true);
        b.setRuleStart(rule, s0);
        b.addCall(s0, rule, s1);
        b.addByteRange(s1, 'a', 'a', s2);
        Grammar g = b.build(rule);
        assertThatThrownBy(() -> ConstraintArtifact.compile(g, vocab("a"), Duration.ofSeconds(5)))
                .isInstanceOf(GrammarException.class).hasMessageContaining("left-recursive");
    }
}
