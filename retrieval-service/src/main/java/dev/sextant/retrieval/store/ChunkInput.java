package dev.sextant.retrieval.store;

import java.util.List;

/** One chunk of a document version as ingestion sends it (contract 4). */
public record ChunkInput(int index, String text, int startOffset, int endOffset, Integer page,
        List<String> headingPath, float[] embedding) {
}
