package dev.sextant.inference.vocabulary;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A model's vocabulary for grammar compilation: {@code tokens[id]} is the base64 of the exact bytes token
 * {@code id} emits when detokenized ("" for control tokens); {@code special_token_ids} are the tokens that emit
 * nothing (control, unknown, unused).
 */
public record VocabularyResponse(
        String model,
        @JsonProperty("tokenizer_hash") String tokenizerHash,
        String kind,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("bos_token_id") Integer bosTokenId,
        @JsonProperty("eos_token_ids") int[] eosTokenIds,
        List<String> tokens,
        @JsonProperty("special_token_ids") int[] specialTokenIds) {
}
