package dev.sextant.inference.vocabulary;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;

import org.junit.jupiter.api.Test;

import dev.sextant.inference.gguf.SharedData;
import dev.sextant.inference.tokenizer.Tokenizer;
import dev.sextant.inference.tokenizer.Tokenizers;

class VocabularyControllerTests {

    @Test
    void describesByteLevelBpeTokensByTheirBytes() throws Exception {
        Tokenizer gpt2 = Tokenizers.fromGguf(SharedData.file("tokenizers/ggml-vocab-gpt-2.gguf"));
        VocabularyResponse body = VocabularyController.describe("gpt-2", gpt2);
        assertThat(body.kind()).isEqualTo("bpe");
        assertThat(body.vocabSize()).isEqualTo(50257).isEqualTo(body.tokens().size());
        assertThat(new String(Base64.getDecoder().decode(body.tokens().get(gpt2.tokenId("Ġworld"))))).isEqualTo(" world");
        assertThat(body.tokens().get(50256)).as("<|endoftext|> is a control token").isEmpty();
        assertThat(body.eosTokenIds()).containsExactly(50256);
        assertThat(body.specialTokenIds()).containsExactly(50256);
        assertThat(body.tokenizerHash()).isEqualTo(gpt2.hash());
    }

    @Test
    void describesWordPieceContinuationsWithoutTheirSpace() throws Exception {
        Tokenizer bert = Tokenizers.fromGguf(SharedData.file("tokenizers/ggml-vocab-bert-bge.gguf"));
        VocabularyResponse body = VocabularyController.describe("bge", bert);
        assertThat(body.kind()).isEqualTo("wpm");
        int[] ids = bert.encode("tokenization", false, false);
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            text.append(new String(Base64.getDecoder().decode(body.tokens().get(id))));
        }
        assertThat(text.toString()).isEqualTo(" tokenization");
        assertThat(body.bosTokenId()).isEqualTo(101);
    }
}
