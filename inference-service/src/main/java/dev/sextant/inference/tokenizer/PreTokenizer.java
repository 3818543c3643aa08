package dev.sextant.inference.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before BPE, as llama.cpp's {@code unicode_regex_split}: each regex in turn splits every
 * piece left by the previous one, keeping both the matches and the text between them; a regex sees only its
 * piece (no look-ahead past its end).
 */
final class PreTokenizer {

    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private final List<Pattern> patterns;
    private final String name;

    PreTokenizer(String name, List<String> regexes) {
        this.name = name;
        this.patterns = regexes.stream().map(r -> Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS)).toList();
    }

    String name() {
        return name;
    }

    /**
     * The pre-tokenizer llama.cpp picks for {@code tokenizer.ggml.pre}, with its regexes and whether merges are
     * skipped for words already in the vocabulary ({@code ignore_merges}).
     */
    static Choice forGgufPre(String pre) {
        String p = pre == null ? "default" : pre;
        return switch (p) {
            case "default" -> new Choice(new PreTokenizer(p, List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]")), false, false);
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "superbpe" -> new Choice(new PreTokenizer(p, List.of(LLAMA3)), true, true);
            case "qwen2", "deepseek-r1-qwen", "megrez", "hunyuan" -> new Choice(new PreTokenizer(p, List.of(QWEN2)), false, false);
            case "falcon" -> new Choice(new PreTokenizer(p, List.of("[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]")), false, false);
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b" ->
                    new Choice(new PreTokenizer(p, List.of("\\p{N}", GPT2)), false, false);
            case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
                    "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais", "trillion" -> new Choice(new PreTokenizer(p, List.of(GPT2)), false, false);
            case "stablelm2" -> new Choice(new PreTokenizer(p, List.of(
                    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")), false, false);
            case "deepseek-coder" -> new Choice(new PreTokenizer(p, List.of("[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}")), false, false);
            default -> throw new IllegalArgumentException("unknown pre-tokenizer '" + pre + "' (tokenizer.ggml.pre)");
        };
    }

    /** A pre-tokenizer with llama.cpp's per-type flags. */
    record Choice(PreTokenizer preTokenizer, boolean ignoreMerges, boolean addBos) {
    }

    /** The words of {@code text}, in order; their concatenation is {@code text}. */
    List<String> split(String text) {
        List<int[]> pieces = new ArrayList<>();
        pieces.add(new int[] {0, text.length()});
        for (Pattern pattern : patterns) {
            List<int[]> next = new ArrayList<>(pieces.size() * 2);
            Matcher m = pattern.matcher(text);
            for (int[] piece : pieces) {
                int start = piece[0];
                int end = piece[1];
                m.region(start, end);
                int last = start;
                while (m.find()) {
                    if (m.end() == m.start()) {
                        continue;
                    }
                    if (m.start() > last) {
                        next.add(new int[] {last, m.start()});
                    }
                    next.add(new int[] {m.start(), m.end()});
                    last = m.end();
                }
                if (last < end) {
                    next.add(new int[] {last, end});
                }
            }
            pieces = next;
        }
        List<String> words = new ArrayList<>(pieces.size());
        for (int[] p : pieces) {
            words.add(text.substring(p[0], p[1]));
        }
        return words;
    }
}
