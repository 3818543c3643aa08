package dev.sextant.retrieval.store.pgvector;

import javax.sql.DataSource;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** Opens a migrated {@link PgVectorStore} outside Spring, for tests and benchmark programs. */
public final class PgVectorStores {

    private PgVectorStores() {
    }

    public static PgVectorStore open(DataSource dataSource, int hnswM, int hnswEfConstruction) {
        PgVectorConfiguration.migrate(dataSource);
        return new PgVectorStore(new TenantTransactions(new JdbcTemplate(dataSource),
                new TransactionTemplate(new DataSourceTransactionManager(dataSource))), hnswM, hnswEfConstruction);
    }
}
