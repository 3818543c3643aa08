package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The chart, linted and rendered by Helm itself, with default values and with the GPU / production values. */
class HelmChartTests {

    /** Autoscaled by default; ingestion too once its upload spool is shared (production values). */
    private static final Set<String> STATELESS = Set.of("gateway-service", "retrieval-service",
            "structured-output-service");

    static Stream<String> valuesSets() {
        return Stream.of("defaults", "production");
    }

    private static HelmChart.Rendered render(String valuesSet) {
        return "production".equals(valuesSet) ? HelmChart.renderProduction() : HelmChart.renderDefaults();
    }

    @Test
    void chartPassesStrictLint() {
        LintResult lint = HelmChart.lint();

        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void rendersOneDeploymentServiceAndServiceAccountPerService(String valuesSet) {
        HelmChart.Rendered rendered = render(valuesSet);

        for (String service : Repo.servicePorts().keySet()) {
            String name = "sextant-" + service;
            rendered.one(Deployment.class, name);
            rendered.one(Service.class, name);
            rendered.one(ServiceAccount.class, name);
            rendered.one(ConfigMap.class, name);
        }
        assertThat(rendered.all(Deployment.class)).hasSize(5);
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void servicesListenOnThePortsTheApplicationsUse(String valuesSet) {
        HelmChart.Rendered rendered = render(valuesSet);

        Repo.servicePorts().forEach((service, port) -> {
            Container container = container(rendered.one(Deployment.class, "sextant-" + service));
            assertThat(container.getPorts()).singleElement()
                    .satisfies(p -> assertThat(p.getContainerPort()).as(service).isEqualTo(port));
            assertThat(rendered.one(Service.class, "sextant-" + service).getSpec().getPorts()).singleElement()
                    .satisfies(p -> assertThat(p.getPort()).as(service).isEqualTo(port));
            assertThat(rendered.one(ConfigMap.class, "sextant-" + service).getData()).containsEntry("PORT", port.toString());
        });
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void everyDeploymentHasActuatorProbesAndAStartupProbe(String valuesSet) {
        for (Deployment deployment : render(valuesSet).all(Deployment.class)) {
            Container c = container(deployment);
            String name = deployment.getMetadata().getName();
            assertThat(path(c.getLivenessProbe())).as(name).isEqualTo("/actuator/health/liveness");
            assertThat(path(c.getReadinessProbe())).as(name).isEqualTo("/actuator/health/readiness");
            assertThat(c.getStartupProbe()).as(name).isNotNull();
            assertThat(path(c.getStartupProbe())).as(name).startsWith("/actuator/health/");
        }
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void inferenceStartupProbeAllowsTenMinutesForModelLoad(String valuesSet) {
        Probe startup = container(render(valuesSet).one(Deployment.class, "sextant-inference-service")).getStartupProbe();

        assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold()).isGreaterThanOrEqualTo(600);
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void everyContainerHasCpuAndMemoryRequestsAndLimits(String valuesSet) {
        for (Deployment deployment : render(valuesSet).all(Deployment.class)) {
            var resources = container(deployment).getResources();
            assertThat(resources.getRequests()).as(deployment.getMetadata().getName()).containsKeys("cpu", "memory");
            assertThat(resources.getLimits()).as(deployment.getMetadata().getName()).containsKeys("cpu", "memory");
            assertThat(Quantity.getAmountInBytes(resources.getLimits().get("memory")))
                    .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(resources.getRequests().get("memory")));
        }
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void noContainerRunsAsRootOrWritesItsRootFilesystem(String valuesSet) {
        for (Deployment deployment : render(valuesSet).all(Deployment.class)) {
            String name = deployment.getMetadata().getName();
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as(name).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).as(name).isPositive();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            var sc = container(deployment).getSecurityContext();
            assertThat(sc.getRunAsNonRoot()).as(name).isTrue();
            assertThat(sc.getReadOnlyRootFilesystem()).as(name).isTrue();
            assertThat(sc.getAllowPrivilegeEscalation()).as(name).isFalse();
            assertThat(sc.getCapabilities().getDrop()).as(name).containsExactly("ALL");
            assertThat(container(deployment).getVolumeMounts())
                    .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
            assertThat(volume(pod, "tmp").getEmptyDir()).as(name + " /tmp is an emptyDir").isNotNull();
            assertThat(pod.getAutomountServiceAccountToken()).as(name).isFalse();
        }
    }

    @Test
    void autoscalesEveryStatelessServiceAndLeavesTheirReplicasToTheAutoscaler() {
        HelmChart.Rendered rendered = HelmChart.renderDefaults();

        assertThat(rendered.all(HorizontalPodAutoscaler.class))
                .extracting(h -> h.getSpec().getScaleTargetRef().getName())
                .containsExactlyInAnyOrderElementsOf(STATELESS.stream().map(s -> "sextant-" + s).toList());
        for (HorizontalPodAutoscaler hpa : rendered.all(HorizontalPodAutoscaler.class)) {
            assertThat(hpa.getApiVersion()).isEqualTo("autoscaling/v2");
            assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
            assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
            Deployment target = rendered.one(Deployment.class, hpa.getSpec().getScaleTargetRef().getName());
            assertThat(target.getSpec().getReplicas()).as("replicas left to the HPA").isNull();
        }
        assertThat(rendered.one(Deployment.class, "sextant-inference-service").getSpec().getReplicas()).isEqualTo(1);
        assertThat(rendered.one(Deployment.class, "sextant-ingestion-service").getSpec().getReplicas()).isEqualTo(1);
    }

    @Test
    void ingestionScalesOnlyWithASharedSpool() {
        HelmChart.Rendered production = HelmChart.renderProduction();

        production.one(HorizontalPodAutoscaler.class, "sextant-ingestion-service");
        Volume spool = volume(pod(production.one(Deployment.class, "sextant-ingestion-service")), "spool");
        assertThat(spool.getPersistentVolumeClaim().getClaimName()).isEqualTo("sextant-ingestion-spool");
        assertThatThrownBy(() -> HelmChart.render(Map.of("services.ingestion.replicaCount", 3)))
                .hasMessageContaining("services.ingestion.spool.existingClaim");
        assertThatThrownBy(() -> HelmChart.render(Map.of("services.ingestion.autoscaling.enabled", true)))
                .hasMessageContaining("ReadWriteMany");
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void everyDeploymentHasADisruptionBudgetSelectingItsPods(String valuesSet) {
        HelmChart.Rendered rendered = render(valuesSet);

        for (Deployment deployment : rendered.all(Deployment.class)) {
            PodDisruptionBudget pdb = rendered.one(PodDisruptionBudget.class, deployment.getMetadata().getName());
            assertThat(pdb.getApiVersion()).isEqualTo("policy/v1");
            assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                    .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
            assertThat(pdb.getSpec().getMaxUnavailable()).as("never blocks a drain of a one-replica service").isNotNull();
        }
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void onlyTheGatewayIsExposedBeyondTheCluster(String valuesSet) {
        HelmChart.Rendered rendered = render(valuesSet);

        for (Service service : rendered.all(Service.class)) {
            if (!service.getMetadata().getName().equals("sextant-gateway-service")) {
                assertThat(service.getSpec().getType()).as(service.getMetadata().getName()).isEqualTo("ClusterIP");
            }
        }
        for (Ingress ingress : rendered.all(Ingress.class)) {
            List<IngressBackend> backends = ingress.getSpec().getRules().stream()
                    .flatMap(r -> r.getHttp().getPaths().stream()).map(p -> p.getBackend()).toList();
            assertThat(backends).isNotEmpty().allSatisfy(b ->
                    assertThat(b.getService().getName()).isEqualTo("sextant-gateway-service"));
        }
    }

    @Test
    void onlyTheGatewayServiceTypeCanBeChanged() {
        assertThatThrownBy(() -> HelmChart.render(Map.of("services.retrieval.service.type", "LoadBalancer")))
                .hasMessageContaining("/services/retrieval");
        HelmChart.Rendered rendered = HelmChart.render(Map.of("services.gateway.service.type", "LoadBalancer"));

        assertThat(rendered.one(Service.class, "sextant-gateway-service").getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(rendered.one(Service.class, "sextant-retrieval-service").getSpec().getType()).isEqualTo("ClusterIP");
    }

    @Test
    void productionValuesAddAnIngressWithTlsAndAServiceMonitor() {
        HelmChart.Rendered rendered = HelmChart.renderProduction();

        Ingress ingress = rendered.one(Ingress.class, "sextant-gateway-service");
        assertThat(ingress.getApiVersion()).isEqualTo("networking.k8s.io/v1");
        assertThat(ingress.getSpec().getTls()).isNotEmpty();
        assertThat(rendered.ofKind("ServiceMonitor")).hasSize(2)
                .allSatisfy(m -> assertThat(m.getApiVersion()).isEqualTo("monitoring.coreos.com/v1"));
        Map<String, Object> gateway = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(
                rendered.byKindAndName().get("ServiceMonitor/sextant-gateway"), Map.class);
        assertThat(gateway.toString()).contains("path=/actuator/prometheus")
                .contains("authorization={type=Bearer, credentials={name=sextant-auth, key=admin-key}}");
        Map<String, Object> services = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(
                rendered.byKindAndName().get("ServiceMonitor/sextant-services"), Map.class);
        assertThat(services.toString()).contains("operator=NotIn, values=[gateway-service]").doesNotContain("authorization");
    }

    @Test
    void defaultValuesRenderNoIngressAndNoServiceMonitor() {
        HelmChart.Rendered rendered = HelmChart.renderDefaults();

        assertThat(rendered.all(Ingress.class)).isEmpty();
        assertThat(rendered.ofKind("ServiceMonitor")).isEmpty();
    }

    @Test
    void gatewayReachesEveryOtherServiceThroughItsClusterName() {
        Map<String, String> env = HelmChart.renderDefaults().one(ConfigMap.class, "sextant-gateway-service").getData();

        assertThat(env).containsEntry("SEXTANT_INFERENCE_URL", "http://sextant-inference-service:8081")
                .containsEntry("SEXTANT_RETRIEVAL_URL", "http://sextant-retrieval-service:8082")
                .containsEntry("SEXTANT_INGESTION_URL", "http://sextant-ingestion-service:8083")
                .containsEntry("SEXTANT_STRUCTURED_OUTPUT_URL", "http://sextant-structured-output-service:8084");
    }

    @Test
    void databaseServicesGetTheirOwnDatabaseUrl() {
        HelmChart.Rendered rendered = HelmChart.renderDefaults();

        assertThat(rendered.one(ConfigMap.class, "sextant-retrieval-service").getData())
                .containsEntry("SEXTANT_RETRIEVAL_DB_URL", "jdbc:postgresql://postgresql:5432/sextant_retrieval")
                .containsEntry("SEXTANT_RETRIEVAL_STORE", "pgvector");
        assertThat(rendered.one(ConfigMap.class, "sextant-ingestion-service").getData())
                .containsEntry("SEXTANT_INGESTION_DB_URL", "jdbc:postgresql://postgresql:5432/sextant_ingestion");
        for (String service : List.of("gateway-service", "inference-service", "structured-output-service")) {
            assertThat(rendered.one(ConfigMap.class, "sextant-" + service).getData().values()).as(service)
                    .noneMatch(v -> v.startsWith("jdbc:"));
        }
    }

    @Test
    void modelCacheIsAPersistentVolumeClaimByDefault() {
        HelmChart.Rendered rendered = HelmChart.renderDefaults();

        Volume cache = volume(pod(rendered.one(Deployment.class, "sextant-inference-service")), "model-cache");
        assertThat(cache.getPersistentVolumeClaim().getClaimName()).isEqualTo("sextant-inference-service-model-cache");
        PersistentVolumeClaim claim = rendered.one(PersistentVolumeClaim.class, "sextant-inference-service-model-cache");
        assertThat(claim.getSpec().getResources().getRequests().get("storage")).isEqualTo(new Quantity("20Gi"));
        assertThat(container(rendered.one(Deployment.class, "sextant-inference-service")).getVolumeMounts())
                .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/models"));
    }

    @Test
    void modelCacheCanBeAHostPathWithoutAClaim() {
        HelmChart.Rendered rendered = HelmChart.render(Map.of("services.inference.modelCache.type", "hostPath",
                "services.inference.modelCache.hostPath", "/mnt/models"));

        Volume cache = volume(pod(rendered.one(Deployment.class, "sextant-inference-service")), "model-cache");
        assertThat(cache.getHostPath().getPath()).isEqualTo("/mnt/models");
        assertThat(rendered.all(PersistentVolumeClaim.class)).isEmpty();
    }

    @Test
    void modelCacheCanUseAnExistingClaim() {
        HelmChart.Rendered rendered = HelmChart.render(Map.of("services.inference.modelCache.existingClaim", "models-rwx"));

        Volume cache = volume(pod(rendered.one(Deployment.class, "sextant-inference-service")), "model-cache");
        assertThat(cache.getPersistentVolumeClaim().getClaimName()).isEqualTo("models-rwx");
        assertThat(rendered.all(PersistentVolumeClaim.class)).isEmpty();
    }

    @Test
    void unknownModelCacheTypeFailsTheSchemaCheck() {
        assertThatThrownBy(() -> HelmChart.render(Map.of("services.inference.modelCache.type", "nfs")))
                .hasMessageContaining("/services/inference/modelCache/type");
    }

    @Test
    void misspelledValueFailsTheSchemaCheckInsteadOfBeingIgnored() {
        assertThatThrownBy(() -> HelmChart.render(Map.of("services.inference.gpu.enable", true)))
                .hasMessageContaining("/services/inference/gpu").hasMessageContaining("enable");
    }

    @Test
    void changingTheConfigurationRollsThePods() {
        String before = HelmChart.renderDefaults().one(Deployment.class, "sextant-gateway-service")
                .getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/config");
        String after = HelmChart.render(Map.of("commonEnv.SEXTANT_LOG_FORMAT", "plain"))
                .one(Deployment.class, "sextant-gateway-service")
                .getSpec().getTemplate().getMetadata().getAnnotations().get("checksum/config");

        assertThat(after).isNotBlank().isNotEqualTo(before);
    }

    @Test
    void imagesCarryTheAppVersionAndTheInferenceVariant() {
        HelmChart.Rendered rendered = HelmChart.renderDefaults();

        assertThat(container(rendered.one(Deployment.class, "sextant-gateway-service")).getImage())
                .isEqualTo("ghcr.io/sextant/gateway-service:" + Repo.VERSION);
        assertThat(container(rendered.one(Deployment.class, "sextant-inference-service")).getImage())
                .isEqualTo("ghcr.io/sextant/inference-service:" + Repo.VERSION + "-cpu");
    }

    @Test
    void secretsNeverReachAConfigMap() {
        HelmChart.Rendered rendered = HelmChart.render(Map.of("auth.existingSecret", "", "auth.apiKey", "api-key-4f1c9e",
                "auth.adminKey", "admin-key-77d2ab", "database.existingSecret", "", "database.username", "sextant",
                "database.password", "db-pass-0c3e51"));

        for (ConfigMap configMap : rendered.all(ConfigMap.class)) {
            String text = String.valueOf(configMap.getData());
            assertThat(text).as(configMap.getMetadata().getName())
                    .doesNotContain("api-key-4f1c9e", "admin-key-77d2ab", "db-pass-0c3e51");
            assertThat(configMap.getData().keySet()).as(configMap.getMetadata().getName())
                    .noneMatch(key -> key.matches("(?i).*(PASSWORD|SECRET|API_KEY|ADMIN_KEY|TOKEN).*"));
        }
        assertThat(rendered.yaml()).doesNotContain("api-key-4f1c9e", "admin-key-77d2ab", "db-pass-0c3e51");
        Secret auth = rendered.one(Secret.class, "sextant-auth");
        assertThat(auth.getData()).containsEntry("api-key", b64("api-key-4f1c9e")).containsEntry("admin-key", b64("admin-key-77d2ab"));
        assertThat(rendered.one(Secret.class, "sextant-database").getData()).containsEntry("password", b64("db-pass-0c3e51"));
    }

    @ParameterizedTest
    @MethodSource("valuesSets")
    void keysAndDatabaseCredentialsComeFromSecretReferences(String valuesSet) {
        HelmChart.Rendered rendered = render(valuesSet);

        assertThat(rendered.all(Secret.class)).as("existing Secrets are referenced, not rendered").isEmpty();
        Container gateway = container(rendered.one(Deployment.class, "sextant-gateway-service"));
        assertThat(gateway.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("SEXTANT_API_KEY");
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("sextant-auth");
            assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("api-key");
        });
        assertThat(gateway.getEnv()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("SEXTANT_ADMIN_KEY"));
        Map.of("retrieval-service", "SEXTANT_RETRIEVAL_DB_PASSWORD", "ingestion-service", "SEXTANT_DB_PASSWORD")
                .forEach((service, variable) -> {
                    Container c = container(rendered.one(Deployment.class, "sextant-" + service));
                    assertThat(c.getEnv()).as(service).anySatisfy(e -> {
                        assertThat(e.getName()).isEqualTo(variable);
                        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("sextant-database");
                        assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
                    });
                });
    }

    @Test
    void missingKeysWithoutAnExistingSecretFailTheRenderWithTheValueToSet() {
        assertThatThrownBy(() -> HelmChart.render(Map.of("auth.existingSecret", "")))
                .hasMessageContaining("auth.apiKey is required");
    }

    @Test
    void dashboardsShipAsConfigMapsForTheGrafanaSidecar() {
        List<ConfigMap> dashboards = HelmChart.renderDefaults().all(ConfigMap.class).stream()
                .filter(c -> "1".equals(c.getMetadata().getLabels().get("grafana_dashboard"))).toList();

        assertThat(dashboards).hasSameSizeAs(Dashboards.files());
        for (ConfigMap configMap : dashboards) {
            assertThat(configMap.getData()).hasSize(1);
            var entry = configMap.getData().entrySet().iterator().next();
            assertThat(entry.getValue().strip()).as(entry.getKey())
                    .isEqualTo(Repo.read("helm/sextant/dashboards/" + entry.getKey()).strip());
        }
    }

    static Container container(Deployment deployment) {
        List<Container> containers = pod(deployment).getContainers();
        assertThat(containers).as(deployment.getMetadata().getName()).hasSize(1);
        return containers.getFirst();
    }

    static PodSpec pod(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec();
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name + " in " + pod.getVolumes()));
    }

    private static String path(Probe probe) {
        assertThat(probe).isNotNull();
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
        return probe.getHttpGet().getPath();
    }

    private static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
