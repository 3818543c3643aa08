package dev.sextant.constraint;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A model's vocabulary as the matcher sees it: the exact bytes each token id emits when detokenized (empty for
 * control tokens, which are never allowed) and the end-of-sequence ids, allowed only where the constraint may end.
 *
 * <pre>{@code
 * Vocabulary v = new Vocabulary(new byte[][] {"a".getBytes(), "b".getBytes(), new byte[0]}, new int[] {2});
 * }</pre>
 */
public record Vocabulary(byte[][] tokens, int[] eosTokenIds, String hash) {

    public Vocabulary(byte[][] tokens, int[] eosTokenIds) {
        this(tokens, eosTokenIds, canonicalHash(tokens, eosTokenIds));
    }

    public int size() {
        return tokens.length;
    }

    /** sha256 over the token count, each token's length and bytes, and the EOS ids. */
    public static String canonicalHash(byte[][] tokens, int[] eos) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(intBytes(tokens.length));
            for (byte[] t : tokens) {
                md.update(intBytes(t.length));
                md.update(t);
            }
            int[] sorted = eos.clone();
            Arrays.sort(sorted);
            for (int e : sorted) {
                md.update(intBytes(e));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
