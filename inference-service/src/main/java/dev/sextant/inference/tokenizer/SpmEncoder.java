package dev.sextant.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;

/**
 * llama.cpp's SentencePiece tokenizer ({@code llm_tokenizer_spm_session}): start from single characters, merge
 * the adjacent pair whose concatenation is the highest-scoring token (ties: leftmost), repeat; symbols that are
 * not tokens fall back to byte tokens {@code <0xXX>}.
 */
final class SpmEncoder {

    private final Vocab vocab;

    SpmEncoder(Vocab vocab) {
        this.vocab = vocab;
    }

    private record Bigram(int left, int right, float score, int size) {
    }

    /** Appends the tokens of {@code text} (spaces already escaped as "▁") to {@code out}. */
    void encode(String text, IntList out) {
        int n = text.codePointCount(0, text.length());
        int[] start = new int[n];
        int[] len = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            int cp = text.codePointAt(pos);
            start[i] = pos;
            len[i] = Character.charCount(cp);
            pos += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> {
            int c = Float.compare(b.score, a.score);
            return c != 0 ? c : Integer.compare(a.left, b.left);
        });
        for (int i = 1; i < n; i++) {
            tryAdd(text, start, len, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int l = bigram.left;
            int r = bigram.right;
            if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != bigram.size) {
                continue;
            }
            len[l] += len[r];
            len[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) {
                prev[next[r]] = l;
            }
            tryAdd(text, start, len, prev[l], l, queue);
            tryAdd(text, start, len, l, next[l], queue);
        }
        for (int i = n == 0 ? -1 : 0; i != -1; i = next[i]) {
            String piece = text.substring(start[i], start[i] + len[i]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
            } else {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    out.add(vocab.byteToken(b & 0xff));
                }
            }
        }
    }

    private void tryAdd(String text, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) {
            return;
        }
        int size = len[left] + len[right];
        int id = vocab.id(text.substring(start[left], start[left] + size));
        if (id < 0) {
            return;
        }
        queue.add(new Bigram(left, right, vocab.score(id), size));
    }
}
