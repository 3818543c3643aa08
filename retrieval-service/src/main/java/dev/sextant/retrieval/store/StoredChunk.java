package dev.sextant.retrieval.store;

import java.util.List;
import java.util.Map;

/** A chunk read back from a store, with the document fields a citation needs. */
public record StoredChunk(String documentId, int index, String text, int startOffset, int endOffset, Integer page,
        List<String> headingPath, String title, String uri, long version, Map<String, Object> metadata) {
}
