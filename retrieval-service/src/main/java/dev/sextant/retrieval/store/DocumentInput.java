package dev.sextant.retrieval.store;

import java.util.List;
import java.util.Map;

/** A whole document version: replacing it swaps every chunk of the previous version in one step. */
public record DocumentInput(String documentId, String title, String uri, String contentHash, long version,
        Map<String, Object> metadata, List<ChunkInput> chunks) {
}
