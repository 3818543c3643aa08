package dev.sextant.retrieval.store.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.sextant.support.SextantException;
import tools.jackson.databind.json.JsonMapper;

class FilterParserTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static Filter parse(String json) {
        return FilterParser.parse(JSON.readTree(json));
    }

    @Test
    void readsEveryOperator() {
        Filter f = parse("""
                {"op":"and","filters":[
                  {"op":"eq","field":"a.b","value":"x"},
                  {"op":"in","field":"n","values":[1,true,"s"]},
                  {"op":"not","filter":{"op":"range","field":"y","gte":1,"lt":2.5}},
                  {"op":"or","filters":[]}]}""");
        assertThat(f).isEqualTo(new Filter.And(List.of(
                new Filter.Eq("a.b", "x"),
                new Filter.In("n", List.of(new BigDecimal("1"), true, "s")),
                new Filter.Not(new Filter.Range("y", null, new BigDecimal("1"), new BigDecimal("2.5"), null)),
                new Filter.Or(List.of()))));
    }

    @Test
    void absentOrNullFilterMatchesEverything() {
        assertThat(FilterParser.parse(null)).isEqualTo(Filter.NONE);
        assertThat(parse("null")).isEqualTo(Filter.NONE);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"op\":\"eq\",\"field\":\"a'b\",\"value\":1}                      | filter.field",
            "{\"op\":\"eq\",\"field\":\"1a\",\"value\":1}                       | filter.field",
            "{\"op\":\"eq\",\"field\":\"a..b\",\"value\":1}                     | filter.field",
            "{\"op\":\"eq\",\"field\":\"a\"}                                    | filter.value",
            "{\"op\":\"eq\",\"field\":\"a\",\"value\":{\"x\":1}}                | filter.value",
            "{\"op\":\"eq\",\"field\":\"a\",\"value\":1,\"extra\":2}            | filter.extra",
            "{\"op\":\"like\",\"field\":\"a\"}                                  | filter.op",
            "{\"field\":\"a\"}                                                  | filter.op",
            "{\"op\":\"in\",\"field\":\"a\",\"values\":[]}                      | filter.values",
            "{\"op\":\"in\",\"field\":\"a\",\"values\":[1,[2]]}                 | filter.values[1]",
            "{\"op\":\"range\",\"field\":\"a\"}                                 | filter",
            "{\"op\":\"range\",\"field\":\"a\",\"gte\":\"2020\"}                | filter.gte",
            "{\"op\":\"range\",\"field\":\"a\",\"gt\":1,\"gte\":2}              | filter",
            "{\"op\":\"and\",\"filters\":{}}                                    | filter.filters",
            "{\"op\":\"or\",\"filters\":[{\"op\":\"eq\",\"field\":\"$x\",\"value\":1}]} | filter.filters[0].field",
            "{\"op\":\"not\"}                                                   | filter.filter",
            "[1,2]                                                              | filter"})
    void rejectsMalformedFilterNamingThePlace(String json, String field) {
        assertThatThrownBy(() -> parse(json)).isInstanceOfSatisfying(SextantException.class,
                e -> assertThat(e.field()).isEqualTo(field));
    }

    @Test
    void rejectsFiltersNestedTooDeep() {
        String json = "{\"op\":\"not\",\"filter\":".repeat(20) + "{\"op\":\"and\",\"filters\":[]}" + "}".repeat(20);
        assertThatThrownBy(() -> parse(json)).isInstanceOf(SextantException.class).hasMessageContaining("deeper");
    }
}
