package dev.sextant.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * llama.cpp's BPE ({@code llm_tokenizer_bpe_session}): per word, start from single characters and merge the
 * adjacent pair with the lowest merge rank (ties: leftmost) until none is left. Words are byte-level strings for
 * GPT-2-style vocabularies; with byte fallback (Llama 2 style tokenizer.json) characters that are not tokens
 * become {@code <0xXX>} tokens.
 */
final class BpeEncoder {

    private final Vocab vocab;
    private final boolean ignoreMerges;
    private final boolean byteFallback;

    BpeEncoder(Vocab vocab, boolean ignoreMerges, boolean byteFallback) {
        this.vocab = vocab;
        this.ignoreMerges = ignoreMerges;
        this.byteFallback = byteFallback;
    }

    private record Bigram(int left, int right, int rank, String text) {
    }

    /** Appends the tokens of one pre-tokenized word to {@code out}. */
    void encodeWord(String word, IntList out) {
        if (word.isEmpty()) {
            return;
        }
        if (ignoreMerges && vocab.id(word) >= 0) {
            out.add(vocab.id(word));
            return;
        }
        List<String> sym = new ArrayList<>();
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int n = Character.charCount(cp);
            sym.add(word.substring(i, i + n));
            i += n;
        }
        int count = sym.size();
        String[] text = sym.toArray(new String[0]);
        int[] prev = new int[count];
        int[] next = new int[count];
        for (int i = 0; i < count; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> {
            int c = Integer.compare(a.rank, b.rank);
            return c != 0 ? c : Integer.compare(a.left, b.left);
        });
        for (int i = 1; i < count; i++) {
            add(text, i - 1, i, queue);
        }
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            String l = text[b.left];
            String r = text[b.right];
            if (l.isEmpty() || r.isEmpty() || !(l + r).equals(b.text)) {
                continue;
            }
            text[b.left] = b.text;
            text[b.right] = "";
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) {
                prev[next[b.right]] = b.left;
            }
            add(text, prev[b.left], b.left, queue);
            add(text, b.left, next[b.left], queue);
        }
        for (int i = 0; i != -1; i = next[i]) {
            String piece = text[i];
            if (piece.isEmpty()) {
                continue;
            }
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
            } else if (byteFallback) {
                for (byte c : piece.getBytes(StandardCharsets.UTF_8)) {
                    out.add(vocab.byteToken(c & 0xff));
                }
            } else {
                // llama.cpp looks up each single byte of the piece; only ASCII bytes can be tokens
                for (byte c : piece.getBytes(StandardCharsets.UTF_8)) {
                    if (c >= 0) {
                        int single = vocab.id(String.valueOf((char) c));
                        if (single >= 0) {
                            out.add(single);
                        }
                    }
                }
            }
        }
    }

    private void add(String[] text, int left, int right, PriorityQueue<Bigram> queue) {
        if (left == -1 || right == -1) {
            return;
        }
        int rank = vocab.mergeRank(text[left], text[right]);
        if (rank < 0) {
            return;
        }
        queue.add(new Bigram(left, right, rank, text[left] + text[right]));
    }
}
