package dev.sextant.retrieval.store.pgvector;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

import dev.sextant.retrieval.store.filter.Filter;
import dev.sextant.retrieval.store.filter.FilterParser;
import tools.jackson.databind.json.JsonMapper;

/**
 * A filter compiled to a SQL boolean expression over {@code c.metadata} plus its bind values. Only fixed SQL text
 * and '?' placeholders are emitted: field paths and values always travel as parameters, so nothing a caller sends
 * can change the statement. Each comparison is wrapped so that it is false (never NULL) when the field is missing
 * or of another type, which keeps {@code not} two-valued and equal to the Lucene store's semantics.
 */
record SqlFilter(String sql, List<Object> params) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static SqlFilter compile(Filter filter) {
        List<Object> params = new ArrayList<>();
        String sql = emit(filter, params);
        return new SqlFilter(sql, List.copyOf(params));
    }

    private static String emit(Filter filter, List<Object> params) {
        return switch (filter) {
            case Filter.Eq eq -> {
                params.add(path(eq.field()));
                params.add(JSON.writeValueAsString(eq.value()));
                yield "coalesce((c.metadata #> string_to_array(?, '.')) = ?::jsonb, false)";
            }
            case Filter.In in -> {
                StringJoiner any = new StringJoiner(" OR ", "(", ")");
                for (Object value : in.values()) {
                    any.add(emit(new Filter.Eq(in.field(), value), params));
                }
                yield any.toString();
            }
            case Filter.Range range -> {
                params.add(path(range.field()));
                StringJoiner bounds = new StringJoiner(" AND ");
                bound(range.field(), ">", range.gt(), bounds, params);
                bound(range.field(), ">=", range.gte(), bounds, params);
                bound(range.field(), "<", range.lt(), bounds, params);
                bound(range.field(), "<=", range.lte(), bounds, params);
                yield "(CASE WHEN jsonb_typeof(c.metadata #> string_to_array(?, '.')) = 'number' THEN " + bounds
                        + " ELSE false END)";
            }
            case Filter.And and -> join(and.filters(), " AND ", "true", params);
            case Filter.Or or -> join(or.filters(), " OR ", "false", params);
            case Filter.Not not -> "(NOT " + emit(not.filter(), params) + ")";
        };
    }

    private static void bound(String field, String operator, BigDecimal value, StringJoiner bounds, List<Object> params) {
        if (value != null) {
            params.add(path(field));
            params.add(value);
            bounds.add("(c.metadata #>> string_to_array(?, '.'))::numeric " + operator + " ?::numeric");
        }
    }

    private static String join(List<Filter> filters, String operator, String empty, List<Object> params) {
        if (filters.isEmpty()) {
            return empty;
        }
        StringJoiner joined = new StringJoiner(operator, "(", ")");
        for (Filter f : filters) {
            joined.add(emit(f, params));
        }
        return joined.toString();
    }

    private static String path(String field) {
        if (!FilterParser.FIELD.matcher(field).matches()) {
            throw new IllegalArgumentException("Invalid filter field");
        }
        return field;
    }
}
