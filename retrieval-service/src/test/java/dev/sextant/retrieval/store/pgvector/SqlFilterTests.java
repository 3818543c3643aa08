package dev.sextant.retrieval.store.pgvector;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.sextant.retrieval.store.filter.Filter;

class SqlFilterTests {

    @Test
    void valuesAndPathsTravelAsParametersNeverAsSqlText() {
        String evil = "x' OR '1'='1'); DROP TABLE chunks; --";
        SqlFilter sql = SqlFilter.compile(new Filter.Or(List.of(new Filter.Eq("lang", evil),
                new Filter.Not(new Filter.Range("year", null, new BigDecimal("2000"), null, null)))));
        assertThat(sql.sql()).doesNotContain(evil).doesNotContain("DROP").doesNotContain("lang").doesNotContain("2000");
        assertThat(sql.params()).containsExactly("lang", "\"" + evil.replace("\"", "\\\"") + "\"", "year", "year", new BigDecimal("2000"));
        assertThat(sql.sql().chars().filter(c -> c == '?').count()).isEqualTo(sql.params().size());
    }

    @Test
    void emptyAndIsTrueAndEmptyOrIsFalse() {
        assertThat(SqlFilter.compile(Filter.NONE).sql()).isEqualTo("true");
        assertThat(SqlFilter.compile(new Filter.Or(List.of())).sql()).isEqualTo("false");
    }

    @Test
    void inExpandsToOnePlaceholderPairPerValue() {
        SqlFilter sql = SqlFilter.compile(new Filter.In("k", List.of("a", new BigDecimal("2"), true)));
        assertThat(sql.params()).containsExactly("k", "\"a\"", "k", "2", "k", "true");
    }
}
