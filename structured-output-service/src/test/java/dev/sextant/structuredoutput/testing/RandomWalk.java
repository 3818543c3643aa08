package dev.sextant.structuredoutput.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Matcher;

/**
 * Test-only: generation by random sampling under the mask (the worst case: no model preference at all). To end
 * in reasonable time it picks EOS when allowed half the time, and otherwise favours tokens that close a string,
 * object or array; every choice is still drawn from the mask, so the output is whatever the mask allows.
 */
public final class RandomWalk {

    private RandomWalk() {
    }

    /** The generated text, or null when {@code maxTokens} ran out before the constraint could end. */
    public static String generate(ConstraintArtifact artifact, long seed, int maxTokens) {
        Random random = new Random(seed);
        Matcher m = artifact.newMatcher();
        long[] mask = new long[artifact.maskWords()];
        int vocab = artifact.vocabulary().size();
        int[] allowed = new int[vocab];
        int[] closing = new int[vocab];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int step = 0; step < maxTokens; step++) {
            if (m.isTerminated() && m.isAccepting()) {
                return out.toString(StandardCharsets.UTF_8);
            }
            m.fillNextMask(mask);
            int n = 0;
            int c = 0;
            int eos = -1;
            for (int t = 0; t < vocab; t++) {
                if ((mask[t >>> 6] & (1L << t)) != 0) {
                    allowed[n++] = t;
                    byte[] b = artifact.vocabulary().tokens()[t];
                    if (b.length == 0) {
                        eos = t;
                    } else if (closes(b)) {
                        closing[c++] = t;
                    }
                }
            }
            if (n == 0) {
                throw new AssertionError("empty mask at step " + step + " after '" + out.toString(StandardCharsets.UTF_8) + "'");
            }
            int pick;
            double late = step / (double) maxTokens;
            if (eos >= 0 && random.nextDouble() < 0.5 + late) {
                pick = eos;
            } else if (c > 0 && random.nextDouble() < 0.3 + late) {
                pick = closing[random.nextInt(c)];
            } else {
                pick = allowed[random.nextInt(n)];
            }
            if (!m.accept(pick)) {
                throw new AssertionError("token " + pick + " was in the mask but not accepted");
            }
            if (pick == eos) {
                return out.toString(StandardCharsets.UTF_8);
            }
            out.writeBytes(artifact.vocabulary().tokens()[pick]);
        }
        return null;
    }

    private static boolean closes(byte[] b) {
        for (byte x : b) {
            if (x == '"' || x == '}' || x == ']') {
                return true;
            }
        }
        return false;
    }
}
