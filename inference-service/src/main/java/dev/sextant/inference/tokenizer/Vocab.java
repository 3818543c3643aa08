package dev.sextant.inference.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * The tokenizer's data: token texts as stored (SPM/WPM with "▁" for space, BPE byte-level), their scores and
 * types, the text → id map (a later duplicate wins, as in llama.cpp) and BPE merge ranks.
 */
final class Vocab {

    private final String[] tokens;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> ids;
    private final Map<String, Integer> mergeRanks;
    private final int unknownId;

    Vocab(String[] tokens, float[] scores, int[] types, String[] merges, int unknownId) {
        this.tokens = tokens;
        this.scores = scores;
        this.types = types;
        this.unknownId = unknownId;
        this.ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            ids.put(tokens[i], i);
        }
        this.mergeRanks = new HashMap<>(merges == null ? 16 : merges.length * 2);
        if (merges != null) {
            for (int i = 0; i < merges.length; i++) {
                String m = merges[i];
                int space = m.indexOf(' ', 1);
                if (space < 0) {
                    throw new IllegalArgumentException("merge " + i + " has no space: '" + m + "'");
                }
                mergeRanks.putIfAbsent(m.substring(0, space) + ' ' + m.substring(space + 1), i);
            }
        }
    }

    int size() {
        return tokens.length;
    }

    String token(int id) {
        return tokens[id];
    }

    int type(int id) {
        return types[id];
    }

    float score(int id) {
        return scores == null ? 0f : scores[id];
    }

    /** The id of the token with exactly this text, or -1. */
    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    int mergeRank(String left, String right) {
        Integer rank = mergeRanks.get(left + ' ' + right);
        return rank == null ? -1 : rank;
    }

    boolean hasMerges() {
        return !mergeRanks.isEmpty();
    }

    int unknownId() {
        return unknownId;
    }

    /** The token for one raw byte: {@code <0xXX>}, else the one-character token, else unknown. */
    int byteToken(int b) {
        int id = id(String.format("<0x%02X>", b));
        if (id >= 0) {
            return id;
        }
        id = id(String.valueOf((char) b));
        return id >= 0 ? id : unknownId;
    }
}
