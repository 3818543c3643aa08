package dev.sextant.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.sextant.inference.gguf.SharedData;

/**
 * Every {@code .inp}/{@code .out} pair in ../shared/tokenizers, run as llama.cpp's test-tokenizer-0 runs it:
 * no BOS/EOS added, special-token texts not parsed.
 */
class TokenizerConformanceTests {

    static Stream<Path> vocabFiles() throws IOException {
        try (Stream<Path> files = Files.list(SharedData.dir().resolve("tokenizers"))) {
            return files.filter(p -> p.toString().endsWith(".gguf") && Files.exists(Path.of(p + ".inp"))).sorted().toList().stream();
        }
    }

    @Test
    void findsTheSixVocabFilesOfTheSuite() throws IOException {
        assertThat(vocabFiles().map(p -> p.getFileName().toString())).contains("ggml-vocab-llama-spm.gguf",
                "ggml-vocab-phi-3.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-falcon.gguf", "ggml-vocab-starcoder.gguf",
                "ggml-vocab-bert-bge.gguf");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabFiles")
    void tokenizesEveryTestTextExactlyAsExpected(Path vocab) throws IOException {
        VocabTestFiles cases = VocabTestFiles.read(vocab);
        Tokenizer tokenizer = Tokenizers.fromGguf(vocab);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.texts().size(); i++) {
            int[] actual = tokenizer.encode(cases.texts().get(i), false, false);
            if (!java.util.Arrays.equals(actual, cases.expected().get(i))) {
                failures.add("#" + i + " " + escape(cases.texts().get(i)) + "\n   expected " + java.util.Arrays.toString(cases.expected().get(i))
                        + "\n   actual   " + java.util.Arrays.toString(actual));
            }
        }
        assertThat(failures).as("%s: %d of %d texts differ", vocab.getFileName(), failures.size(), cases.texts().size()).isEmpty();
    }

    private static String escape(String s) {
        return "'" + s.replace("\n", "\\n").replace("\t", "\\t") + "'";
    }
}
