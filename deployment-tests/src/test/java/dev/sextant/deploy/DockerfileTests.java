package dev.sextant.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dockerfiles read as text (no Docker engine here, nothing is built): multi-stage with the Maven wrapper, a JRE
 * runtime, a numeric non-root user, a health check on the service's own port, the exec jar.
 */
class DockerfileTests {

    private static final Pattern FINAL_STAGE = Pattern.compile("(?ms)^FROM (\\S+)(?: AS (\\S+))?$(.*?)(?=^FROM |\\z)");

    static Stream<String> services() {
        return Repo.servicePorts().keySet().stream();
    }

    @ParameterizedTest
    @MethodSource("services")
    void buildsWithTheWrapperAndRunsTheExecJar(String service) {
        String dockerfile = Repo.read(service + "/Dockerfile");

        assertThat(dockerfile).containsPattern("(?m)^FROM eclipse-temurin:25-jdk AS build$");
        assertThat(dockerfile).contains("./mvnw -B -q -pl " + service + " -am -DskipTests package");
        assertThat(dockerfile).contains(service + "/target/" + service + "-*-exec.jar");
        assertThat(dockerfile).contains("ENTRYPOINT [\"java\"");
    }

    @ParameterizedTest
    @MethodSource("services")
    void everyRuntimeStageRunsAsANumericNonRootUserWithAHealthCheck(String service) {
        String dockerfile = Repo.read(service + "/Dockerfile");
        int port = Repo.servicePorts().get(service);

        List<Stage> runtimes = stages(dockerfile).stream().filter(s -> s.body().contains("ENTRYPOINT")).toList();
        assertThat(runtimes).as(service).isNotEmpty();
        for (Stage stage : runtimes) {
            assertThat(stage.body()).as(stage.name()).containsPattern("(?m)^USER 10001:10001$");
            assertThat(stage.body()).as(stage.name()).contains("useradd --system --uid 10001");
            assertThat(stage.body()).as(stage.name()).contains("HEALTHCHECK")
                    .contains("/actuator/health/readiness").contains("PORT=" + port).contains("EXPOSE " + port);
            assertThat(stage.base()).as(stage.name()).doesNotContain("-jdk").doesNotContain("devel");
        }
    }

    @Test
    void inferenceHasACpuAndACudaRuntimeWithTheNativeLibraries() {
        String dockerfile = Repo.read("inference-service/Dockerfile");
        List<Stage> stages = stages(dockerfile);

        Stage cuda = stages.stream().filter(s -> "cuda".equals(s.name())).findFirst().orElseThrow();
        Stage cpu = stages.stream().filter(s -> "cpu".equals(s.name())).findFirst().orElseThrow();
        assertThat(cuda.base()).matches("nvidia/cuda:\\$\\{CUDA_VERSION}-runtime-\\$\\{UBUNTU}");
        assertThat(dockerfile).containsPattern("(?m)^ARG CUDA_VERSION=13\\.\\d+\\.\\d+$").contains("ARG UBUNTU=ubuntu");
        assertThat(cpu.base()).isEqualTo("eclipse-temurin:25-jre");
        assertThat(stages.getLast().name()).as("plain docker build gives the CPU image").isEqualTo("cpu");
        for (Stage stage : List.of(cpu, cuda)) {
            assertThat(stage.body()).contains("/opt/sextant/lib/").contains("-Dsextant.native.path=/opt/sextant/lib")
                    .contains("install -d -o 10001 -g 10001 /models");
        }
        assertThat(cuda.body()).contains("COPY --from=eclipse-temurin:25-jre /opt/java/openjdk /opt/java/openjdk");
        assertThat(dockerfile).contains("-DSEXTANT_CUDA=ON")
                .contains("cp inference-service/target/classes/native/linux-x86_64/*.so /out/lib/");
        assertThat(Repo.read("inference-service/pom.xml")).as("the Maven build puts the CPU engine there")
                .contains("${project.build.outputDirectory}/native/linux-x86_64");
        assertThat(Repo.read("inference-service/src/main/java/dev/sextant/inference/engine/NativeLibrary.java"))
                .contains("\"sextant.native.path\"");
    }

    @Test
    void dockerignoreKeepsBuildOutputAndGitOutOfTheContext() {
        List<String> lines = Repo.read(".dockerignore").lines().map(String::strip).toList();

        assertThat(lines).contains(".git", "**/target", ".sextant");
        assertThat(lines).doesNotContain("mvnw", ".mvn", "pom.xml");
    }

    record Stage(String base, String name, String body) {
    }

    private static List<Stage> stages(String dockerfile) {
        Matcher m = FINAL_STAGE.matcher(dockerfile);
        List<Stage> stages = new java.util.ArrayList<>();
        while (m.find()) {
            stages.add(new Stage(m.group(1), m.group(2), m.group(3)));
        }
        assertThat(stages).as("multi-stage").hasSizeGreaterThanOrEqualTo(2);
        return stages;
    }
}
