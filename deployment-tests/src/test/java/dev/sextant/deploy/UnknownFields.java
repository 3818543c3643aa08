package dev.sextant.deploy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Fields of a parsed manifest that the Kubernetes API does not define. fabric8 keeps such fields in
 * {@code additionalProperties} instead of failing, so a typo ({@code readinessProbes:}) would otherwise pass
 * unnoticed; this walks the typed model and reports every one, with its path. (There is no kubeconform here.)
 *
 * <pre>{@code List<String> unknown = UnknownFields.of(deployment);  // ["spec.template.spec.containers[0].readinessProbes"]}</pre>
 */
final class UnknownFields {

    private UnknownFields() {
    }

    static List<String> of(Object object) {
        List<String> found = new ArrayList<>();
        walk(object, "", found);
        return found;
    }

    private static void walk(Object o, String path, List<String> found) {
        if (o == null || o instanceof GenericKubernetesResource) {
            return; // custom resources (ServiceMonitor) have no typed model here
        }
        if (o instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, found));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : o.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(o);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue; // computed getters (Quantity's numerical amount) are not fields
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(k -> found.add((path.isEmpty() ? "" : path + ".") + k));
                }
            } else {
                walk(value, path.isEmpty() ? field : path + "." + field, found);
            }
        }
    }
}
