package dev.sextant.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.sextant.inference.gguf.GgufValue;
import dev.sextant.inference.gguf.GgufWriter;
import dev.sextant.inference.gguf.SharedData;

class TokenizerTests {

    private static Tokenizer load(String vocab) throws IOException {
        return Tokenizers.fromGguf(SharedData.file("tokenizers/ggml-vocab-" + vocab + ".gguf"));
    }

    @Test
    void addsBosForLlamaButNotForGpt2AsTheirMetadataSays() throws IOException {
        Tokenizer llama = load("llama-spm");
        int[] ids = llama.encode("Hello world");
        assertThat(ids[0]).isEqualTo(llama.bosId());
        assertThat(llama.tokenText(ids[0])).isEqualTo("<s>");
        assertThat(ids).hasSize(llama.encode("Hello world", false, false).length + 1);
        Tokenizer gpt2 = load("gpt-2");
        assertThat(gpt2.encode("Hello world")).containsExactly(gpt2.encode("Hello world", false, false));
    }

    @Test
    void wordPieceWrapsTextInClsAndSep() throws IOException {
        Tokenizer bert = load("bert-bge");
        int[] ids = bert.encode("Hello world");
        assertThat(bert.tokenText(ids[0])).isEqualTo("[CLS]");
        assertThat(bert.tokenText(ids[ids.length - 1])).isEqualTo("[SEP]");
    }

    @Test
    void parsesControlTokenTextsOnlyWhenAsked() throws IOException {
        Tokenizer phi3 = load("phi-3");
        int end = phi3.tokenId("<|end|>");
        assertThat(phi3.encode("hi<|end|>", false, true)).contains(end);
        assertThat(phi3.encode("hi<|end|>", false, false)).doesNotContain(end);
        Tokenizer gpt2 = load("gpt-2");
        assertThat(gpt2.encode("a<|endoftext|>b", false, true)).containsExactly(gpt2.encode("a", false, false)[0],
                50256, gpt2.encode("b", false, false)[0]);
    }

    @Test
    void phi3ControlTokensSwallowTheWhitespaceAfterThem() throws IOException {
        Tokenizer phi3 = load("phi-3");
        assertThat(phi3.encode("<|user|>\n hi", false, true)).containsExactly(phi3.encode("<|user|>hi", false, true));
    }

    @Test
    void endOfGenerationIncludesEosAndEndOfTurnTokens() throws IOException {
        Tokenizer phi3 = load("phi-3");
        assertThat(phi3.endOfGenerationIds()).contains(phi3.eosId(), phi3.tokenId("<|end|>"));
        assertThat(phi3.isEndOfGeneration(phi3.tokenId("<|end|>"))).isTrue();
        assertThat(phi3.isEndOfGeneration(phi3.tokenId("▁Hello"))).isFalse();
    }

    @Test
    void controlTokensEmitNoBytesAndByteTokensEmitTheirByte() throws IOException {
        Tokenizer llama = load("llama-spm");
        assertThat(llama.tokenBytes(llama.bosId())).isEmpty();
        assertThat(llama.tokenBytes(llama.tokenId("<0x0A>"))).containsExactly(0x0A);
        assertThat(llama.tokenBytes(llama.tokenId("▁Hello"))).isEqualTo(" Hello".getBytes(StandardCharsets.UTF_8));
        assertThat(llama.specialTokenIds()).contains(0, 1, 2);
        Tokenizer gpt2 = load("gpt-2");
        assertThat(gpt2.tokenBytes(gpt2.tokenId("Ġworld"))).isEqualTo(" world".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void decodesWhatItEncodes() throws IOException {
        String text = "Hello, y'all! 🦙 Äpfel\n\tнещо 我想";
        for (String vocab : List.of("llama-spm", "phi-3", "gpt-2", "falcon", "starcoder")) {
            Tokenizer t = load(vocab);
            String decoded = t.decode(t.encode(text, false, false));
            assertThat(decoded.strip()).as(vocab).isEqualTo(text.strip());
        }
    }

    @Test
    void streamingEmitsASplitMultiByteCharacterOnceWhole() throws IOException {
        Tokenizer llama = load("llama-spm");
        int[] ids = llama.encode(" this is 🦙.cpp", false, false); // 🦙 is 4 byte tokens
        StreamingDecoder d = llama.newStreamingDecoder();
        List<String> chunks = new ArrayList<>();
        int byteTokens = 0;
        for (int id : ids) {
            if (llama.tokenType(id) == TokenType.BYTE) {
                byteTokens++;
            }
            chunks.add(d.push(id));
        }
        chunks.add(d.flush());
        assertThat(byteTokens).as("the test text must split a character over byte tokens").isEqualTo(4);
        assertThat(String.join("", chunks)).as("SPM adds its space prefix").isEqualTo("  this is 🦙.cpp");
        assertThat(chunks).contains("🦙").allSatisfy(c -> assertThat(c).doesNotContain("\uFFFD"));
        assertThat(chunks.stream().filter(c -> c.contains("🦙")).count()).isEqualTo(1);
    }

    @Test
    void streamingHoldsBackOnlyAnIncompleteTail() {
        byte[] llama = "a🦙".getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < llama.length; cut++) {
            assertThat(StreamingDecoder.completePrefix(java.util.Arrays.copyOf(llama, cut))).isEqualTo(1);
        }
        assertThat(StreamingDecoder.completePrefix(llama)).isEqualTo(llama.length);
        assertThat(StreamingDecoder.completePrefix(new byte[] {'x', (byte) 0x80})).as("stray continuation byte").isEqualTo(2);
    }

    @Test
    void hashDiffersBetweenVocabulariesAndIsStable() throws IOException {
        assertThat(load("llama-spm").hash()).isEqualTo(load("llama-spm").hash()).hasSize(64).isNotEqualTo(load("phi-3").hash());
    }

    @Test
    void aFileWithoutTokenizerIsAnErrorNamingIt(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("none.gguf");
        new GgufWriter().put("general.architecture", GgufValue.string("llama")).write(file);
        assertThatThrownBy(() -> Tokenizers.fromGguf(file)).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("missing tokenizer");
    }
}
