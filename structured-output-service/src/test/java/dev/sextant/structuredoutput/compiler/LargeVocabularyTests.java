package dev.sextant.structuredoutput.compiler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.SpecificationVersion;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sextant.constraint.ConstraintArtifact;
import dev.sextant.constraint.Vocabulary;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Draft;
import dev.sextant.structuredoutput.compiler.JsonSchemaCompiler.Whitespace;
import dev.sextant.structuredoutput.grammar.OutputValidator;
import dev.sextant.structuredoutput.testing.Feed;
import dev.sextant.structuredoutput.testing.GgufVocabulary;
import dev.sextant.structuredoutput.testing.RandomWalk;
import dev.sextant.structuredoutput.testing.Tokenize;

/** Real 32K (SentencePiece, byte fallback) and 50K (byte-level BPE) vocabularies: multi-byte text and random walks. */
class LargeVocabularyTests {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCHEMA = "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\",\"maxLength\":12},"
            + "\"kind\":{\"enum\":[\"leaf\",\"branch\",\"日本\"]},\"weight\":{\"type\":\"integer\",\"minimum\":-40,\"maximum\":40},"
            + "\"children\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/node\"},\"maxItems\":3}},"
            + "\"required\":[\"label\",\"kind\",\"children\"],\"additionalProperties\":false}},\"$ref\":\"#/$defs/node\"}";

    @ParameterizedTest
    @ValueSource(strings = {"tokenizers/ggml-vocab-llama-spm.gguf", "tokenizers/ggml-vocab-gpt-2.gguf"})
    void recursiveSchemaHoldsOverARealVocabulary(String file) throws Exception {
        Vocabulary vocab = GgufVocabulary.load(file);
        JsonNode schema = JSON.readTree(SCHEMA);
        ConstraintArtifact a = ConstraintCompiler.jsonSchema(schema, Draft.DRAFT_2020_12, Whitespace.COMPACT, vocab,
                new CompileBudget(Duration.ofSeconds(60), 200_000)).artifact();
        Tokenize tokenizer = new Tokenize(vocab);
        assertThat(Feed.accepts(a, tokenizer, "{\"label\":\"ünïcødé 🎉\",\"kind\":\"日本\",\"weight\":-40,\"children\":[{\"label\":\"x\",\"kind\":\"leaf\",\"children\":[]}]}")).isTrue();
        assertThat(Feed.accepts(a, tokenizer, "{\"label\":\"a\",\"kind\":\"日本語\",\"children\":[]}")).isFalse();
        assertThat(Feed.accepts(a, tokenizer, "{\"label\":\"a\",\"kind\":\"leaf\",\"weight\":41,\"children\":[]}")).isFalse();
        int finished = 0;
        for (long seed = 1; seed <= 8; seed++) {
            String text = RandomWalk.generate(a, seed, 400);
            if (text == null) {
                continue;
            }
            finished++;
            assertThat(OutputValidator.validate(schema, JSON.readTree(text), SpecificationVersion.DRAFT_2020_12)).as(text).isEmpty();
        }
        assertThat(finished).isPositive();
    }
}
