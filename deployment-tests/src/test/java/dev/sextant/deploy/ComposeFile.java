package dev.sextant.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * docker-compose.yml as data (YAML anchors and merge keys resolved), with the lookups the tests need.
 *
 * <pre>{@code ComposeFile compose = ComposeFile.load(); Map<String, Object> gateway = compose.service("gateway-service");}</pre>
 */
record ComposeFile(Map<String, Object> root) {

    static ComposeFile load() {
        return new ComposeFile(loadYaml("docker-compose.yml"));
    }

    static Map<String, Object> loadYaml(String relative) {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        return map(yaml.load(Repo.read(relative)));
    }

    Map<String, Object> services() {
        return map(root.get("services"));
    }

    Map<String, Object> service(String name) {
        Object service = services().get(name);
        if (service == null) {
            throw new AssertionError("docker-compose.yml has no service " + name + "; it has " + services().keySet());
        }
        return map(service);
    }

    Map<String, Object> volumes() {
        return root.get("volumes") == null ? Map.of() : map(root.get("volumes"));
    }

    /** Profiles of a service; empty means it starts with every profile. */
    List<String> profiles(String name) {
        return strings(service(name).get("profiles"));
    }

    boolean activeIn(String name, String profile) {
        List<String> profiles = profiles(name);
        return profiles.isEmpty() || profiles.contains(profile);
    }

    /** Host names a service answers to on the compose network: its name and its network aliases. */
    List<String> hostNames(String name) {
        List<String> names = new ArrayList<>(List.of(name));
        Object networks = service(name).get("networks");
        if (networks instanceof Map<?, ?> byNetwork) {
            byNetwork.values().forEach(n -> {
                if (n instanceof Map<?, ?> config) {
                    names.addAll(strings(config.get("aliases")));
                }
            });
        }
        return names;
    }

    /** Environment as a map, whichever of the two compose syntaxes is used. */
    Map<String, String> environment(String name) {
        Object env = service(name).get("environment");
        Map<String, String> result = new LinkedHashMap<>();
        if (env instanceof Map<?, ?> m) {
            m.forEach((k, v) -> result.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
        } else if (env instanceof List<?> list) {
            list.forEach(item -> {
                String[] kv = String.valueOf(item).split("=", 2);
                result.put(kv[0], kv.length > 1 ? kv[1] : "");
            });
        }
        return result;
    }

    /** depends_on as name → required (short syntax: always required). */
    Map<String, Boolean> dependsOn(String name) {
        Object deps = service(name).get("depends_on");
        Map<String, Boolean> result = new LinkedHashMap<>();
        if (deps instanceof List<?> list) {
            list.forEach(d -> result.put(String.valueOf(d), true));
        } else if (deps instanceof Map<?, ?> m) {
            m.forEach((k, v) -> result.put(String.valueOf(k),
                    !(v instanceof Map<?, ?> config) || !Boolean.FALSE.equals(config.get("required"))));
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        if (!(o instanceof Map<?, ?>)) {
            throw new AssertionError("expected a mapping, found " + o);
        }
        return (Map<String, Object>) o;
    }

    static List<String> strings(Object o) {
        if (o == null) {
            return List.of();
        }
        if (!(o instanceof List<?> list)) {
            throw new AssertionError("expected a list, found " + o);
        }
        return list.stream().map(String::valueOf).toList();
    }
}
