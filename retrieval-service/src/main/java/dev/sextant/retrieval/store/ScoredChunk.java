package dev.sextant.retrieval.store;

/**
 * A hit: {@code score} is cosine similarity for dense search and the store's full-text rank for lexical search
 * (BM25 in Lucene, BM25 with term frequency 1 over the rarest terms' chunks in PostgreSQL); only its order is comparable across stores.
 */
public record ScoredChunk(StoredChunk chunk, double score) {

    /** Identity of a chunk inside one collection, used to fuse ranked lists. */
    public String key() {
        return chunk.documentId() + "#" + chunk.index();
    }
}
