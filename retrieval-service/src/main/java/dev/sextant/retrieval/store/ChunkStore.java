package dev.sextant.retrieval.store;

import java.util.List;
import java.util.Optional;

import dev.sextant.retrieval.store.filter.Filter;

/**
 * Where chunks, their vectors and their full text live. Every method is scoped to one tenant: an implementation
 * must make it impossible to read or change another tenant's rows whatever the other arguments say. Two
 * implementations pass the same contract suite: {@code PgVectorStore} (PostgreSQL + pgvector, row-level
 * security) and {@code LuceneStore} (embedded, local disk).
 *
 * <pre>{@code
 * CollectionInfo c = store.createCollection("acme", "handbook", "all-minilm-l6-v2", 384, VectorType.VECTOR);
 * store.replaceDocument("acme", c, document);
 * List<ScoredChunk> hits = store.dense("acme", c, queryVector, 10, Filter.NONE, 40);
 * }</pre>
 */
public interface ChunkStore {

    /** @throws CollectionExistsException when the tenant already has a collection of that name */
    CollectionInfo createCollection(String tenant, String name, String embeddingModel, int dimension, VectorType type);

    List<CollectionInfo> listCollections(String tenant);

    Optional<CollectionInfo> findCollection(String tenant, String name);

    /** Deletes the collection with all its documents; false when there was none. */
    boolean deleteCollection(String tenant, String name);

    /**
     * Replaces every chunk of the document atomically: a search sees the old version or the new one, never a mix.
     *
     * @return the number of chunks stored
     * @throws StaleVersionException when the stored version is newer than {@code document.version()}
     */
    int replaceDocument(String tenant, CollectionInfo collection, DocumentInput document);

    /** Deletes the document and its chunks at once; false when there was none. */
    boolean deleteDocument(String tenant, CollectionInfo collection, String documentId);

    /** Approximate nearest neighbours by cosine similarity, best first; {@code efSearch} sizes the HNSW beam. */
    List<ScoredChunk> dense(String tenant, CollectionInfo collection, float[] query, int topK, Filter filter, int efSearch);

    /** Full-text hits (any query term may match), best first. */
    List<ScoredChunk> lexical(String tenant, CollectionInfo collection, String query, int topK, Filter filter);

    /** Which implementation this is, for logs and the health endpoint. */
    String kind();
}
