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
