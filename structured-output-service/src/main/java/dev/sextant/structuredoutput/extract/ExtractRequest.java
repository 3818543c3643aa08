package dev.sextant.structuredoutput.extract;

import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/extract}: pull the data {@code schema} describes out of {@code text}. {@code instructions} replace
 * the default task description; {@code max_tokens}, {@code temperature} and {@code seed} are passed to the model
 * (defaults: {@code sextant.structured-output.extract.max-tokens}, 0, none).
 */
public record ExtractRequest(String model, JsonNode schema, String text, String instructions,
        @JsonProperty("max_tokens") Integer maxTokens, Float temperature, Long seed) {
}
