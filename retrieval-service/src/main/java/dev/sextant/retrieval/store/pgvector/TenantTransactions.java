package dev.sextant.retrieval.store.pgvector;

import java.util.Map;
import java.util.function.Function;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowCallbackHandler;
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
        return inTenant(tenant, Map.of(), work);
    }

    /**
     * As {@link #inTenant(String, Function)}, also setting each of {@code settings} transaction-locally in the same
     * first statement (one round trip for the tenant and a query's planner and index settings).
     */
    <T> T inTenant(String tenant, Map<String, String> settings, Function<JdbcTemplate, T> work) {
        if (tenant == null || tenant.isBlank()) {
            throw new IllegalArgumentException("A tenant is required");
        }
        StringBuilder sql = new StringBuilder("SELECT set_config('app.tenant', ?, true)");
        Object[] params = new Object[1 + 2 * settings.size()];
        params[0] = tenant;
        int i = 1;
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            sql.append(", set_config(?, ?, true)");
            params[i++] = setting.getKey();
            params[i++] = setting.getValue();
        }
        String statement = sql.toString();
        return transactions.execute(status -> {
            jdbc.query(statement, (RowCallbackHandler) rs -> {
            }, params);
            return work.apply(jdbc);
        });
    }
}
