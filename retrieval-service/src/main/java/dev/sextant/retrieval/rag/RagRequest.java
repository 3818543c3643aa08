package dev.sextant.retrieval.rag;

import com.fasterxml.jackson.annotation.JsonProperty;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/rag/answer}: {@code top_k} passages (default 5) of a hybrid search, optionally filtered; the answer
 * may take up to {@code max_tokens} tokens (default {@code sextant.retrieval.rag.max-tokens}, 512, cut to what the
 * model's context leaves after the passages; a {@code max_tokens} the context cannot hold is refused, see
 * {@link AnswerBudget}).
 */
public record RagRequest(
        @NotBlank String collection,
        @NotBlank @Size(max = 4000) String question,
        @NotBlank String model,
        @JsonProperty("top_k") @Min(1) @Max(20) Integer topK,
        Boolean stream,
        JsonNode filter,
        @JsonProperty("max_tokens") Integer maxTokens) {
}
