package dev.sextant.structuredoutput.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.sextant.constraint.Vocabulary;

/** Test-only: greedy longest-match segmentation of bytes into token ids, single-byte tokens as the fallback. */
public final class Tokenize {

    private final Map<String, Integer> byBytes = new HashMap<>();
    private final int[] singleByte = new int[256];
    private final int maxLen;

    public Tokenize(Vocabulary v) {
        java.util.Arrays.fill(singleByte, -1);
        int max = 1;
        for (int t = 0; t < v.size(); t++) {
            byte[] b = v.tokens()[t];
            if (b.length == 0) {
                continue;
            }
            byBytes.putIfAbsent(key(b, 0, b.length), t);
            max = Math.max(max, b.length);
            if (b.length == 1 && singleByte[b[0] & 0xFF] < 0) {
                singleByte[b[0] & 0xFF] = t;
            }
        }
        maxLen = max;
    }

    private static String key(byte[] b, int from, int to) {
        return new String(b, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** Longest match first; null when a byte has no token. */
    public int[] greedy(byte[] text) {
        List<Integer> out = new ArrayList<>();
        int i = 0;
        while (i < text.length) {
            int found = -1;
            int len = 0;
            for (int l = Math.min(maxLen, text.length - i); l >= 1; l--) {
                Integer t = byBytes.get(key(text, i, i + l));
                if (t != null) {
                    found = t;
                    len = l;
                    break;
                }
            }
            if (found < 0) {
                return null;
            }
            out.add(found);
            i += len;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** One token per byte (byte-fallback tokens), splitting every multi-byte character; null if impossible. */
    public int[] bytewise(byte[] text) {
        int[] out = new int[text.length];
        for (int i = 0; i < text.length; i++) {
            out[i] = singleByte[text[i] & 0xFF];
            if (out[i] < 0) {
                return null;
            }
        }
        return out;
    }
}
