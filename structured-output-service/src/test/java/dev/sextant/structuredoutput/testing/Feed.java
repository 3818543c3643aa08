package dev.sextant.structuredoutput.testing;

import java.nio.charset.StandardCharsets;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Matcher;

/** Test-only: feeds a text as tokens through a fresh matcher. */
public final class Feed {

    private Feed() {
    }

    /** Whether the matcher accepts every token of {@code tokens}, each also set in the mask, and may end after. */
    public static boolean accepts(ConstraintArtifact artifact, int[] tokens) {
        Matcher m = artifact.newMatcher();
        long[] mask = new long[artifact.maskWords()];
        for (int t : tokens) {
            m.fillNextMask(mask);
            boolean inMask = (mask[t >>> 6] & (1L << t)) != 0;
            boolean ok = m.accept(t);
            if (inMask != ok) {
                throw new AssertionError("mask and accept disagree on token " + t + " at position " + m.position());
            }
            if (!ok) {
                return false;
            }
        }
        m.fillNextMask(mask);
        for (int e : artifact.vocabulary().eosTokenIds()) {
            boolean inMask = (mask[e >>> 6] & (1L << e)) != 0;
            if (inMask != m.isAccepting()) {
                throw new AssertionError("EOS in mask (" + inMask + ") but isAccepting " + m.isAccepting());
            }
        }
        return m.isAccepting();
    }

    public static boolean accepts(ConstraintArtifact artifact, Tokenize tokenizer, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] greedy = tokenizer.greedy(bytes);
        if (greedy == null) {
            throw new IllegalStateException("vocabulary cannot spell " + text);
        }
        boolean a = accepts(artifact, greedy);
        int[] bytewise = tokenizer.bytewise(bytes);
        if (bytewise != null) {
            boolean b = accepts(artifact, bytewise);
            if (a != b) {
                throw new AssertionError("greedy and byte-by-byte tokenizations disagree on " + text);
            }
        }
        return a;
    }
}
