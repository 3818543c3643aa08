package dev.sextant.retrieval.search;

import java.util.List;

import org.springframework.stereotype.Service;

import dev.sextant.retrieval.RetrievalErrors;
import dev.sextant.retrieval.RetrievalProperties;
import dev.sextant.retrieval.embedding.EmbeddingClient;
import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.ScoredChunk;
import dev.sextant.retrieval.store.filter.Filter;
import dev.sextant.support.SextantException;

/** Dense, lexical and hybrid search over one collection of the tenant; RAG retrieves through it too. */
@Service
public class SearchService {

    private final ChunkStore store;
    private final EmbeddingClient embeddings;
    private final RetrievalProperties.Search settings;

    SearchService(ChunkStore store, EmbeddingClient embeddings, RetrievalProperties properties) {
        this.store = store;
        this.embeddings = embeddings;
        this.settings = properties.search();
    }

    public CollectionInfo collection(String tenant, String name) {
        return store.findCollection(tenant, name).orElseThrow(() -> RetrievalErrors.collectionNotFound(name));
    }

    public List<Hit> search(String tenant, CollectionInfo collection, String query, int topK, SearchMode mode,
            Filter filter, Integer efSearch) {
        int ef = efSearch != null ? efSearch : settings.efSearch();
        return switch (mode) {
            case DENSE -> store.dense(tenant, collection, embed(collection, query), topK, filter, ef).stream()
                    .map(h -> new Hit(h.chunk(), h.score(), h.score(), null)).toList();
            case LEXICAL -> store.lexical(tenant, collection, query, topK, filter).stream()
                    .map(h -> new Hit(h.chunk(), h.score(), null, h.score())).toList();
            case HYBRID -> {
                int candidates = Math.max(topK, settings.hybridCandidates());
                yield ReciprocalRankFusion.fuseConcurrently(
                        () -> store.dense(tenant, collection, embed(collection, query), candidates, filter, Math.max(ef, candidates)),
                        () -> store.lexical(tenant, collection, query, candidates, filter), settings.rrfK(), topK);
            }
        };
    }

    private float[] embed(CollectionInfo collection, String query) {
        float[] vector = embeddings.embed(collection.embeddingModel(), query);
        if (vector.length != collection.dimension()) {
            throw new SextantException(RetrievalErrors.UPSTREAM_FAILED, null, "Model '" + collection.embeddingModel()
                    + "' returned " + vector.length + " dimensions; collection '" + collection.name() + "' holds " + collection.dimension());
        }
        return vector;
    }
}
