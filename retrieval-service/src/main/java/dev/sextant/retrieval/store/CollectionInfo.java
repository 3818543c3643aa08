package dev.sextant.retrieval.store;

import java.time.Instant;

/**
 * A collection as a store keeps it: every chunk in it has an embedding of {@code dimension} floats made by
 * {@code embeddingModel}; {@code vectorType} says how the ANN index holds them.
 */
public record CollectionInfo(String id, String tenant, String name, String embeddingModel, int dimension,
        VectorType vectorType, Instant createdAt) {
}
