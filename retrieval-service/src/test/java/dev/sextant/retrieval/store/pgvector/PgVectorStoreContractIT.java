package dev.sextant.retrieval.store.pgvector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.sextant.retrieval.store.ChunkInput;
import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.ChunkStoreContractTests;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.DocumentInput;
import dev.sextant.retrieval.store.ScoredChunk;
import dev.sextant.retrieval.store.StaleVersionException;
import dev.sextant.retrieval.store.VectorType;
import dev.sextant.retrieval.store.filter.Filter;
import dev.sextant.retrieval.support.TestDatabase;

/** The contract suite on PostgreSQL + pgvector, plus what only the database can show: HNSW plans and RLS in SQL. */
class PgVectorStoreContractIT extends ChunkStoreContractTests {

    private static HikariDataSource dataSource;
    private static PgVectorStore store;

    @BeforeAll
    static void open() {
        TestDatabase.Connection db = TestDatabase.get();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.url());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setMaximumPoolSize(4);
        dataSource = new HikariDataSource(config);
        PgVectorConfiguration.migrate(dataSource);
        store = new PgVectorStore(new TenantTransactions(new JdbcTemplate(dataSource),
                new TransactionTemplate(new DataSourceTransactionManager(dataSource))), 16, 64);
    }

    @AfterAll
    static void close() {
        dataSource.close();
    }

    @Override
    protected ChunkStore store() {
        return store;
    }

    @Test
    void denseQueryCanUseTheCollectionsOwnHnswIndex() {
        String plan = store.explainDense(tenantA, docs, axis(0), 5);
        assertThat(plan).contains("Index Scan").contains(PgVectorStore.indexName(Long.parseLong(docs.id())));
        CollectionInfo half = store.createCollection(tenantA, "half-plan", "m", DIM, VectorType.HALFVEC);
        assertThat(store.explainDense(tenantA, half, axis(0), 5)).contains(PgVectorStore.indexName(Long.parseLong(half.id())));
    }

    /**
     * Statistics taken before a collection is filled (autovacuum has not caught up) make the planner believe it
     * empty; a lexical query must still read postings and lexeme_stats by probes on (collection_id, lexeme), not by
     * scanning the whole collection's list with the lexeme as a join filter (2 s per SciFact query, 100,000 times
     * more rows), and fetch hits by their keys.
     */
    @Test
    void lexicalQueryProbesItsLexemesEvenWhenStatisticsPredateTheCollection() throws Exception {
        CollectionInfo fresh = store.createCollection(tenantA, "stale-statistics", "m", DIM, VectorType.VECTOR);
        try (Connection c = dataSource.getConnection(); Statement sql = c.createStatement()) {
            sql.execute("ANALYZE postings, lexeme_stats, chunks, documents");
        }
        for (int d = 0; d < 30; d++) {
            List<ChunkInput> chunks = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int n = d * 10 + i;
                chunks.add(new ChunkInput(i, "common words everywhere topic" + n % 7 + " item" + n % 50 + " unique" + n, 0, 10,
                        null, List.of(), axis(n % DIM)));
            }
            store.replaceDocument(tenantA, fresh, new DocumentInput("doc" + d, "t", null, null, 1, Map.of(), chunks));
        }
        assertThat(store.lexical(tenantA, fresh, "common topic3 item7 unique7", 5, Filter.NONE).getFirst().chunk().text())
                .contains("unique7");
        String plan = store.explainLexical(tenantA, fresh, "common topic3 item7 unique7", 5);
        String[] lines = plan.split("\n");
        int probes = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(" on postings ") || lines[i].contains(" on lexeme_stats ")) {
                probes++;
                assertThat(lines[i + 1]).as(plan).contains("Index Cond:").contains("lexeme = ");
            }
        }
        assertThat(probes).as(plan).isGreaterThanOrEqualTo(3);
        assertThat(plan).doesNotContain("Join Filter").doesNotContain("Seq Scan")
                .contains("Index Scan using chunks_pkey").contains("Index Scan using documents_pkey");
        // Dense, as it runs: the collection's HNSW graph, not every row's distance sorted.
        assertThat(store.explainDenseAsRun(tenantA, fresh, axis(1), 5))
                .contains("Index Scan using " + PgVectorStore.indexName(Long.parseLong(fresh.id())));
    }

    @Test
    void rowLevelSecurityHidesOtherTenantsRowsFromPlainSql() throws Exception {
        try (Connection c = dataSource.getConnection(); Statement sql = c.createStatement()) {
            c.setAutoCommit(false);
            sql.execute("SELECT set_config('app.tenant', '" + tenantB + "', true)");
            assertThat(count(sql, "SELECT count(*) FROM chunks WHERE tenant = '" + tenantA + "'")).isZero();
            assertThat(count(sql, "SELECT count(*) FROM chunks WHERE true OR tenant <> ''")).isZero();
            assertThat(count(sql, "SELECT count(*) FROM collections WHERE id = " + docs.id())).isZero();
            assertThat(count(sql, "SELECT count(*) FROM documents")).isZero();
            assertThat(count(sql, "SELECT count(*) FROM lexeme_stats")).isZero();
            c.rollback();
            sql.execute("SELECT set_config('app.tenant', '" + tenantA + "', true)");
            assertThat(count(sql, "SELECT count(*) FROM chunks")).isEqualTo(3);
            assertThat(count(sql, "SELECT count(*) FROM lexeme_stats WHERE collection_id = " + docs.id())).isPositive();
            c.rollback();
            // No tenant bound at all: nothing is visible.
            assertThat(count(sql, "SELECT count(*) FROM chunks")).isZero();
            c.rollback();
        }
    }

    @Test
    void rowLevelSecurityRefusesWritingRowsOfAnotherTenant() throws Exception {
        try (Connection c = dataSource.getConnection(); Statement sql = c.createStatement()) {
            c.setAutoCommit(false);
            sql.execute("SELECT set_config('app.tenant', '" + tenantB + "', true)");
            assertThatThrownBy(() -> sql.execute("INSERT INTO collections (tenant, name, embedding_model, dimension, vector_type) "
                    + "VALUES ('" + tenantA + "', 'sneaky', 'm', 8, 'vector')"))
                    .hasMessageContaining("row-level security");
            c.rollback();
            sql.execute("SELECT set_config('app.tenant', '" + tenantB + "', true)");
            assertThat(sql.executeUpdate("UPDATE chunks SET text = 'owned' WHERE tenant = '" + tenantA + "'")).isZero();
            assertThat(sql.executeUpdate("DELETE FROM chunks")).isZero();
            c.rollback();
        }
    }

    @Test
    void serviceRoleIsNeitherSuperuserNorExemptFromRowSecurity() throws Exception {
        try (Connection c = dataSource.getConnection(); Statement sql = c.createStatement();
                ResultSet rs = sql.executeQuery("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).as("superuser").isFalse();
            assertThat(rs.getBoolean(2)).as("bypassrls").isFalse();
        }
    }

    @Test
    void lexemeStatisticsStayExactThroughReplaceDeleteAndCollectionDrop() throws Exception {
        assertStatisticsMatchChunks(tenantA, docs);
        store.replaceDocument(tenantA, docs, doc("cats", 2, Map.of(), "Lions and tigers, cats of another kind.", axis(0)));
        store.replaceDocument(tenantA, docs, new DocumentInput("zoo", "Zoo", null, "h", 1, Map.of(), List.of(
                new ChunkInput(0, "Tigers sleep.", 0, 13, null, List.of(), axis(3)),
                new ChunkInput(1, "Tigers and lions eat.", 14, 35, null, List.of(), axis(4)))));
        assertStatisticsMatchChunks(tenantA, docs);
        assertThat(statistics(tenantA, docs)).containsEntry("tiger", 3L).containsEntry("lion", 2L);
        store.deleteDocument(tenantA, docs, "zoo");
        assertStatisticsMatchChunks(tenantA, docs);
        assertThat(statistics(tenantA, docs)).containsEntry("tiger", 1L);
        store.deleteCollection(tenantA, "docs");
        try (Connection c = dataSource.getConnection(); Statement sql = c.createStatement()) {
            c.setAutoCommit(false);
            sql.execute("SELECT set_config('app.tenant', '" + tenantA + "', true)");
            assertThat(count(sql, "SELECT count(*) FROM lexeme_stats WHERE collection_id = " + docs.id())).isZero();
            c.rollback();
        }
    }

    @Test
    void concurrentWritersOfOneCollectionNeitherDeadlockNorLoseCounts() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                int n = i;
                // Overlapping vocabularies and re-written documents: each write deletes and inserts shared lexemes.
                writes.add(pool.submit(() -> {
                    try {
                        store.replaceDocument(tenantA, docs, doc("doc" + (n % 6), n, Map.of(),
                                "shared words alpha beta gamma " + "word" + n + " delta epsilon", axis(n % DIM)));
                    } catch (StaleVersionException expected) {
                        // a later version of the document got in first: refused, as it should be
                    }
                }));
            }
            for (Future<?> write : writes) {
                write.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertStatisticsMatchChunks(tenantA, docs);
        assertThat(statistics(tenantA, docs)).containsEntry("share", 6L);
    }

    @Test
    void lexicalRanksRareTermsAboveCommonOnesAndOnlyTheRarestTermsChunks() {
        CollectionInfo c = store.createCollection(tenantA, "idf", "m", DIM, VectorType.VECTOR);
        for (int i = 0; i < 6; i++) {
            store.replaceDocument(tenantA, c, doc("common" + i, 1, Map.of(), "common common words number " + i, axis(i % DIM)));
        }
        store.replaceDocument(tenantA, c, doc("rare", 1, Map.of(), "a rare word among other words", axis(0)));
        List<ScoredChunk> hits = store.lexical(tenantA, c, "common rare", 10, Filter.NONE);
        // IDF: the one chunk with the rare term first, although six others hold "common" (twice).
        assertThat(hits.getFirst().chunk().documentId()).isEqualTo("rare");
        assertThat(hits).hasSize(7);
        // A store that ranks at most 3 postings: the rarest term (1 posting) is always taken; "common" (6 more, over
        // the bound) only while fewer than top_k postings are in: with top_k 10 it is, with top_k 1 it is not.
        PgVectorStore bounded = new PgVectorStore(new TenantTransactions(new JdbcTemplate(dataSource),
                new TransactionTemplate(new DataSourceTransactionManager(dataSource))), 16, 64, 3);
        assertThat(bounded.lexical(tenantA, c, "common rare", 10, Filter.NONE)).hasSize(7);
        assertThat(bounded.lexical(tenantA, c, "common rare", 1, Filter.NONE))
                .singleElement().satisfies(h -> assertThat(h.chunk().documentId()).isEqualTo("rare"));
    }

    /** lexeme_stats and collections' counters equal a recount from the chunks themselves. */
    private static void assertStatisticsMatchChunks(String tenant, CollectionInfo c) throws Exception {
        try (Connection conn = dataSource.getConnection(); Statement sql = conn.createStatement()) {
            conn.setAutoCommit(false);
            sql.execute("SELECT set_config('app.tenant', '" + tenant + "', true)");
            Map<String, Long> recount = new TreeMap<>();
            try (ResultSet rs = sql.executeQuery("SELECT l, count(*) FROM chunks, unnest(tsvector_to_array(tsv)) l "
                    + "WHERE collection_id = " + c.id() + " GROUP BY l")) {
                while (rs.next()) {
                    recount.put(rs.getString(1), rs.getLong(2));
                }
            }
            assertThat(statistics(tenant, c)).isEqualTo(recount);
            try (ResultSet rs = sql.executeQuery("SELECT chunk_count, lexeme_total, (SELECT count(*) FROM chunks WHERE collection_id = "
                    + c.id() + "), (SELECT coalesce(sum(length(tsv)), 0) FROM chunks WHERE collection_id = " + c.id()
                    + ") FROM collections WHERE id = " + c.id())) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getLong(1)).as("chunk_count").isEqualTo(rs.getLong(3));
                assertThat(rs.getLong(2)).as("lexeme_total").isEqualTo(rs.getLong(4));
            }
            conn.rollback();
        }
    }

    private static Map<String, Long> statistics(String tenant, CollectionInfo c) throws Exception {
        try (Connection conn = dataSource.getConnection(); Statement sql = conn.createStatement()) {
            conn.setAutoCommit(false);
            sql.execute("SELECT set_config('app.tenant', '" + tenant + "', true)");
            Map<String, Long> df = new TreeMap<>();
            try (ResultSet rs = sql.executeQuery("SELECT lexeme, df FROM lexeme_stats WHERE df > 0 AND collection_id = " + c.id())) {
                while (rs.next()) {
                    df.put(rs.getString(1), rs.getLong(2));
                }
            }
            conn.rollback();
            return df;
        }
    }

    private static long count(Statement sql, String query) throws Exception {
        try (ResultSet rs = sql.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
