package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml checked as data: no Docker engine runs here, so nothing is started. Every service, port,
 * depends_on, volume, bind mount, upstream URL and profile must resolve.
 */
class ComposeFileTests {

    private static final List<String> PROFILES = List.of("cpu", "gpu");
    private final ComposeFile compose = ComposeFile.load();
    private final Map<String, Integer> ports = Repo.servicePorts();

    @Test
    void definesTheFiveServicesWithDatabaseAndMonitoring() {
        assertThat(compose.services()).containsKeys("postgres", "prometheus", "grafana", "inference-service-gpu");
        assertThat(compose.services()).containsKeys(ports.keySet().toArray(String[]::new));
        assertThat(compose.service("postgres").get("image")).isEqualTo("pgvector/pgvector:pg16");
    }

    @Test
    void everyProfileRunsEachServiceExactlyOnce() {
        for (String profile : PROFILES) {
            for (String service : ports.keySet()) {
                long running = compose.services().keySet().stream()
                        .filter(name -> compose.hostNames(name).contains(service) && compose.activeIn(name, profile))
                        .count();
                assertThat(running).as("%s in profile %s", service, profile).isEqualTo(1);
            }
        }
    }

    @Test
    void gpuProfileReservesNvidiaDevicesForInferenceOnly() {
        Map<String, Object> gpu = compose.service("inference-service-gpu");
        assertThat(compose.profiles("inference-service-gpu")).containsExactly("gpu");
        Map<String, Object> reservations = ComposeFile.map(ComposeFile.map(ComposeFile.map(gpu.get("deploy")).get("resources")).get("reservations"));
        List<?> devices = (List<?>) reservations.get("devices");
        assertThat(devices).singleElement().satisfies(d -> {
            Map<String, Object> device = ComposeFile.map(d);
            assertThat(device.get("driver")).isEqualTo("nvidia");
            assertThat(ComposeFile.strings(device.get("capabilities"))).contains("gpu");
        });
        assertThat(ComposeFile.map(gpu.get("build")).get("target")).isEqualTo("cuda");

        assertThat(compose.profiles("inference-service")).containsExactly("cpu");
        assertThat(compose.service("inference-service")).doesNotContainKey("deploy");
        assertThat(ComposeFile.map(compose.service("inference-service").get("build")).get("target")).isEqualTo("cpu");
        compose.services().keySet().stream().filter(s -> !s.equals("inference-service-gpu"))
                .forEach(s -> assertThat(compose.service(s)).as(s).doesNotContainKey("deploy"));
    }

    @Test
    void dependenciesResolveAndRunInEveryProfileOfTheirDependent() {
        for (String name : compose.services().keySet()) {
            compose.dependsOn(name).forEach((dependency, required) -> {
                assertThat(compose.services()).as("%s depends_on %s", name, dependency).containsKey(dependency);
                if (required) {
                    for (String profile : PROFILES) {
                        if (compose.activeIn(name, profile)) {
                            assertThat(compose.activeIn(dependency, profile))
                                    .as("%s (profile %s) requires %s", name, profile, dependency).isTrue();
                        }
                    }
                }
            });
        }
    }

    @Test
    void databaseServicesWaitForAHealthyPostgres() {
        Map.of("retrieval-service", "SEXTANT_RETRIEVAL_DB_URL", "ingestion-service", "SEXTANT_INGESTION_DB_URL")
                .forEach((service, variable) -> {
                    Map<String, Object> deps = ComposeFile.map(compose.service(service).get("depends_on"));
                    assertThat(ComposeFile.map(deps.get("postgres"))).containsEntry("condition", "service_healthy");
                    assertThat(compose.environment(service).get(variable))
                            .isEqualTo("jdbc:postgresql://postgres:5432/sextant_" + service.replace("-service", ""));
                });
        assertThat(compose.service("postgres")).containsKey("healthcheck");
    }

    @Test
    void namedVolumesAreDeclaredAndBindMountsExist() {
        Set<String> used = new HashSet<>();
        for (String name : compose.services().keySet()) {
            for (String volume : ComposeFile.strings(compose.service(name).get("volumes"))) {
                String source = volume.split(":")[0];
                if (source.startsWith(".") || source.startsWith("/")) {
                    assertThat(Files.exists(Repo.root().resolve(source).normalize())).as("%s mounts %s", name, source).isTrue();
                } else {
                    assertThat(compose.volumes()).as("%s uses volume %s", name, source).containsKey(source);
                    used.add(source);
                }
            }
        }
        assertThat(used).as("every declared volume is used").containsExactlyInAnyOrderElementsOf(compose.volumes().keySet());
        assertThat(ComposeFile.strings(compose.service("inference-service").get("volumes"))).contains("model-cache:/models");
        assertThat(ComposeFile.strings(compose.service("postgres").get("volumes"))).contains("postgres-data:/var/lib/postgresql/data");
    }

    @Test
    void onlyTheGatewayIsPublishedOnAllInterfaces() {
        for (String name : compose.services().keySet()) {
            for (String port : ComposeFile.strings(compose.service(name).get("ports"))) {
                if (name.equals("gateway-service")) {
                    assertThat(port).isEqualTo("8080:8080");
                } else {
                    assertThat(port).as("%s publishes %s", name, port).startsWith("127.0.0.1:");
                }
            }
        }
        assertThat(ComposeFile.strings(compose.service("gateway-service").get("ports"))).containsExactly("8080:8080");
    }

    @Test
    void servicesListenWhereTheirHealthChecksAndNeighboursLook() {
        for (String name : compose.services().keySet()) {
            String service = ports.keySet().stream().filter(s -> compose.hostNames(name).contains(s)).findFirst().orElse(null);
            if (service == null) {
                continue;
            }
            int port = ports.get(service);
            assertThat(compose.environment(name)).as(name).containsEntry("PORT", String.valueOf(port));
            List<String> healthcheck = ComposeFile.strings(ComposeFile.map(compose.service(name).get("healthcheck")).get("test"));
            assertThat(String.join(" ", healthcheck)).as(name)
                    .contains("http://127.0.0.1:" + port + "/actuator/health/readiness");
        }
    }

    @Test
    void everyServiceUrlNamesAComposeServiceOnItsPort() {
        Pattern url = Pattern.compile("(?:jdbc:postgresql|http)://([a-z-]+):(\\d+)(/.*)?");
        List<String> checked = new ArrayList<>();
        for (String name : compose.services().keySet()) {
            compose.environment(name).forEach((key, value) -> {
                Matcher m = url.matcher(value);
                if (!m.matches()) {
                    return;
                }
                String host = m.group(1);
                int port = Integer.parseInt(m.group(2));
                assertThat(compose.services().keySet().stream().anyMatch(s -> compose.hostNames(s).contains(host)))
                        .as("%s %s=%s", name, key, value).isTrue();
                assertThat(port).as("%s %s=%s", name, key, value).isEqualTo(host.equals("postgres") ? 5432
                        : host.equals("prometheus") ? 9090 : ports.get(host));
                checked.add(name + " -> " + host);
            });
        }
        assertThat(checked).contains("gateway-service -> inference-service", "gateway-service -> retrieval-service",
                "gateway-service -> ingestion-service", "gateway-service -> structured-output-service",
                "retrieval-service -> postgres", "ingestion-service -> postgres", "ingestion-service -> retrieval-service",
                "structured-output-service -> inference-service");
    }

    @Test
    void prometheusScrapesTheGatewayWithTheAdminKeyItIsGiven() {
        assertThat(compose.environment("gateway-service").get("SEXTANT_ADMIN_KEY")).startsWith("${SEXTANT_ADMIN_KEY:?");
        assertThat(ComposeFile.map(ComposeFile.map(compose.root().get("secrets")).get("sextant_admin_key")))
                .containsEntry("environment", "SEXTANT_ADMIN_KEY");
        assertThat(ComposeFile.strings(compose.service("prometheus").get("secrets"))).contains("sextant_admin_key");
        Map<String, Object> gatewayJob = ((List<?>) ComposeFile.loadYaml("deploy/prometheus/prometheus.yml").get("scrape_configs"))
                .stream().map(ComposeFile::map).filter(j -> j.get("job_name").equals("gateway-service")).findFirst().orElseThrow();
        assertThat(ComposeFile.map(gatewayJob.get("authorization")))
                .containsEntry("type", "Bearer").containsEntry("credentials_file", "/run/secrets/sextant_admin_key");
    }

    @Test
    void javaServicesRunReadOnlyWithAWritableTmp() {
        for (String name : compose.services().keySet()) {
            if (compose.hostNames(name).stream().noneMatch(ports::containsKey)) {
                continue;
            }
            Map<String, Object> service = compose.service(name);
            assertThat(service.get("read_only")).as(name).isEqualTo(true);
            assertThat(ComposeFile.strings(service.get("tmpfs"))).as(name).anyMatch(t -> t.startsWith("/tmp"));
            assertThat(ComposeFile.strings(service.get("cap_drop"))).as(name).contains("ALL");
            Map<String, Object> build = ComposeFile.map(service.get("build"));
            String dockerfile = String.valueOf(build.get("dockerfile"));
            assertThat(build.get("context")).isEqualTo(".");
            assertThat(Files.isRegularFile(Repo.path(dockerfile))).as(dockerfile).isTrue();
            if (build.get("target") != null) {
                assertThat(Repo.read(dockerfile)).as(dockerfile).containsPattern("(?m)^FROM .* AS " + build.get("target") + "$");
            }
        }
    }

    @Test
    void gatewayRefusesToStartWithoutAnApiKey() {
        assertThat(compose.environment("gateway-service").get("SEXTANT_API_KEY")).startsWith("${SEXTANT_API_KEY:?");
    }

    @Test
    void grafanaLoadsTheChartDashboardsAndTheProvisioning() {
        List<String> volumes = ComposeFile.strings(compose.service("grafana").get("volumes"));

        assertThat(volumes).contains("./helm/sextant/dashboards:/var/lib/grafana/dashboards/sextant:ro",
                "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro");
        Map<String, Object> provider = ComposeFile.map(ComposeFile.loadYaml("deploy/grafana/provisioning/dashboards/sextant.yml")
                .get("providers") instanceof List<?> l ? l.getFirst() : null);
        assertThat(ComposeFile.map(provider.get("options")).get("path")).isEqualTo("/var/lib/grafana/dashboards/sextant");
        Map<String, Object> datasource = ComposeFile.map(((List<?>) ComposeFile.loadYaml(
                "deploy/grafana/provisioning/datasources/prometheus.yml").get("datasources")).getFirst());
        assertThat(datasource.get("url")).isEqualTo("http://prometheus:9090");
        assertThat(compose.services()).containsKey("prometheus");
    }
}
