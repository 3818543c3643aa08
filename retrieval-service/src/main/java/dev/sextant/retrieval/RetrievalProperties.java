package dev.sextant.retrieval;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code sextant.retrieval.*}: which store, how its HNSW graphs are built and searched, how hybrid search fuses,
 * where inference-service is and when a RAG question has no relevant passage.
 *
 * @param store {@code lucene} (embedded, the default: no server needed) or {@code pgvector}
 */
@ConfigurationProperties("sextant.retrieval")
public record RetrievalProperties(
        @DefaultValue("lucene") String store,
        @DefaultValue Pgvector pgvector,
        @DefaultValue Lucene lucene,
        @DefaultValue Search search,
        @DefaultValue Inference inference,
        @DefaultValue Rag rag) {

    /**
     * PostgreSQL connection (a non-superuser that owns the tables), HNSW build parameters of new collections, and
     * {@code lexicalCandidates}: how many chunks holding its rarest terms a lexical query ranks at most.
     */
    public record Pgvector(String url, String username, String password,
            @DefaultValue("10") int poolSize,
            @DefaultValue("16") int hnswM,
            @DefaultValue("64") int hnswEfConstruction,
            @DefaultValue("2000") int lexicalCandidates) {
    }

    /**
     * Index folder and HNSW parameters of the embedded store; {@code commitInterval} 0 (default) commits every
     * write before answering, a positive interval batches fsyncs (writes still visible at once).
     */
    public record Lucene(@DefaultValue("data/retrieval") Path path,
            @DefaultValue("16") int hnswM,
            @DefaultValue("100") int hnswBeamWidth,
            @DefaultValue("0s") Duration commitInterval) {
    }

    /**
     * @param efSearch HNSW beam at query time when a request names none (raised to top_k when smaller)
     * @param rrfK reciprocal rank fusion constant: score = sum of 1 / (k + rank)
     * @param hybridCandidates how many hits each of dense and lexical contributes before fusion
     */
    public record Search(@DefaultValue("40") int efSearch,
            @DefaultValue("60") int rrfK,
            @DefaultValue("50") int hybridCandidates,
            @DefaultValue("100") int maxTopK) {
    }

    /**
     * inference-service, for query embeddings and chat completions.
     *
     * @param modelCheckTtl how long a model inference-service said it serves is taken as served without asking again
     */
    public record Inference(@DefaultValue("http://127.0.0.1:8081") String url,
            @DefaultValue("120s") Duration chatTimeout,
            @DefaultValue("10s") Duration modelCheckTtl) {
    }

    /**
     * @param minScore a question whose best passage has a lower cosine similarity gets "no relevant passage"
     *                 without calling the model
     * @param maxTokens completion budget of an answer
     */
    public record Rag(@DefaultValue("0.3") double minScore,
            @DefaultValue("512") int maxTokens) {
    }
}
