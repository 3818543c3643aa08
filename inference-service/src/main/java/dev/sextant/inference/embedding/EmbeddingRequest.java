package dev.sextant.inference.embedding;

import com.fasterxml.jackson.annotation.JsonProperty;

import tools.jackson.databind.JsonNode;

/** OpenAI's embeddings request: {@code input} is a string or an array of strings. */
record EmbeddingRequest(
        String model,
        JsonNode input,
        @JsonProperty("encoding_format") String encodingFormat,
        Integer dimensions,
        String user) {
}
