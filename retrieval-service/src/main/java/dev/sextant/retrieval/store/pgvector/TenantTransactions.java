package dev.sextant.retrieval.store.pgvector;

import java.util.function.Function;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs work in one transaction whose first statement binds {@code app.tenant} with {@code set_config(..., true)}
 * (transaction-local, like SET LOCAL), the key of every row-level security policy. The setting ends with the
 * transaction, so a pooled connection never carries one tenant into another's request.
 */
final class TenantTransactions {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;

    TenantTransactions(JdbcTemplate jdbc, TransactionTemplate transactions) {
        this.jdbc = jdbc;
        this.transactions = transactions;
    }

    <T> T inTenant(String tenant, Function<JdbcTemplate, T> work) {
        if (tenant == null || tenant.isBlank()) {
            throw new IllegalArgumentException("A tenant is required");
        }
        return transactions.execute(status -> {
            jdbc.queryForObject("SELECT set_config('app.tenant', ?, true)", String.class, tenant);
            return work.apply(jdbc);
        });
    }
}
