package dev.sextant.retrieval.collection;

import java.time.Instant;

import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.VectorType;

/** A collection as the API shows it (no internal id, no tenant). */
public record CollectionResponse(String name, String embeddingModel, int dimension, VectorType vectorType, Instant createdAt) {

    static CollectionResponse of(CollectionInfo c) {
        return new CollectionResponse(c.name(), c.embeddingModel(), c.dimension(), c.vectorType(), c.createdAt());
    }
}
