package dev.sextant.inference.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts special-token texts out of the input before the model's tokenizer runs (llama.cpp's
 * {@code tokenizer_st_partition}): control, unknown and user-defined tokens, longest first; control and unknown
 * tokens only when special parsing is asked for. A token marked lstrip/rstrip also eats the ASCII whitespace
 * beside it.
 */
final class SpecialTokenSplitter {

    /** Either a piece of text ({@code token < 0}) or a token id. */
    record Fragment(String text, int token) {
        boolean isText() {
            return token < 0;
        }
    }

    private record Special(int id, String text, int type, boolean lstrip, boolean rstrip) {
    }

    private final List<Special> specials = new ArrayList<>();

    SpecialTokenSplitter(Vocab vocab, boolean[] lstrip, boolean[] rstrip) {
        for (int id = 0; id < vocab.size(); id++) {
            int type = vocab.type(id);
            if ((type == TokenType.CONTROL || type == TokenType.USER_DEFINED || type == TokenType.UNKNOWN)
                    && !vocab.token(id).isEmpty()) {
                specials.add(new Special(id, vocab.token(id), type, lstrip != null && lstrip[id], rstrip != null && rstrip[id]));
            }
        }
        // longest UTF-8 text first, as llama.cpp sorts its special-token cache
        specials.sort(Comparator.comparingInt((Special s) -> s.text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).reversed());
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) {
            return fragments;
        }
        fragments.add(new Fragment(text, -1));
        for (Special special : specials) {
            if (!parseSpecial && special.type != TokenType.USER_DEFINED) {
                continue;
            }
            List<Fragment> next = new ArrayList<>(fragments.size() + 4);
            for (Fragment f : fragments) {
                if (!f.isText() || !f.text.contains(special.text)) {
                    next.add(f);
                    continue;
                }
                String s = f.text;
                int from = 0;
                while (true) {
                    int at = s.indexOf(special.text, from);
                    if (at < 0) {
                        break;
                    }
                    int leftEnd = at;
                    if (special.lstrip) {
                        while (leftEnd > from && isSpace(s.charAt(leftEnd - 1))) {
                            leftEnd--;
                        }
                    }
                    if (leftEnd > from) {
                        next.add(new Fragment(s.substring(from, leftEnd), -1));
                    }
                    next.add(new Fragment(null, special.id));
                    from = at + special.text.length();
                    if (special.rstrip) {
                        while (from < s.length() && isSpace(s.charAt(from))) {
                            from++;
                        }
                    }
                }
                if (from < s.length()) {
                    next.add(new Fragment(s.substring(from), -1));
                }
            }
            fragments = next;
        }
        return fragments;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
