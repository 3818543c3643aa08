package dev.sextant.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's WordPiece ({@code llm_tokenizer_wpm_session}) over a "phantom space" vocabulary (word-initial
 * pieces carry a leading "▁", continuations none): split on whitespace and punctuation, lower-case and strip
 * accents (first character of the NFD form), then greedy longest match; a word that cannot be covered is [UNK].
 */
final class WpmEncoder {

    private final Vocab vocab;
    private final int maxTokenBytes;

    WpmEncoder(Vocab vocab) {
        this.vocab = vocab;
        int max = 0;
        for (int i = 0; i < vocab.size(); i++) {
            max = Math.max(max, vocab.token(i).getBytes(StandardCharsets.UTF_8).length);
        }
        this.maxTokenBytes = max;
    }

    void encode(String text, IntList out) {
        for (String word : words(text)) {
            String w = "\u2581" + word;
            int mark = out.size();
            int[] ends = charEnds(w);
            int i = 0;
            boolean failed = false;
            while (i < w.length()) {
                boolean match = false;
                for (int k = ends.length - 1; k >= 0; k--) {
                    int j = ends[k];
                    if (j <= i) {
                        break;
                    }
                    String piece = w.substring(i, j);
                    if (piece.getBytes(StandardCharsets.UTF_8).length > maxTokenBytes) {
                        continue;
                    }
                    int id = vocab.id(piece);
                    if (id >= 0) {
                        out.add(id);
                        i = j;
                        match = true;
                        break;
                    }
                }
                if (!match) {
                    failed = true;
                    break;
                }
            }
            if (failed) {
                out.truncate(mark);
            }
            if (out.size() == mark) {
                out.add(vocab.unknownId());
            }
        }
    }

    private static int[] charEnds(String s) {
        int[] ends = new int[s.codePointCount(0, s.length())];
        for (int i = 0, k = 0; i < s.length(); k++) {
            i += Character.charCount(s.codePointAt(i));
            ends[k] = i;
        }
        return ends;
    }

    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            cp = nfdFirst(cp);
            if (Unicode.isWhitespace(cp)) {
                if (!cur.isEmpty()) {
                    words.add(cur.toString());
                    cur.setLength(0);
                }
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || Unicode.isControl(cp)) {
                continue;
            }
            int lower = Character.toLowerCase(cp);
            if (Unicode.isPunctuation(cp) || (cp < 0x7F && Unicode.isSymbol(cp)) || isChinese(cp)) {
                if (!cur.isEmpty()) {
                    words.add(cur.toString());
                    cur.setLength(0);
                }
                words.add(new String(Character.toChars(lower)));
            } else {
                cur.appendCodePoint(lower);
            }
        }
        if (!cur.isEmpty()) {
            words.add(cur.toString());
        }
        return words;
    }

    private static int nfdFirst(int cp) {
        if (cp < 0xC0) {
            return cp;
        }
        String nfd = Normalizer.normalize(new String(Character.toChars(cp)), Normalizer.Form.NFD);
        return nfd.codePointAt(0);
    }

    private static boolean isChinese(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
