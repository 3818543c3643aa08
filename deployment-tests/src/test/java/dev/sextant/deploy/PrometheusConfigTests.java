package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** deploy/prometheus/prometheus.yml scrapes every service by its compose name, port and actuator path. */
class PrometheusConfigTests {

    private final Map<String, Object> config = ComposeFile.loadYaml("deploy/prometheus/prometheus.yml");
    private final ComposeFile compose = ComposeFile.load();

    @Test
    void scrapesEveryServiceOnItsPortAtTheActuatorPath() {
        Map<String, String> targets = new LinkedHashMap<>();
        for (Object job : (List<?>) config.get("scrape_configs")) {
            Map<String, Object> scrape = ComposeFile.map(job);
            assertThat(scrape.get("metrics_path")).as(scrape.get("job_name").toString()).isEqualTo("/actuator/prometheus");
            for (Object staticConfig : (List<?>) scrape.get("static_configs")) {
                for (String target : ComposeFile.strings(ComposeFile.map(staticConfig).get("targets"))) {
                    targets.put(scrape.get("job_name").toString(), target);
                }
            }
        }

        Map<String, String> expected = new LinkedHashMap<>();
        Repo.servicePorts().forEach((service, port) -> expected.put(service, service + ":" + port));
        assertThat(targets).isEqualTo(expected);
    }

    @Test
    void everyTargetHostIsAComposeServiceInEveryProfile() {
        for (Object job : (List<?>) config.get("scrape_configs")) {
            for (Object staticConfig : (List<?>) ComposeFile.map(job).get("static_configs")) {
                for (String target : ComposeFile.strings(ComposeFile.map(staticConfig).get("targets"))) {
                    String host = target.split(":")[0];
                    for (String profile : List.of("cpu", "gpu")) {
                        assertThat(compose.services().keySet().stream()
                                .anyMatch(s -> compose.hostNames(s).contains(host) && compose.activeIn(s, profile)))
                                .as("%s resolves in profile %s", host, profile).isTrue();
                    }
                }
            }
        }
    }

    @Test
    void prometheusMountsThisConfig() {
        assertThat(ComposeFile.strings(compose.service("prometheus").get("volumes")))
                .contains("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    }
}
