package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every rendered manifest uses only fields the Kubernetes API defines. */
class ManifestSchemaTests {

    @Test
    void defaultRenderHasNoUnknownFields() {
        assertThat(unknownFields(HelmChart.renderDefaults())).isEmpty();
    }

    @Test
    void productionRenderHasNoUnknownFields() {
        assertThat(unknownFields(HelmChart.renderProduction())).isEmpty();
    }

    @Test
    void aMisspelledFieldIsReportedWithItsPath() {
        HasMetadata deployment = new KubernetesSerialization().unmarshal("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: x
                          image: x
                          readinessProbes: {httpGet: {path: /, port: 80}}
                """);

        assertThat(UnknownFields.of(deployment)).containsExactly("spec.template.spec.containers[0].readinessProbes");
    }

    private static Map<String, List<String>> unknownFields(HelmChart.Rendered rendered) {
        Map<String, List<String>> unknown = new LinkedHashMap<>();
        for (HasMetadata object : rendered.objects()) {
            List<String> fields = UnknownFields.of(object);
            if (!fields.isEmpty()) {
                unknown.put(object.getKind() + "/" + object.getMetadata().getName(), fields);
            }
        }
        return unknown;
    }
}
