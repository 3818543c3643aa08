package dev.sextant.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Paths of the repository under test and the service table every deployment artefact must agree with.
 *
 * <pre>{@code Path chart = Repo.path("helm/sextant"); int port = Repo.servicePorts().get("gateway-service");}</pre>
 */
final class Repo {

    static final String VERSION = "0.1.0-SNAPSHOT";

    private static final Path ROOT = findRoot();

    private Repo() {
    }

    static Path root() {
        return ROOT;
    }

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static String read(String relative) {
        try {
            return Files.readString(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + relative + " under " + ROOT, e);
        }
    }

    /**
     * The five services and their ports, read from each service's own application.yml ({@code ${PORT:8081}}), so
     * that compose, Prometheus and the chart are checked against what the services really listen on.
     */
    static Map<String, Integer> servicePorts() {
        Pattern port = Pattern.compile("port:\\s*\\$\\{PORT:(\\d+)}");
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (String service : new String[] {"gateway-service", "inference-service", "retrieval-service",
                "ingestion-service", "structured-output-service"}) {
            String yml = read(service + "/src/main/resources/application.yml");
            Matcher m = port.matcher(yml);
            if (!m.find()) {
                throw new IllegalStateException(service + "/src/main/resources/application.yml has no server.port: ${PORT:<n>}");
            }
            ports.put(service, Integer.parseInt(m.group(1)));
        }
        return ports;
    }

    private static Path findRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("helm")) && Files.isRegularFile(dir.resolve("docker-compose.yml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no repository root (a folder with helm/ and docker-compose.yml) above "
                + Path.of("").toAbsolutePath());
    }
}
