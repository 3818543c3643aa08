package dev.sextant.retrieval.search;

import com.fasterxml.jackson.annotation.JsonProperty;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/collections/{c}/search}: {@code top_k} defaults to 10, {@code mode} to hybrid; {@code filter} is a
 * metadata filter ({@link dev.sextant.retrieval.store.filter.Filter}); {@code ef_search} overrides the HNSW beam.
 */
public record SearchRequest(
        @NotBlank @Size(max = 8000) String query,
        @JsonProperty("top_k") @Min(1) @Max(1000) Integer topK,
        SearchMode mode,
        JsonNode filter,
        @JsonProperty("ef_search") @Min(1) @Max(1000) Integer efSearch) {
}
