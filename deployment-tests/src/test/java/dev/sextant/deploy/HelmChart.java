package dev.sextant.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Sextant chart rendered by Helm itself (helm-java wraps the Helm Go library), parsed into fabric8 objects.
 *
 * <pre>{@code
 * Rendered r = HelmChart.render(Map.of(), "values-production.yaml");
 * Deployment inference = r.one(Deployment.class, "sextant-inference-service");
 * }</pre>
 */
final class HelmChart {

    static final Path CHART = Repo.path("helm/sextant");
    static final String RELEASE = "sextant";
    static final String NAMESPACE = "sextant";
    static final String PRODUCTION_VALUES = "values-production.yaml";
    /** Helm's offline default is v1.20; render for a current cluster (the chart needs at least 1.25). */
    static final String KUBE_VERSION = "1.31.0";

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

    private HelmChart() {
    }

    static LintResult lint() {
        return new Helm(CHART).lint().strict().call();
    }

    /** Renders with the chart's defaults, then the named values files (inside the chart), then {@code --set}s. */
    static String template(Map<String, Object> sets, String... valuesFiles) {
        TemplateCommand command = new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (String file : valuesFiles) {
            command = command.withValuesFile(CHART.resolve(file));
        }
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            command = command.set(set.getKey(), set.getValue());
        }
        return command.call();
    }

    static Rendered render(Map<String, Object> sets, String... valuesFiles) {
        String yaml = template(sets, valuesFiles);
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : DOCUMENT_SEPARATOR.split(yaml)) {
            if (document.lines().allMatch(line -> line.isBlank() || line.startsWith("#"))) {
                continue;
            }
            Object parsed = SERIALIZATION.unmarshal(document);
            if (!(parsed instanceof HasMetadata object)) {
                throw new AssertionError("rendered document is not a Kubernetes object:\n" + document);
            }
            objects.add(object);
        }
        return new Rendered(yaml, objects);
    }

    /** Rendered once per test JVM: the objects are only read. */
    static Rendered renderDefaults() {
        return Cached.DEFAULTS;
    }

    static Rendered renderProduction() {
        return Cached.PRODUCTION;
    }

    private static final class Cached {
        static final Rendered DEFAULTS = render(Map.of());
        static final Rendered PRODUCTION = render(Map.of(), PRODUCTION_VALUES);
    }

    /** The rendered text and its objects. */
    record Rendered(String yaml, List<HasMetadata> objects) {

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> T one(Class<T> type, String name) {
            List<T> matches = all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
            if (matches.size() != 1) {
                throw new AssertionError("expected one " + type.getSimpleName() + " named " + name + ", found "
                        + matches.size() + " among " + names(type));
            }
            return matches.getFirst();
        }

        List<HasMetadata> ofKind(String kind) {
            return objects.stream().filter(o -> kind.equals(o.getKind())).toList();
        }

        <T extends HasMetadata> List<String> names(Class<T> type) {
            return all(type).stream().map(o -> o.getMetadata().getName()).toList();
        }

        Map<String, HasMetadata> byKindAndName() {
            Map<String, HasMetadata> map = new LinkedHashMap<>();
            objects.forEach(o -> map.put(o.getKind() + "/" + o.getMetadata().getName(), o));
            return map;
        }
    }
}
