package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PromQlTests {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "up | up",
        "rate(http_server_requests_seconds_count[5m]) | http_server_requests_seconds_count",
        "sum by (le, uri) (rate(x_bucket{application=\"gateway-service\", status=~\"5..\"}[$__rate_interval])) | x_bucket",
        "histogram_quantile(0.95, sum by (le) (rate(a_bucket[1m]))) | a_bucket",
        "sum(rate(a_total{result=\"hit\"}[5m])) / sum(rate(b_total[5m])) | a_total,b_total",
        "a_total / on (pod) group_left (model) b_info | a_total,b_info",
        "max by (model, pod) (c_ratio{model=~\"$model\"}) > bool 0.5 | c_ratio",
        "a and b or c unless d offset 5m | a,b,c,d",
        "sum without (instance) (rate(jvm_gc_pause_seconds_sum[${__rate_interval}])) | jvm_gc_pause_seconds_sum",
    })
    void findsTheMetricNamesAnExpressionReads(String expression, String expected) {
        assertThat(PromQl.metricNames(expression)).containsExactly(expected.split(","));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "label_values(sextant_gateway_requests_total, route) | sextant_gateway_requests_total",
        "label_values( jvm_memory_used_bytes ,application) | jvm_memory_used_bytes",
    })
    void findsTheMetricOfAVariableQuery(String query, String expected) {
        assertThat(PromQl.variableMetricNames(query)).containsExactly(expected);
    }
}
