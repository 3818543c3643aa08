package dev.sextant.inference.embedding;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/** OpenAI's embeddings response; {@code embedding} is a float array, or a base64 string of little-endian float32. */
record EmbeddingResponse(String object, List<Item> data, String model, Usage usage) {

    record Item(String object, int index, Object embedding) {
    }

    record Usage(@JsonProperty("prompt_tokens") int promptTokens, @JsonProperty("total_tokens") int totalTokens) {
    }
}
