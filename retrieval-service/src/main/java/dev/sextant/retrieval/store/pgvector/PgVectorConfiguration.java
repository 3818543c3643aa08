package dev.sextant.retrieval.store.pgvector;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import org.flywaydb.core.Flyway;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.sextant.retrieval.RetrievalProperties;

/**
 * Wires the pgvector store when {@code sextant.retrieval.store=pgvector}: a Hikari pool to
 * {@code sextant.retrieval.pgvector.url}, Flyway migrations at start-up, and the store. Kept apart from Boot's
 * DataSource auto-configuration so that the embedded (Lucene) default starts with no database at all.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "sextant.retrieval.store", havingValue = "pgvector")
class PgVectorConfiguration {

    @Bean(destroyMethod = "close")
    HikariDataSource retrievalDataSource(RetrievalProperties properties) {
        RetrievalProperties.Pgvector pg = properties.pgvector();
        if (pg.url() == null || pg.url().isBlank()) {
            throw new IllegalStateException("sextant.retrieval.store=pgvector needs sextant.retrieval.pgvector.url "
                    + "(environment SEXTANT_RETRIEVAL_DB_URL), e.g. jdbc:postgresql://127.0.0.1:5432/sextant_retrieval");
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(pg.url());
        config.setUsername(pg.username());
        config.setPassword(pg.password());
        config.setMaximumPoolSize(pg.poolSize());
        config.setPoolName("retrieval");
        return new HikariDataSource(config);
    }

    @Bean
    PgVectorStore pgVectorStore(HikariDataSource dataSource, RetrievalProperties properties) {
        migrate(dataSource);
        DataSourceTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        TenantTransactions tx = new TenantTransactions(new JdbcTemplate(dataSource), new TransactionTemplate(transactions));
        RetrievalProperties.Pgvector pg = properties.pgvector();
        return new PgVectorStore(tx, pg.hnswM(), pg.hnswEfConstruction(), pg.lexicalCandidates());
    }

    /** Applies db/migration; the migrating role must own the tables (the policies are FORCEd on their owner). */
    static void migrate(DataSource dataSource) {
        Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    }
}
