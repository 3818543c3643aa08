package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every SEXTANT_* variable (and PORT) that the chart or docker-compose.yml hands a service is one the service reads:
 * a {@code ${VAR...}} placeholder in its application.yml or in service-support's sextant-defaults.yml, or the
 * relaxed-binding name of a component of one of its {@code @ConfigurationProperties} records. A renamed property
 * fails here instead of silently falling back to a default in production.
 */
class EnvironmentVariablesTests {

    private static final Pattern PREFIX = Pattern.compile("@ConfigurationProperties\\(\\s*(?:prefix\\s*=\\s*)?\"([^\"]+)\"");
    private static final Pattern COMPONENT = Pattern.compile("\\b([a-z][A-Za-z0-9]*)\\s*[,)]");

    @Test
    void chartSetsOnlyVariablesTheServicesRead() {
        Map<String, Set<String>> unread = new TreeMap<>();
        for (HelmChart.Rendered rendered : List.of(HelmChart.renderDefaults(), HelmChart.renderProduction())) {
            for (String service : Repo.servicePorts().keySet()) {
                Set<String> names = new TreeSet<>(rendered.one(ConfigMap.class, "sextant-" + service).getData().keySet());
                Deployment deployment = rendered.one(Deployment.class, "sextant-" + service);
                List<EnvVar> env = deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv();
                if (env != null) {
                    env.forEach(e -> names.add(e.getName()));
                }
                collectUnread(service, names, unread);
            }
        }
        assertThat(unread).as("variables set but not read by the service").isEmpty();
    }

    @Test
    void composeSetsOnlyVariablesTheServicesRead() {
        ComposeFile compose = ComposeFile.load();
        Map<String, Set<String>> unread = new TreeMap<>();
        int checked = 0;
        for (String name : compose.services().keySet()) {
            String service = compose.hostNames(name).stream().filter(Repo.servicePorts()::containsKey).findFirst().orElse(null);
            if (service != null) {
                collectUnread(service, compose.environment(name).keySet(), unread);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(6);
        assertThat(unread).as("variables set but not read by the service").isEmpty();
    }

    private static void collectUnread(String service, Set<String> names, Map<String, Set<String>> unread) {
        for (String name : names) {
            if ((name.startsWith("SEXTANT_") || name.equals("PORT")) && !reads(service, name)) {
                unread.computeIfAbsent(service, s -> new TreeSet<>()).add(name);
            }
        }
    }

    static boolean reads(String service, String variable) {
        Pattern placeholder = Pattern.compile("\\$\\{" + Pattern.quote(variable) + "[:}]");
        for (String config : List.of(service + "/src/main/resources/application.yml",
                "service-support/src/main/resources/sextant-defaults.yml")) {
            if (Files.exists(Repo.path(config)) && placeholder.matcher(Repo.read(config)).find()) {
                return true;
            }
        }
        return boundByRelaxedBinding(service, variable);
    }

    private static boolean boundByRelaxedBinding(String service, String variable) {
        Path sources = Repo.path(service + "/src/main/java");
        if (!Files.isDirectory(sources)) {
            return false;
        }
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String java = Files.readString(file);
                Matcher prefix = PREFIX.matcher(java);
                if (!prefix.find()) {
                    continue;
                }
                String envPrefix = prefix.group(1).replace("-", "").replace('.', '_').toUpperCase() + "_";
                if (!variable.startsWith(envPrefix)) {
                    continue;
                }
                String rest = variable.substring(envPrefix.length());
                List<String> components = new ArrayList<>();
                Matcher m = COMPONENT.matcher(java.substring(prefix.end()));
                while (m.find()) {
                    components.add(m.group(1).toUpperCase());
                }
                if (components.contains(rest)) {
                    return true;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return false;
    }
}
