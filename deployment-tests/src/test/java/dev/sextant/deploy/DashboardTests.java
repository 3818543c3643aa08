package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Dashboards parse, pick their data source through a variable, and query only metrics on the expected list. */
class DashboardTests {

    static Stream<Path> dashboards() {
        return Dashboards.files().stream();
    }

    @Test
    void dashboardsCoverEveryService() {
        assertThat(Dashboards.files()).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrder(
                "sextant-gateway.json", "sextant-inference.json", "sextant-retrieval.json", "sextant-ingestion.json",
                "sextant-structured-output.json", "sextant-jvm.json");
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void hasAUniqueUidATitleAndPanels(Path file) {
        JsonNode dashboard = Dashboards.parse(file);

        assertThat(dashboard.path("uid").asText()).isEqualTo(file.getFileName().toString().replace(".json", ""));
        assertThat(dashboard.path("title").asText()).startsWith("Sextant / ");
        assertThat(Dashboards.panels(dashboard)).isNotEmpty();
        assertThat(dashboard.has("id")).as("no instance-specific id").isFalse();
        Set<Integer> ids = new HashSet<>();
        Dashboards.panels(dashboard).forEach(p -> assertThat(ids.add(p.path("id").asInt())).as("panel id " + p.path("id")).isTrue());
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void dataSourceIsAVariable(Path file) {
        JsonNode dashboard = Dashboards.parse(file);

        JsonNode variable = null;
        for (JsonNode v : dashboard.path("templating").path("list")) {
            if (v.path("name").asText().equals("datasource")) {
                variable = v;
            }
        }
        assertThat(variable).as("a 'datasource' variable").isNotNull();
        assertThat(variable.path("type").asText()).isEqualTo("datasource");
        assertThat(variable.path("query").asText()).isEqualTo("prometheus");
        for (JsonNode panel : Dashboards.panels(dashboard)) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText()).isEqualTo("${datasource}");
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            }
        }
        assertThat(dashboard.toString()).doesNotContain("${DS_");
    }

    @ParameterizedTest
    @MethodSource("dashboards")
    void everyQueryReadsOnlyExpectedMetrics(Path file) {
        JsonNode dashboard = Dashboards.parse(file);
        Map<String, String> expected = Dashboards.expectedMetrics();

        for (JsonNode panel : Dashboards.panels(dashboard)) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                Set<String> names = PromQl.metricNames(expr);
                assertThat(names).as("%s: %s", panel.path("title").asText(), expr).isNotEmpty();
                assertThat(expected.keySet()).as("%s: %s", panel.path("title").asText(), expr).containsAll(names);
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            String query = variable.path("query").isObject() ? variable.path("query").path("query").asText()
                    : variable.path("query").asText();
            assertThat(expected.keySet()).as("variable " + variable.path("name")).containsAll(PromQl.variableMetricNames(query));
        }
    }

    @Test
    void everyExpectedMetricIsUsedByADashboard() {
        Set<String> used = new HashSet<>();
        for (Path file : Dashboards.files()) {
            for (JsonNode panel : Dashboards.panels(Dashboards.parse(file))) {
                panel.path("targets").forEach(t -> used.addAll(PromQl.metricNames(t.path("expr").asText())));
            }
        }

        assertThat(used).containsAll(Dashboards.expectedMetrics().keySet());
    }

    @Test
    void expectedMetricsFollowPrometheusNamingAndNameTheirServiceStateAndMeter() {
        Set<String> owners = new HashSet<>(Repo.servicePorts().keySet());
        owners.addAll(Set.of("all", "db-services"));
        Dashboards.expectedMetrics().forEach((name, rest) -> {
            String[] columns = rest.split("\\s+");
            assertThat(name).matches("[a-z_:][a-z0-9_:]*");
            assertThat(owners).as(name).contains(columns[0]);
            assertThat(columns[1]).as(name).isIn("exported", "pending");
            assertThat(columns[2]).as(name).isIn("counter", "timer", "gauge", "summary");
            String prometheusBase = columns[3].replaceAll("[,:]$", "").replace('.', '_');
            assertThat(name).as("%s comes from meter %s", name, columns[3]).startsWith(prometheusBase);
        });
    }

    @Test
    void exportedSextantMetersAreRegisteredInTheirServicesCode() throws Exception {
        Map<String, String> missing = new java.util.TreeMap<>();
        for (var entry : Dashboards.expectedMetrics().entrySet()) {
            String[] columns = entry.getValue().split("\\s+");
            if (!entry.getKey().startsWith("sextant_") || !columns[1].equals("exported")) {
                continue;
            }
            String meter = "\"" + columns[3].replaceAll("[,:]$", "") + "\"";
            try (Stream<Path> files = Files.walk(Repo.path(columns[0] + "/src/main/java"))) {
                boolean found = files.filter(f -> f.toString().endsWith(".java")).anyMatch(f -> {
                    try {
                        return Files.readString(f).contains(meter);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                if (!found) {
                    missing.put(entry.getKey(), columns[0] + " has no " + meter);
                }
            }
        }
        assertThat(missing).as("marked exported in " + Dashboards.EXPECTED_METRICS + " but not registered").isEmpty();
    }

    @Test
    void dashboardsLiveOnlyInTheChart() throws Exception {
        try (Stream<Path> files = Files.walk(Repo.path("deploy"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".json")).toList())
                    .as("one copy: compose mounts helm/sextant/dashboards").isEmpty();
        }
    }
}
