package dev.sextant.inference.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** llama.cpp's tokenizer test vectors: {@code .inp} texts separated by __ggml_vocab_test__ lines, {@code .out} one line of ids per text. */
record VocabTestFiles(Path vocab, List<String> texts, List<int[]> expected) {

    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    static VocabTestFiles read(Path vocab) throws IOException {
        String raw = Files.readString(Path.of(vocab + ".inp"), StandardCharsets.UTF_8);
        List<String> texts = new ArrayList<>();
        // as test-tokenizer-0.cpp: split on the separator; a trailing separator ends the list
        int pos = 0;
        while (pos < raw.length()) {
            int next = raw.indexOf(SEPARATOR, pos);
            if (next < 0) {
                texts.add(raw.substring(pos));
                break;
            }
            texts.add(raw.substring(pos, next));
            pos = next + SEPARATOR.length();
        }
        List<String> lines = Files.readAllLines(Path.of(vocab + ".out"), StandardCharsets.UTF_8);
        List<int[]> expected = new ArrayList<>();
        for (String line : lines) {
            String t = line.trim();
            expected.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split("\\s+")).mapToInt(Integer::parseInt).toArray());
        }
        if (texts.size() != expected.size()) {
            throw new IllegalStateException(vocab + ": " + texts.size() + " texts but " + expected.size() + " expected lines");
        }
        return new VocabTestFiles(vocab, texts, expected);
    }
}
