package dev.sextant.inference.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


class RandomModelGeneratorTests {

    @TempDir
    Path tmp;

    @Test
    void writesLlamaArchitectureTensorsAndCopiesTheVocabulary() throws Exception {
        Path vocab = SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf");
        Path out = tmp.resolve("m.gguf");
        RandomModelGenerator.generate(RandomModelGenerator.Spec.of(vocab, 64, 2, 4, 2, 96, GgmlType.Q8_0, 7), out);
        try (GgufFile g = GgufFile.open(out); GgufFile v = GgufFile.open(vocab)) {
            int nVocab = v.get("tokenizer.ggml.tokens").asArray().length();
            assertThat(g.getString("general.architecture", null)).isEqualTo("llama");
            assertThat(g.getLong("general.file_type", -1)).isEqualTo(7);
            assertThat(g.getLong("llama.embedding_length", -1)).isEqualTo(64);
            assertThat(g.getLong("llama.block_count", -1)).isEqualTo(2);
            assertThat(g.getLong("llama.attention.head_count", -1)).isEqualTo(4);
            assertThat(g.getLong("llama.attention.head_count_kv", -1)).isEqualTo(2);
            assertThat(g.getLong("llama.feed_forward_length", -1)).isEqualTo(96);
            assertThat(g.getLong("llama.rope.dimension_count", -1)).isEqualTo(16);
            v.metadata().forEach((k, val) -> {
                if (k.startsWith("tokenizer.")) {
                    assertThat(g.get(k)).as(k).isEqualTo(val);
                }
            });
            assertThat(g.tensor("token_embd.weight").shape()).containsExactly(64, nVocab);
            assertThat(g.tensor("output.weight").shape()).containsExactly(64, nVocab);
            assertThat(g.tensor("blk.1.attn_k.weight").shape()).containsExactly(64, 32);
            assertThat(g.tensor("blk.1.attn_k.weight").type()).isEqualTo(GgmlType.Q8_0);
            assertThat(g.tensor("blk.1.ffn_down.weight").shape()).containsExactly(96, 64);
            assertThat(g.tensor("blk.1.ffn_gate.weight").shape()).containsExactly(64, 96);
            assertThat(g.tensor("blk.0.ffn_norm.weight").type()).isEqualTo(GgmlType.F32);
            assertThat(g.tensors()).hasSize(2 + 9 * 2 + 1);
            float[] q = g.dequantize(g.tensor("blk.0.attn_q.weight"));
            double sumSq = 0;
            for (float x : q) {
                sumSq += x * x;
            }
            assertThat(Math.sqrt(sumSq / q.length)).isBetween(0.1, 0.15); // 1/sqrt(64) = 0.125
        }
        Path again = tmp.resolve("again.gguf");
        RandomModelGenerator.generate(RandomModelGenerator.Spec.of(vocab, 64, 2, 4, 2, 96, GgmlType.Q8_0, 7), again);
        assertThat(java.nio.file.Files.mismatch(out, again)).as("same seed, same bytes").isEqualTo(-1);
    }
}
