package dev.sextant.retrieval.search;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** dense (vectors), lexical (full text) or hybrid (both, fused by reciprocal rank). */
public enum SearchMode {
    DENSE, LEXICAL, HYBRID;

    @JsonValue
    public String wire() {
        return name().toLowerCase();
    }

    @JsonCreator
    public static SearchMode fromWire(String value) {
        for (SearchMode m : values()) {
            if (m.wire().equals(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException("mode must be dense, lexical or hybrid");
    }
}
