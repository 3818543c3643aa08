package dev.sextant.retrieval.store.pgvector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.ChunkStoreContractTests;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.VectorType;
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

    @Test
    void rowLevelSecurityHidesOtherTenantsRowsFromPlainSql() throws Exception {
        try (Connection c = dataSource.getConnection(); Statement sql = c.createStatement()) {
            c.setAutoCommit(false);
            sql.execute("SELECT set_config('app.tenant', '" + tenantB + "', true)");
            assertThat(count(sql, "SELECT count(*) FROM chunks WHERE tenant = '" + tenantA + "'")).isZero();
            assertThat(count(sql, "SELECT count(*) FROM chunks WHERE true OR tenant <> ''")).isZero();
            assertThat(count(sql, "SELECT count(*) FROM collections WHERE id = " + docs.id())).isZero();
            assertThat(count(sql, "SELECT count(*) FROM documents")).isZero();
            c.rollback();
            sql.execute("SELECT set_config('app.tenant', '" + tenantA + "', true)");
            assertThat(count(sql, "SELECT count(*) FROM chunks")).isEqualTo(3);
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

    private static long count(Statement sql, String query) throws Exception {
        try (ResultSet rs = sql.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
