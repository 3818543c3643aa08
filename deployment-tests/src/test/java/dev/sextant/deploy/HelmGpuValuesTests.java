package dev.sextant.deploy;

import static dev.sextant.deploy.HelmChartTests.container;
import static dev.sextant.deploy.HelmChartTests.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The inference Deployment asks for a GPU, and lands on GPU nodes, only when the values say so. */
class HelmGpuValuesTests {

    private static final String GPU = "nvidia.com/gpu";

    @Test
    void defaultValuesRequestNoGpuAnywhere() {
        HelmChart.Rendered rendered = HelmChart.renderDefaults();

        for (Deployment deployment : rendered.all(Deployment.class)) {
            var resources = container(deployment).getResources();
            assertThat(resources.getRequests()).as(deployment.getMetadata().getName()).doesNotContainKey(GPU);
            assertThat(resources.getLimits()).as(deployment.getMetadata().getName()).doesNotContainKey(GPU);
            assertThat(pod(deployment).getTolerations()).isNullOrEmpty();
            assertThat(pod(deployment).getRuntimeClassName()).isNull();
        }
    }

    @Test
    void productionValuesGiveInferenceOneGpuOnAGpuNode() {
        HelmChart.Rendered rendered = HelmChart.renderProduction();

        Deployment inference = rendered.one(Deployment.class, "sextant-inference-service");
        var resources = container(inference).getResources();
        assertThat(resources.getRequests()).containsEntry(GPU, new Quantity("1"));
        assertThat(resources.getLimits()).containsEntry(GPU, new Quantity("1"));
        assertThat(pod(inference).getTolerations()).anySatisfy(t -> {
            assertThat(t.getKey()).isEqualTo(GPU);
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });
        assertThat(pod(inference).getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(pod(inference).getRuntimeClassName()).isEqualTo("nvidia");
        assertThat(pod(inference).getAffinity().getPodAntiAffinity()).isNotNull();
        assertThat(container(inference).getImage()).isEqualTo("registry.example.com/sextant/inference-service:0.1.0-cuda");
        assertThat(rendered.one(ConfigMap.class, "sextant-inference-service").getData())
                .containsEntry("SEXTANT_DEFAULT_MODEL", "/models/llama-3.2-1b-instruct-q8_0.gguf");
    }

    @Test
    void onlyInferenceGetsAGpuOrGpuNodePlacement() {
        for (Deployment deployment : HelmChart.renderProduction().all(Deployment.class)) {
            if (deployment.getMetadata().getName().equals("sextant-inference-service")) {
                continue;
            }
            assertThat(container(deployment).getResources().getLimits()).as(deployment.getMetadata().getName())
                    .doesNotContainKey(GPU);
            assertThat(pod(deployment).getTolerations()).as(deployment.getMetadata().getName()).isNullOrEmpty();
            assertThat(pod(deployment).getNodeSelector()).as(deployment.getMetadata().getName()).isNullOrEmpty();
        }
    }

    @Test
    void gpuCountAndResourceNameFollowTheValues() {
        Deployment inference = HelmChart.render(Map.of("services.inference.gpu.enabled", true,
                "services.inference.gpu.count", 2, "services.inference.gpu.resourceName", "amd.com/gpu"))
                .one(Deployment.class, "sextant-inference-service");

        assertThat(container(inference).getResources().getLimits()).containsEntry("amd.com/gpu", new Quantity("2"))
                .doesNotContainKey(GPU);
    }

    @Test
    void gpuRollOutsNeverAskForAnExtraGpu() {
        Deployment inference = HelmChart.renderProduction().one(Deployment.class, "sextant-inference-service");

        assertThat(inference.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal()).isZero();
    }
}
