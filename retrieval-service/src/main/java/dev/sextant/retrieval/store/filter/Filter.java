package dev.sextant.retrieval.store.filter;

import java.math.BigDecimal;
import java.util.List;

/**
 * A metadata filter over a chunk's document metadata, compiled by each store to its own query language
 * (parameterised SQL for pgvector, Lucene queries for the embedded store). Field names are dotted paths into the
 * metadata object ({@code "source.kind"}); they have been checked against {@link FilterParser#FIELD}. A comparison
 * with a field that is missing or of another JSON type is false, so {@code not} includes such chunks.
 *
 * <p>Wire form: {@code {"op":"eq","field":"lang","value":"en"}}, {@code {"op":"in","field":"lang","values":["en","de"]}},
 * {@code {"op":"range","field":"year","gte":2000,"lt":2010}}, {@code {"op":"and","filters":[...]}},
 * {@code {"op":"or","filters":[...]}}, {@code {"op":"not","filter":{...}}}.
 */
public sealed interface Filter {

    /** Matches everything. */
    Filter NONE = new And(List.of());

    /** {@code value} is a String, a BigDecimal or a Boolean. */
    record Eq(String field, Object value) implements Filter {
    }

    record In(String field, List<Object> values) implements Filter {
    }

    /** Numeric range; a null bound is open. */
    record Range(String field, BigDecimal gt, BigDecimal gte, BigDecimal lt, BigDecimal lte) implements Filter {
    }

    /** All of; empty matches everything. */
    record And(List<Filter> filters) implements Filter {
    }

    /** Any of; empty matches nothing. */
    record Or(List<Filter> filters) implements Filter {
    }

    record Not(Filter filter) implements Filter {
    }
}
