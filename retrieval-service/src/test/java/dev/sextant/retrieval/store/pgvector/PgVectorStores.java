package dev.sextant.retrieval.store.pgvector;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

import javax.sql.DataSource;

import org.postgresql.PGConnection;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.sextant.retrieval.store.CollectionInfo;

/** Opens a migrated {@link PgVectorStore} outside Spring, for tests and benchmark programs. */
public final class PgVectorStores {

    private PgVectorStores() {
    }

    public static PgVectorStore open(DataSource dataSource, int hnswM, int hnswEfConstruction) {
        PgVectorConfiguration.migrate(dataSource);
        return new PgVectorStore(new TenantTransactions(new JdbcTemplate(dataSource),
                new TransactionTemplate(new DataSourceTransactionManager(dataSource))), hnswM, hnswEfConstruction);
    }

    /**
     * Benchmark loading, much faster than {@code replaceDocument} per document: drops the collection's HNSW index,
     * COPYs the chunks into a temporary table (COPY FROM is refused on tables with row-level security) and inserts
     * them from there as the tenant in one transaction, then builds the HNSW index once over the loaded rows (with
     * a larger maintenance_work_mem, as pgvector advises) and VACUUMs (ANALYZE). The triggers fill postings and
     * lexeme_stats as for any insert. Chunk i belongs to document
     * {@code "d" + i / chunksPerDocument} as chunk {@code i % chunksPerDocument}; documents have version 1 and no
     * metadata.
     */
    public static void bulkLoad(DataSource dataSource, PgVectorStore store, String tenant, CollectionInfo c,
            int chunksPerDocument, String[] texts, float[][] vectors) throws Exception {
        long collectionId = Long.parseLong(c.id());
        try (Connection conn = dataSource.getConnection()) {
            conn.setAutoCommit(false);
            try (Statement sql = conn.createStatement()) {
                try (PreparedStatement set = conn.prepareStatement("SELECT set_config('app.tenant', ?, true)")) {
                    set.setString(1, tenant);
                    set.execute();
                }
                sql.execute("DROP INDEX IF EXISTS " + PgVectorStore.indexName(collectionId));
                int documents = (texts.length + chunksPerDocument - 1) / chunksPerDocument;
                try (PreparedStatement doc = conn.prepareStatement(
                        "INSERT INTO documents (collection_id, document_id, tenant, version) VALUES (?, ?, ?, 1)")) {
                    for (int d = 0; d < documents; d++) {
                        doc.setLong(1, collectionId);
                        doc.setString(2, "d" + d);
                        doc.setString(3, tenant);
                        doc.addBatch();
                    }
                    doc.executeBatch();
                }
                sql.execute("CREATE TEMP TABLE bulk_chunks (document_id text, chunk_index int, text text, embedding vector) ON COMMIT DROP");
                StringBuilder rows = new StringBuilder();
                var copy = conn.unwrap(PGConnection.class).getCopyAPI();
                for (int i = 0; i < texts.length; i++) {
                    rows.append('d').append(i / chunksPerDocument).append('\t').append(i % chunksPerDocument).append('\t')
                            .append(escapeCopy(texts[i])).append("\t[");
                    float[] v = vectors[i];
                    for (int j = 0; j < v.length; j++) {
                        if (j > 0) {
                            rows.append(',');
                        }
                        rows.append(v[j]);
                    }
                    rows.append("]\n");
                    if (rows.length() > 8 << 20 || i == texts.length - 1) {
                        copy.copyIn("COPY bulk_chunks FROM STDIN", new StringReader(rows.toString()));
                        rows.setLength(0);
                    }
                }
                try (PreparedStatement insert = conn.prepareStatement("""
                        INSERT INTO chunks (collection_id, document_id, tenant, chunk_index, text, start_offset, end_offset, embedding)
                        SELECT ?, document_id, ?, chunk_index, text, 0, length(text), embedding FROM bulk_chunks""")) {
                    insert.setLong(1, collectionId);
                    insert.setString(2, tenant);
                    insert.executeUpdate();
                }
            }
            conn.commit();
            conn.setAutoCommit(true);
            try (Statement sql = conn.createStatement()) {
                sql.execute("SET maintenance_work_mem = '1GB'");
                sql.execute(store.hnswIndexDdl(c));
                sql.execute("RESET maintenance_work_mem");
                // Sets the visibility map too, so that lexical queries read postings by index-only scans at once.
                sql.execute("VACUUM (ANALYZE) chunks, postings, lexeme_stats");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Bulk load of " + texts.length + " chunks failed", e);
        }
    }

    private static String escapeCopy(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }
}
