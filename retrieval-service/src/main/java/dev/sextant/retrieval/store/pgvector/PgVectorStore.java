package dev.sextant.retrieval.store.pgvector;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.pgvector.PGvector;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.RowMapper;

import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.CollectionExistsException;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.DocumentInput;
import dev.sextant.retrieval.store.ScoredChunk;
import dev.sextant.retrieval.store.StaleVersionException;
import dev.sextant.retrieval.store.StoredChunk;
import dev.sextant.retrieval.store.VectorType;
import dev.sextant.retrieval.store.filter.Filter;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * PostgreSQL + pgvector: chunks in one table with a per-collection partial HNSW index on
 * {@code embedding::vector(dim)} (see V1 migration), full text in a generated tsvector with a GIN index, and every
 * statement inside a transaction bound to the tenant so that row-level security filters each row. Numbers inlined
 * in SQL text (dimension, collection id in index DDL, HNSW m and ef_construction) come from the database or typed
 * configuration, never from a request; everything else is a bind parameter.
 */
public final class PgVectorStore implements ChunkStore {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final TenantTransactions tx;
    private final int hnswM;
    private final int hnswEfConstruction;
    private final int lexicalCandidates;

    PgVectorStore(TenantTransactions tx, int hnswM, int hnswEfConstruction) {
        this(tx, hnswM, hnswEfConstruction, DEFAULT_LEXICAL_CANDIDATES);
    }

    /** @param lexicalCandidates how many postings of its rarest terms a lexical query ranks at most (see lexical) */
    PgVectorStore(TenantTransactions tx, int hnswM, int hnswEfConstruction, int lexicalCandidates) {
        if (lexicalCandidates < 1) {
            throw new IllegalArgumentException("lexicalCandidates must be positive, was " + lexicalCandidates);
        }
        this.tx = tx;
        this.hnswM = hnswM;
        this.hnswEfConstruction = hnswEfConstruction;
        this.lexicalCandidates = lexicalCandidates;
    }

    @Override
    public String kind() {
        return "pgvector";
    }

    @Override
    public CollectionInfo createCollection(String tenant, String name, String embeddingModel, int dimension, VectorType type) {
        try {
            return tx.inTenant(tenant, jdbc -> {
                CollectionInfo created = jdbc.queryForObject("""
                        INSERT INTO collections (tenant, name, embedding_model, dimension, vector_type)
                        VALUES (?, ?, ?, ?, ?) RETURNING *""", COLLECTION, tenant, name, embeddingModel, dimension, type.wire());
                jdbc.execute(hnswIndexDdl(created));
                return created;
            });
        } catch (DuplicateKeyException e) {
            throw new CollectionExistsException(name);
        }
    }

    @Override
    public List<CollectionInfo> listCollections(String tenant) {
        return tx.inTenant(tenant, jdbc -> jdbc.query("SELECT * FROM collections ORDER BY name", COLLECTION));
    }

    @Override
    public Optional<CollectionInfo> findCollection(String tenant, String name) {
        return tx.inTenant(tenant, jdbc -> jdbc.query("SELECT * FROM collections WHERE name = ?", COLLECTION, name)
                .stream().findFirst());
    }

    @Override
    public boolean deleteCollection(String tenant, String name) {
        return tx.inTenant(tenant, jdbc -> {
            List<Long> ids = jdbc.queryForList("SELECT id FROM collections WHERE name = ?", Long.class, name);
            for (long id : ids) {
                lockForWriting(jdbc, id);
                jdbc.update("DELETE FROM collections WHERE id = ?", id);
                jdbc.update("DELETE FROM lexeme_stats WHERE collection_id = ?", id);
                jdbc.execute("DROP INDEX IF EXISTS " + indexName(id));
            }
            return !ids.isEmpty();
        });
    }

    @Override
    public int replaceDocument(String tenant, CollectionInfo collection, DocumentInput doc) {
        long collectionId = Long.parseLong(collection.id());
        String metadata = JSON.writeValueAsString(doc.metadata() == null ? Map.of() : doc.metadata());
        return tx.inTenant(tenant, jdbc -> {
            requireVisible(jdbc, collectionId);
            lockForWriting(jdbc, collectionId);
            List<Long> accepted = jdbc.queryForList("""
                    INSERT INTO documents (collection_id, document_id, tenant, title, uri, content_hash, version, metadata)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb)
                    ON CONFLICT (collection_id, document_id) DO UPDATE
                      SET title = EXCLUDED.title, uri = EXCLUDED.uri, content_hash = EXCLUDED.content_hash,
                          version = EXCLUDED.version, metadata = EXCLUDED.metadata, updated_at = now()
                      WHERE documents.version <= EXCLUDED.version
                    RETURNING version""", Long.class,
                    collectionId, doc.documentId(), tenant, doc.title(), doc.uri(), doc.contentHash(), doc.version(), metadata);
            if (accepted.isEmpty()) {
                Long stored = jdbc.queryForObject("SELECT version FROM documents WHERE collection_id = ? AND document_id = ?",
                        Long.class, collectionId, doc.documentId());
                throw new StaleVersionException(doc.documentId(), stored == null ? -1 : stored, doc.version());
            }
            jdbc.update("DELETE FROM chunks WHERE collection_id = ? AND document_id = ?", collectionId, doc.documentId());
            jdbc.batchUpdate("""
                    INSERT INTO chunks (collection_id, document_id, tenant, chunk_index, text, start_offset, end_offset,
                                        page, heading_path, metadata, embedding)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)""", doc.chunks(), 500, (ps, chunk) -> {
                ps.setLong(1, collectionId);
                ps.setString(2, doc.documentId());
                ps.setString(3, tenant);
                ps.setInt(4, chunk.index());
                ps.setString(5, chunk.text());
                ps.setInt(6, chunk.startOffset());
                ps.setInt(7, chunk.endOffset());
                ps.setObject(8, chunk.page());
                List<String> headings = chunk.headingPath() == null ? List.of() : chunk.headingPath();
                ps.setArray(9, ps.getConnection().createArrayOf("text", headings.toArray()));
                ps.setString(10, metadata);
                ps.setObject(11, new PGvector(chunk.embedding()));
            });
            return doc.chunks().size();
        });
    }

    @Override
    public boolean deleteDocument(String tenant, CollectionInfo collection, String documentId) {
        long collectionId = Long.parseLong(collection.id());
        return tx.inTenant(tenant, jdbc -> {
            requireVisible(jdbc, collectionId);
            lockForWriting(jdbc, collectionId);
            return jdbc.update("DELETE FROM documents WHERE collection_id = ? AND document_id = ?", collectionId, documentId) > 0;
        });
    }

    @Override
    public List<ScoredChunk> dense(String tenant, CollectionInfo collection, float[] query, int topK, Filter filter, int efSearch) {
        SqlQuery dense = denseQuery(collection, query, topK, filter);
        return tx.inTenant(tenant, denseSettings(topK, filter, efSearch), jdbc -> jdbc.query(dense.sql(),
                (rs, n) -> new ScoredChunk(chunk(rs), 1.0 - rs.getDouble("distance")), dense.params().toArray()));
    }

    private static SqlQuery denseQuery(CollectionInfo collection, float[] query, int topK, Filter filter) {
        SqlFilter where = SqlFilter.compile(filter);
        String distance = castEmbedding("c.embedding", collection) + " <=> " + castParameter(collection);
        // Only the columns a hit needs: c.* would also ship the embedding (about 4 KB of text) and the tsvector.
        String sql = "WITH nn AS (SELECT " + HIT_COLUMNS + ", " + distance + " AS distance FROM chunks c WHERE c.collection_id = ? AND "
                + where.sql() + " ORDER BY " + distance + " LIMIT ?) " + SELECT_HITS + " ORDER BY nn.distance, nn.id";
        List<Object> params = new ArrayList<>();
        PGvector vector = new PGvector(query);
        params.add(vector);
        params.add(Long.parseLong(collection.id()));
        params.addAll(where.params());
        params.add(vector);
        params.add(topK);
        return new SqlQuery(sql, params);
    }

    private static Map<String, String> denseSettings(int topK, Filter filter, int efSearch) {
        Map<String, String> settings = new LinkedHashMap<>(SEARCH_SETTINGS);
        settings.put("hnsw.ef_search", String.valueOf(Math.min(1000, Math.max(efSearch, topK))));
        // Filters (and RLS) drop rows after the index scan; iterative scans keep going until top_k survive.
        settings.put("hnsw.iterative_scan", "relaxed_order");
        if (Filter.NONE.equals(filter)) {
            // Without a filter every row of the collection is the tenant's, so the HNSW scan always yields top_k.
            // Sorts priced out: with statistics that predate a collection (one row, the planner believes) or on a
            // small one, the plan was to compute every row's distance and sort (5,183 TOASTed SciFact-sized rows:
            // 23.7 ms against 6.3 ms by the collection's HNSW index). With a filter the planner keeps the choice:
            // an exact scan of few matching rows can beat an iterative index scan that may stop short of top_k.
            settings.put("enable_sort", "off");
        }
        return settings;
    }

    /** Test hook: the plan of a dense query as {@link #dense} runs it (same statement, same settings). */
    String explainDenseAsRun(String tenant, CollectionInfo collection, float[] query, int topK) {
        SqlQuery dense = denseQuery(collection, query, topK, Filter.NONE);
        return tx.inTenant(tenant, denseSettings(topK, Filter.NONE, 40), jdbc -> String.join("\n",
                jdbc.queryForList("EXPLAIN " + dense.sql(), String.class, dense.params().toArray())));
    }

    /**
     * BM25 over a bounded candidate set, from the {@code postings} table (an inverted index kept by triggers, V3
     * migration; the GIN index on tsv cannot serve queries under row-level security, see there). The query's
     * lexemes get their document frequency from {@code lexeme_stats}; candidates are the chunks holding its rarest
     * terms, taken rarest first while their document frequencies add up to at most {@code lexicalCandidates}
     * (2,000 by default; always at least the rarest term, and terms until {@code topK} postings are in): each such
     * term reads at most the postings left of that budget after the rarer ones (document frequencies are exact, so
     * the candidate set does not depend on the order in which the plan visits the terms). Stage 1 scores them by
     * BM25 (k1 = 1.2, b = 0.75, length = distinct lexemes) over those terms; stage 2 adds, for the best
     * {@link #RERANKED} (all of them when a filter is given), the BM25 contribution of the query's other, common
     * terms, by one primary-key probe of postings per (chunk, common term) pair (not a scan of the common terms'
     * long posting lists). Everything up to the final {@code topK} is read from the postings index alone (no chunk
     * rows, no tsvector). A chunk holding only common terms is not ranked: with IDF weights it ranks below those
     * holding a rare one, and skipping it keeps the cost independent of the collection's size.
     */
    @Override
    public List<ScoredChunk> lexical(String tenant, CollectionInfo collection, String query, int topK, Filter filter) {
        SqlQuery lexical = lexicalQuery(collection, query, topK, filter);
        return tx.inTenant(tenant, SEARCH_SETTINGS, jdbc -> jdbc.query(lexical.sql(),
                (rs, n) -> new ScoredChunk(chunk(rs), rs.getDouble("rank")), lexical.params().toArray()));
    }

    /** A statement and its bind parameters. */
    private record SqlQuery(String sql, List<Object> params) {
    }

    private SqlQuery lexicalQuery(CollectionInfo collection, String query, int topK, Filter filter) {
        long id = Long.parseLong(collection.id());
        boolean filtered = !Filter.NONE.equals(filter);
        SqlFilter where = SqlFilter.compile(filter);
        int candidates = Math.max(lexicalCandidates, topK);
        int reranked = filtered ? candidates : Math.max(RERANKED, topK);
        String bm25 = "X.idf * p.tf * 2.2 / (p.tf + 1.2 * (0.25 + 0.75 * p.len::float8 / s.avglen))";
        // Every lookup is a LATERAL subquery with a LIMIT, which the planner cannot flatten into a join: a probe of
        // the primary key on (collection_id, lexeme[, chunk_id]) or (id) per row, whatever the statistics say. With
        // the statistics of a newly filled collection stale, plain joins (and LATERAL subqueries without a LIMIT,
        // which the planner flattens into joins) were planned as scans of the collection's lexeme_stats, postings
        // or chunks with the other conditions as join filters (about 2 s per SciFact query right after loading).
        String ranked = filtered
                ? "ranked AS (SELECT c.id, stage2.rank FROM stage2 CROSS JOIN LATERAL (SELECT c.id FROM chunks c WHERE "
                        + "c.id = stage2.chunk_id AND " + where.sql() + " LIMIT 1) c ORDER BY stage2.rank DESC, c.id LIMIT ?)"
                : "ranked AS (SELECT stage2.chunk_id AS id, stage2.rank FROM stage2 ORDER BY stage2.rank DESC, stage2.chunk_id LIMIT ?)";
        String sql = """
                WITH s AS (SELECT greatest(chunk_count, 1)::float8 AS n,
                                  greatest(lexeme_total::float8 / greatest(chunk_count, 1), 1) AS avglen
                             FROM collections WHERE id = ?),
                t AS (SELECT ls.lexeme, ls.df, ln(1 + (s.n - ls.df + 0.5) / (ls.df + 0.5)) AS idf,
                             (sum(ls.df) OVER (ORDER BY ls.df, ls.lexeme))::bigint AS cumulative
                        FROM (SELECT DISTINCT lexeme FROM unnest(tsvector_to_array(to_tsvector('english', ?))) AS l(lexeme)) q
                        CROSS JOIN LATERAL (SELECT ls.lexeme, ls.df FROM lexeme_stats ls
                                             WHERE ls.collection_id = ? AND ls.lexeme = q.lexeme AND ls.df > 0 LIMIT 1) ls
                        CROSS JOIN s),
                e AS (SELECT t.*, t.cumulative - t.df < ? OR t.cumulative <= ? AS essential FROM t),
                p AS MATERIALIZED (SELECT p.chunk_id, e.idf, p.tf, p.len FROM e CROSS JOIN LATERAL (
                                     SELECT p.chunk_id, p.tf, p.len FROM postings p WHERE p.collection_id = ? AND p.lexeme = e.lexeme
                                      LIMIT greatest(?::bigint - (e.cumulative - e.df), 0)) p
                       WHERE e.essential LIMIT ?),
                stage1 AS MATERIALIZED (SELECT p.chunk_id, sum(BM25P) AS rank FROM p CROSS JOIN s
                            GROUP BY p.chunk_id ORDER BY rank DESC, p.chunk_id LIMIT ?),
                pairs AS MATERIALIZED (SELECT stage1.chunk_id, e.lexeme, e.idf FROM stage1 CROSS JOIN e WHERE NOT e.essential),
                common AS (SELECT e.chunk_id, BM25E AS rank FROM pairs e
                             CROSS JOIN LATERAL (SELECT p.tf, p.len FROM postings p
                                                  WHERE p.collection_id = ? AND p.lexeme = e.lexeme AND p.chunk_id = e.chunk_id LIMIT 1) p
                             CROSS JOIN s),
                stage2 AS (SELECT u.chunk_id, sum(u.rank) AS rank
                             FROM (SELECT chunk_id, rank FROM stage1 UNION ALL SELECT chunk_id, rank FROM common) u GROUP BY u.chunk_id),
                """.replace("BM25P", bm25.replace("X.", "p.")).replace("BM25E", bm25.replace("X.", "e.")) + ranked + """
                ,
                nn AS (SELECT c.*, ranked.rank FROM ranked CROSS JOIN LATERAL (SELECT\s""" + HIT_COLUMNS + """
                        FROM chunks c WHERE c.id = ranked.id LIMIT 1) c)
                """ + SELECT_HITS + " ORDER BY nn.rank DESC, nn.id";
        List<Object> params = new ArrayList<>();
        params.add(id);
        params.add(query);
        params.add(id);
        params.add(topK);
        params.add(lexicalCandidates);
        params.add(id);
        params.add(candidates);
        params.add(candidates);
        params.add(reranked);
        params.add(id);
        if (filtered) {
            params.addAll(where.params());
        }
        params.add(topK);
        return new SqlQuery(sql, params);
    }

    /** Foreign keys bypass row-level security, so a write checks that the collection is the tenant's own. */
    private static void requireVisible(JdbcTemplate jdbc, long collectionId) {
        if (jdbc.queryForList("SELECT id FROM collections WHERE id = ?", Long.class, collectionId).isEmpty()) {
            throw new IllegalArgumentException("No such collection for this tenant");
        }
    }

    /**
     * Writers of one collection take turns (transaction-scoped advisory lock on the collection id): the triggers
     * that keep lexeme_stats (V2 migration) lock its rows, and two writers each holding some of them while wanting
     * the other's would deadlock.
     */
    private static void lockForWriting(JdbcTemplate jdbc, long collectionId) {
        jdbc.query("SELECT pg_advisory_xact_lock(?)", (RowCallbackHandler) rs -> {
        }, collectionId);
    }

    /**
     * Test hook: the plan of a lexical query, with sequential and bitmap scans forbidden, to check that every read
     * of postings, lexeme_stats, chunks and documents can be a probe of a primary key with all its known columns.
     */
    String explainLexical(String tenant, CollectionInfo collection, String query, int topK) {
        SqlQuery lexical = lexicalQuery(collection, query, topK, Filter.NONE);
        Map<String, String> settings = new LinkedHashMap<>(SEARCH_SETTINGS);
        settings.put("enable_seqscan", "off");
        settings.put("enable_bitmapscan", "off");
        return tx.inTenant(tenant, settings, jdbc -> String.join("\n",
                jdbc.queryForList("EXPLAIN " + lexical.sql(), String.class, lexical.params().toArray())));
    }

    /** Test hook: the plan of a dense query, to check that the collection's HNSW index serves it. */
    String explainDense(String tenant, CollectionInfo collection, float[] query, int topK) {
        String distance = castEmbedding("c.embedding", collection) + " <=> " + castParameter(collection);
        String sql = "EXPLAIN SELECT c.id FROM chunks c WHERE c.collection_id = ? ORDER BY " + distance + " LIMIT ?";
        return tx.inTenant(tenant, jdbc -> {
            jdbc.queryForObject("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)", String.class);
            // On a collection this small, scanning its rows and sorting is cheaper; forbid scans and sorts to see
            // whether the collection's HNSW index can serve the ordered query.
            jdbc.queryForObject("SELECT set_config('enable_seqscan', 'off', true)", String.class);
            jdbc.queryForObject("SELECT set_config('enable_bitmapscan', 'off', true)", String.class);
            jdbc.queryForObject("SELECT set_config('enable_sort', 'off', true)", String.class);
            return String.join("\n", jdbc.queryForList(sql, String.class, Long.parseLong(collection.id()),
                    new PGvector(query), topK));
        });
    }

    private static final String HIT_COLUMNS = "c.id, c.collection_id, c.document_id, c.chunk_index, c.text, c.start_offset, "
            + "c.end_offset, c.page, c.heading_path, c.metadata";

    /**
     * Each hit's document by one primary-key probe (a LATERAL subquery with a LIMIT is never flattened into a join):
     * with the documents table's statistics stale (a newly filled collection), a join was planned as a nested loop
     * over the whole table per hit (dense search on 100,000 chunks: 3.4 ms against 1.1 ms by probes).
     */
    private static final String SELECT_HITS = "SELECT nn.*, d.title, d.uri, d.version FROM nn CROSS JOIN LATERAL "
            + "(SELECT d.title, d.uri, d.version FROM documents d WHERE d.collection_id = nn.collection_id "
            + "AND d.document_id = nn.document_id LIMIT 1) d";

    /** Default of how many postings (chunks) of its rarest terms a lexical query ranks at most. */
    static final int DEFAULT_LEXICAL_CANDIDATES = 2000;

    /** How many of a lexical query's stage-1 best get the common terms' contribution added (without a filter). */
    static final int RERANKED = 200;

    /**
     * Every search: custom plans, so that the planner sees collection_id's value and picks that collection's
     * partial HNSW index; no JIT (its compile time, tens of ms, exceeds these queries' run time).
     */
    private static final Map<String, String> SEARCH_SETTINGS = Map.of("plan_cache_mode", "force_custom_plan", "jit", "off");

    /** The collection's partial HNSW index (numbers only from the database and typed configuration). */
    String hnswIndexDdl(CollectionInfo c) {
        long id = Long.parseLong(c.id());
        return "CREATE INDEX " + indexName(id) + " ON chunks USING hnsw ((" + castEmbedding("embedding", c) + ") "
                + opClass(c.vectorType()) + ") WITH (m = " + hnswM + ", ef_construction = " + hnswEfConstruction
                + ") WHERE collection_id = " + id;
    }

    static String indexName(long collectionId) {
        return "chunks_hnsw_c" + collectionId;
    }

    private static String castEmbedding(String column, CollectionInfo c) {
        return "(" + column + "::" + type(c) + ")";
    }

    private static String castParameter(CollectionInfo c) {
        return "(?::vector(" + c.dimension() + ")::" + type(c) + ")";
    }

    private static String type(CollectionInfo c) {
        return (c.vectorType() == VectorType.HALFVEC ? "halfvec(" : "vector(") + c.dimension() + ")";
    }

    private static String opClass(VectorType type) {
        return type == VectorType.HALFVEC ? "halfvec_cosine_ops" : "vector_cosine_ops";
    }

    private static StoredChunk chunk(ResultSet rs) throws SQLException {
        Array headings = rs.getArray("heading_path");
        Object page = rs.getObject("page");
        return new StoredChunk(rs.getString("document_id"), rs.getInt("chunk_index"), rs.getString("text"),
                rs.getInt("start_offset"), rs.getInt("end_offset"), page == null ? null : ((Number) page).intValue(),
                headings == null ? List.of() : Arrays.asList((String[]) headings.getArray()),
                rs.getString("title"), rs.getString("uri"), rs.getLong("version"),
                JSON.readValue(rs.getString("metadata"), MAP));
    }

    private static final RowMapper<CollectionInfo> COLLECTION = (rs, n) -> new CollectionInfo(
            String.valueOf(rs.getLong("id")), rs.getString("tenant"), rs.getString("name"),
            rs.getString("embedding_model"), rs.getInt("dimension"), VectorType.fromWire(rs.getString("vector_type")),
            rs.getTimestamp("created_at").toInstant());
}
