package dev.sextant.retrieval.store.lucene;

import java.math.BigDecimal;
import java.util.Map;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;

import dev.sextant.retrieval.store.filter.Filter;
import dev.sextant.retrieval.store.filter.FilterParser;

/**
 * Metadata as Lucene fields and filters as Lucene queries. Each scalar metadata value is indexed under a field
 * named for its JSON type ({@code ms.} string, {@code mn.} number as a DoublePoint, {@code mb.} boolean), with
 * nested objects flattened to dotted paths; arrays are not indexed. A comparison therefore only matches a value of
 * the same JSON type, as JSONB equality does in the pgvector store.
 */
final class LuceneFilter {

    private LuceneFilter() {
    }

    static void index(Document doc, Map<String, Object> metadata) {
        if (metadata != null) {
            flatten(doc, "", metadata);
        }
    }

    @SuppressWarnings("unchecked")
    private static void flatten(Document doc, String prefix, Map<String, Object> map) {
        for (Map.Entry<String, Object> e : map.entrySet()) {
            String path = prefix + e.getKey();
            if (!FilterParser.FIELD.matcher(path).matches()) {
                continue;
            }
            switch (e.getValue()) {
                case String s -> doc.add(new StringField("ms." + path, s, Field.Store.NO));
                case Boolean b -> doc.add(new StringField("mb." + path, b.toString(), Field.Store.NO));
                case Number n -> doc.add(new DoublePoint("mn." + path, n.doubleValue()));
                case Map<?, ?> nested -> flatten(doc, path + ".", (Map<String, Object>) nested);
                case null, default -> {
                }
            }
        }
    }

    static Query compile(Filter filter) {
        return switch (filter) {
            case Filter.Eq eq -> eq(eq.field(), eq.value());
            case Filter.In in -> {
                BooleanQuery.Builder any = new BooleanQuery.Builder();
                in.values().forEach(v -> any.add(eq(in.field(), v), Occur.SHOULD));
                yield any.build();
            }
            case Filter.Range r -> DoublePoint.newRangeQuery("mn." + r.field(),
                    r.gt() != null ? Math.nextUp(r.gt().doubleValue()) : r.gte() != null ? r.gte().doubleValue() : Double.NEGATIVE_INFINITY,
                    r.lt() != null ? Math.nextDown(r.lt().doubleValue()) : r.lte() != null ? r.lte().doubleValue() : Double.POSITIVE_INFINITY);
            case Filter.And and -> {
                if (and.filters().isEmpty()) {
                    yield new MatchAllDocsQuery();
                }
                BooleanQuery.Builder all = new BooleanQuery.Builder();
                and.filters().forEach(f -> all.add(compile(f), Occur.FILTER));
                yield all.build();
            }
            case Filter.Or or -> {
                if (or.filters().isEmpty()) {
                    yield new MatchNoDocsQuery();
                }
                BooleanQuery.Builder any = new BooleanQuery.Builder();
                or.filters().forEach(f -> any.add(compile(f), Occur.SHOULD));
                yield any.build();
            }
            case Filter.Not not -> new BooleanQuery.Builder()
                    .add(new MatchAllDocsQuery(), Occur.FILTER)
                    .add(compile(not.filter()), Occur.MUST_NOT)
                    .build();
        };
    }

    private static Query eq(String field, Object value) {
        return switch (value) {
            case String s -> new TermQuery(new Term("ms." + field, s));
            case Boolean b -> new TermQuery(new Term("mb." + field, b.toString()));
            case BigDecimal n -> DoublePoint.newExactQuery("mn." + field, n.doubleValue());
            default -> throw new IllegalArgumentException("Unsupported filter value " + value.getClass());
        };
    }
}
