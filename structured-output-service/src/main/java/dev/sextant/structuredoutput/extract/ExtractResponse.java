package dev.sextant.structuredoutput.extract;

import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.databind.JsonNode;

/** The extracted {@code data} (valid against the request's schema) and the model's token usage. */
public record ExtractResponse(String model, JsonNode data, Usage usage) {

    public record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("completion_tokens") int completionTokens,
            @JsonProperty("total_tokens") int totalTokens) {
    }
}
