package dev.sextant.retrieval.collection;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import dev.sextant.retrieval.store.VectorType;

/** {@code POST /v1/collections}; {@code vectorType} defaults to {@code vector} (halfvec: half-precision index). */
public record CreateCollectionRequest(
        @NotBlank @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,127}", message = "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit") String name,
        @NotBlank @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}", message = "must be a model name") String embeddingModel,
        @NotNull @Min(1) @Max(4000) Integer dimension,
        VectorType vectorType) {
}
