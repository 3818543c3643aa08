package dev.sextant.retrieval.search;

import dev.sextant.retrieval.store.StoredChunk;

/**
 * A search result: {@code score} orders the list (cosine for dense, full-text rank for lexical, RRF for hybrid);
 * {@code denseScore} (cosine similarity) and {@code lexicalScore} are the inputs when known, null otherwise.
 */
public record Hit(StoredChunk chunk, double score, Double denseScore, Double lexicalScore) {
}
