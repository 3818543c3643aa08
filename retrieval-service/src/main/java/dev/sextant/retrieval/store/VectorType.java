package dev.sextant.retrieval.store;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How a collection's ANN index holds vectors. {@code HALFVEC} indexes half-precision copies (pgvector
 * {@code halfvec}; int8 scalar quantization in Lucene): half the index memory, slightly lower recall.
 */
public enum VectorType {
    VECTOR, HALFVEC;

    @JsonValue
    public String wire() {
        return name().toLowerCase();
    }

    @JsonCreator
    public static VectorType fromWire(String value) {
        for (VectorType t : values()) {
            if (t.wire().equals(value)) {
                return t;
            }
        }
        throw new IllegalArgumentException("vectorType must be 'vector' or 'halfvec'");
    }
}
