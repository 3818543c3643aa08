package dev.sextant.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Grafana dashboards (helm/sextant/dashboards, the one copy that the chart and docker-compose both use) and
 * the list of metric names they are allowed to query (deploy/expected-metrics.txt).
 */
final class Dashboards {

    static final String DIR = "helm/sextant/dashboards";
    static final String EXPECTED_METRICS = "deploy/expected-metrics.txt";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Dashboards() {
    }

    static List<Path> files() {
        try (Stream<Path> files = Files.list(Repo.path(DIR))) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new AssertionError(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Every panel, rows' nested panels included. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);
        }
        return panels;
    }

    /** Sample name → the rest of its line (service, meter), in file order. */
    static Map<String, String> expectedMetrics() {
        Map<String, String> metrics = new LinkedHashMap<>();
        for (String line : Repo.read(EXPECTED_METRICS).lines().toList()) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String[] parts = trimmed.split("\\s+", 2);
            if (metrics.put(parts[0], parts.length > 1 ? parts[1] : "") != null) {
                throw new AssertionError(EXPECTED_METRICS + " lists " + parts[0] + " twice");
            }
        }
        return metrics;
    }
}
