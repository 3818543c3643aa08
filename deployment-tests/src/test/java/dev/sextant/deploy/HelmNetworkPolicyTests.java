package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sextant.deploy.NetworkPolicies.Pod;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.net.URI;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Only the gateway is reachable from outside; services accept traffic only from the gateway and each other, send it
 * only to the upstreams they are configured with, and reach PostgreSQL only where they own data.
 */
class HelmNetworkPolicyTests {

    private static final String NS = HelmChart.NAMESPACE;
    private static final Pod OUTSIDE = Pod.in("default", Map.of("app", "curl"), Map.of());
    private static final Pod SAME_NAMESPACE_STRANGER = Pod.in(NS, Map.of("app", "debug"), Map.of());
    private static final Pod INGRESS_CONTROLLER = Pod.in("ingress-nginx", Map.of("app.kubernetes.io/name", "ingress-nginx"), Map.of());
    private static final Pod PROMETHEUS = Pod.in("monitoring", Map.of("app.kubernetes.io/name", "prometheus"), Map.of());
    private static final Pod KUBE_DNS = Pod.in("kube-system", Map.of("k8s-app", "kube-dns"), Map.of());
    private static final Pod POSTGRES_DEFAULT = Pod.in(NS, Map.of("app.kubernetes.io/name", "postgresql"), Map.of());
    private static final Pod POSTGRES_PRODUCTION = Pod.in("databases", Map.of("app.kubernetes.io/name", "postgresql"), Map.of());

    private final HelmChart.Rendered defaults = HelmChart.renderDefaults();
    private final NetworkPolicies policies = new NetworkPolicies(defaults.all(NetworkPolicy.class), NS);
    private final Map<String, Pod> pods = pods(defaults);

    @Test
    void everyReleasePodIsDeniedByDefault() {
        NetworkPolicy deny = defaults.one(NetworkPolicy.class, "sextant-default-deny");

        assertThat(deny.getApiVersion()).isEqualTo("networking.k8s.io/v1");
        assertThat(deny.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(deny.getSpec().getIngress()).isNullOrEmpty();
        assertThat(deny.getSpec().getEgress()).isNullOrEmpty();
        pods.forEach((name, pod) -> assertThat(NetworkPolicies.matches(deny.getSpec().getPodSelector(), pod.labels()))
                .as(name).isTrue());
    }

    @Test
    void gatewayIsReachableFromOutsideTheRelease() {
        Pod gateway = pods.get("gateway-service");

        assertThat(policies.ingressAllowed(OUTSIDE, gateway, 8080)).isTrue();
        assertThat(policies.ingressAllowed(INGRESS_CONTROLLER, gateway, 8080)).isTrue();
        assertThat(policies.ingressAllowed(OUTSIDE, gateway, 9999)).as("only its HTTP port").isFalse();
    }

    @Test
    void internalServicesRefuseEveryoneOutsideTheRelease() {
        Repo.servicePorts().forEach((service, port) -> {
            if (!service.equals("gateway-service")) {
                assertThat(policies.ingressAllowed(OUTSIDE, pods.get(service), port)).as(service).isFalse();
                assertThat(policies.ingressAllowed(INGRESS_CONTROLLER, pods.get(service), port)).as(service).isFalse();
                assertThat(policies.ingressAllowed(SAME_NAMESPACE_STRANGER, pods.get(service), port)).as(service).isFalse();
            }
        });
    }

    @Test
    void everyDeclaredUpstreamIsReachableAndNothingElse() {
        Map<String, Integer> ports = Repo.servicePorts();
        Map<String, Set<String>> declared = declaredUpstreams();
        for (String caller : ports.keySet()) {
            for (String callee : ports.keySet()) {
                if (!callee.equals(caller)) {
                    boolean expected = declared.get(caller).contains(callee);
                    assertThat(policies.allows(pods.get(caller), pods.get(callee), ports.get(callee)))
                            .as("%s -> %s (declared upstream: %s)", caller, callee, expected).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void everyUpstreamUrlAServiceIsGivenIsAllowedByThePolicies() {
        Map<String, Integer> ports = Repo.servicePorts();
        int urls = 0;
        for (String caller : ports.keySet()) {
            for (String value : defaults.one(ConfigMap.class, "sextant-" + caller).getData().values()) {
                if (!value.startsWith("http://sextant-")) {
                    continue;
                }
                URI uri = URI.create(value);
                String callee = uri.getHost().substring("sextant-".length());
                assertThat(ports).containsEntry(callee, uri.getPort());
                assertThat(policies.allows(pods.get(caller), pods.get(callee), uri.getPort())).as("%s -> %s", caller, value).isTrue();
                urls++;
            }
        }
        assertThat(urls).as("gateway 4, retrieval 1, ingestion 2, structured-output 1").isEqualTo(8);
    }

    /** services.<key>.upstreams of values.yaml, by service name. */
    private static Map<String, Set<String>> declaredUpstreams() {
        Map<String, Object> services = ComposeFile.map(ComposeFile.loadYaml("helm/sextant/values.yaml").get("services"));
        Map<String, Set<String>> result = new LinkedHashMap<>();
        services.forEach((key, value) -> {
            Map<String, Object> service = ComposeFile.map(value);
            Set<String> upstreams = new HashSet<>();
            ComposeFile.map(service.get("upstreams")).keySet().forEach(up ->
                    upstreams.add(ComposeFile.map(services.get(up)).get("name").toString()));
            result.put(service.get("name").toString(), upstreams);
        });
        return result;
    }

    @Test
    void gatewayReachesEveryService() {
        Repo.servicePorts().forEach((service, port) -> {
            if (!service.equals("gateway-service")) {
                assertThat(policies.allows(pods.get("gateway-service"), pods.get(service), port)).as(service).isTrue();
            }
        });
    }

    @Test
    void onlyRetrievalAndIngestionReachPostgres() {
        Repo.servicePorts().keySet().forEach(service -> assertThat(policies.egressAllowed(pods.get(service), POSTGRES_DEFAULT, 5432))
                .as(service).isEqualTo(service.equals("retrieval-service") || service.equals("ingestion-service")));
    }

    @Test
    void everyServiceResolvesNamesThroughClusterDns() {
        pods.forEach((name, pod) -> assertThat(policies.egressAllowed(pod, KUBE_DNS, 53)).as(name).isTrue());
        pods.forEach((name, pod) -> assertThat(policies.egressAllowed(pod, OUTSIDE, 443)).as(name + " to the internet").isFalse());
    }

    @Test
    void prometheusInTheMonitoringNamespaceScrapesEveryService() {
        Repo.servicePorts().forEach((service, port) ->
                assertThat(policies.ingressAllowed(PROMETHEUS, pods.get(service), port)).as(service).isTrue());
    }

    @Test
    void productionValuesAdmitOnlyTheIngressControllerToTheGateway() {
        HelmChart.Rendered production = HelmChart.renderProduction();
        NetworkPolicies prod = new NetworkPolicies(production.all(NetworkPolicy.class), NS);
        Map<String, Pod> prodPods = pods(production);

        assertThat(prod.ingressAllowed(INGRESS_CONTROLLER, prodPods.get("gateway-service"), 8080)).isTrue();
        assertThat(prod.ingressAllowed(OUTSIDE, prodPods.get("gateway-service"), 8080)).isFalse();
        assertThat(prod.egressAllowed(prodPods.get("retrieval-service"), POSTGRES_PRODUCTION, 5432)).isTrue();
        assertThat(prod.egressAllowed(prodPods.get("retrieval-service"), POSTGRES_DEFAULT, 5432))
                .as("a postgresql pod in the release namespace is not the configured database").isFalse();
        Pod collector = Pod.in("observability", Map.of("app", "otel-collector"), Map.of());
        assertThat(prod.egressAllowed(prodPods.get("inference-service"), collector, 4318)).isTrue();
        Pod redis = Pod.in("databases", Map.of("app.kubernetes.io/name", "redis"), Map.of());
        assertThat(prod.egressAllowed(prodPods.get("gateway-service"), redis, 6379)).isTrue();
        assertThat(prod.egressAllowed(prodPods.get("inference-service"), redis, 6379)).isFalse();
    }

    @Test
    void policiesCanBeSwitchedOff() {
        assertThat(HelmChart.render(Map.of("networkPolicy.enabled", false)).all(NetworkPolicy.class)).isEmpty();
    }

    /** The pods each Deployment would create, with their labels and named ports. */
    private static Map<String, Pod> pods(HelmChart.Rendered rendered) {
        Map<String, Pod> pods = new LinkedHashMap<>();
        for (Deployment deployment : rendered.all(Deployment.class)) {
            var template = deployment.getSpec().getTemplate();
            Map<String, Integer> namedPorts = new LinkedHashMap<>();
            template.getSpec().getContainers().getFirst().getPorts()
                    .forEach(p -> namedPorts.put(p.getName(), p.getContainerPort()));
            String service = template.getMetadata().getLabels().get("app.kubernetes.io/component");
            pods.put(service, Pod.in(NS, template.getMetadata().getLabels(), namedPorts));
        }
        assertThat(pods.keySet()).containsExactlyInAnyOrderElementsOf(Repo.servicePorts().keySet());
        return pods;
    }
}
