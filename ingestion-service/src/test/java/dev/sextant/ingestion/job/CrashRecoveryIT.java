package dev.sextant.ingestion.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.sextant.ingestion.IngestionApplication;
import dev.sextant.ingestion.support.FakeUpstreams;
import dev.sextant.ingestion.support.Http;
import dev.sextant.ingestion.support.TestDatabase;
import tools.jackson.databind.JsonNode;

/**
 * Crash safety with a real process kill: ingestion-service runs as a separate JVM, is killed with {@code kill -9}
 * while jobs are being embedded, and started again; afterwards every job is done and every document is in the
 * retrieval store exactly once, with each of its chunks exactly once.
 */
class CrashRecoveryIT {

    private static final String SCHEMA = "crash";
    private static final String TENANT = "crash-tenant";
    private static final int DOCUMENTS = 6;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopProcesses() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void killNineMidJobThenRestartIndexesEveryDocumentExactlyOnce() throws Exception {
        dropSchema();
        try (FakeUpstreams upstreams = new FakeUpstreams()) {
            upstreams.slowEmbeddings(300);
            int port = freePort();
            Process first = startService(port, upstreams, "first");
            Http http = new Http("http://127.0.0.1:" + port);
            awaitReady(http, first);

            List<JsonNode> accepted = new ArrayList<>();
            for (int i = 0; i < DOCUMENTS; i++) {
                StringBuilder text = new StringBuilder();
                for (int s = 0; s < 12; s++) {
                    text.append("Document ").append(i).append(" sentence ").append(s)
                            .append(" describes maintenance step ").append(s * 7 + i).append(". ");
                }
                Http.Response response = http.postJson("/v1/collections/manuals/documents", TENANT,
                        Map.of("documents", List.of(Map.of("title", "Manual " + i, "text", text.toString()))));
                assertThat(response.status()).as(response.body()).isEqualTo(202);
                accepted.add(response.json().get("documents").get(0));
            }

            awaitMidJob(first);
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(first.pid())).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(first.waitFor(10, TimeUnit.SECONDS)).as("the first instance died").isTrue();
            assertThat(first.exitValue()).as("killed by SIGKILL").isEqualTo(137);
            int unfinished = count("select count(*) from jobs where state not in ('done','failed','superseded','cancelled')");
            assertThat(unfinished).as("jobs left unfinished by the kill").isPositive();
            int orphaned = count("select count(*) from jobs where state in ('parsing','chunking','embedding','indexing') and lease_owner is not null");
            assertThat(orphaned).as("jobs the dead instance held").isPositive();

            int port2 = freePort();
            Process second = startService(port2, upstreams, "second");
            Http http2 = new Http("http://127.0.0.1:" + port2);
            awaitReady(http2, second);
            upstreams.slowEmbeddings(0);

            for (JsonNode document : accepted) {
                JsonNode job = http2.awaitJob(document.get("jobId").asString(), TENANT, Duration.ofSeconds(90));
                assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("done");
                String documentId = document.get("documentId").asString();
                JsonNode stored = upstreams.document(TENANT, "manuals", documentId);
                assertThat(stored).as("document %s in the store", documentId).isNotNull();
                assertThat(stored.get("version").asInt()).isEqualTo(1);
                JsonNode chunks = stored.get("chunks");
                assertThat(chunks.size()).isEqualTo(job.get("chunksTotal").asInt()).isGreaterThan(1);
                Set<Integer> indexes = new HashSet<>();
                for (JsonNode chunk : chunks) {
                    assertThat(indexes.add(chunk.get("index").asInt())).as("chunk index unique").isTrue();
                }
                assertThat(indexes).hasSize(chunks.size());
            }
            assertThat(upstreams.documentCount(TENANT, "manuals")).isEqualTo(DOCUMENTS);
            assertThat(count("select count(*) from documents where indexed_version = 1")).isEqualTo(DOCUMENTS);
            assertThat(count("select count(*) from job_inputs")).isZero();
        }
    }

    private void awaitMidJob(Process process) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("the first instance is running").isTrue();
            if (count("select count(*) from jobs where state = 'embedding' and chunks_done > 0") > 0) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no job reached the embedding stage within 60 s");
    }

    private Process startService(int port, FakeUpstreams upstreams, String name) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path log = Path.of("target", "crash-recovery-" + name + ".log");
        Files.createDirectories(log.getParent());
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", classpath, IngestionApplication.class.getName(),
                "--server.port=" + port,
                "--spring.datasource.url=" + TestDatabase.url(SCHEMA),
                "--spring.datasource.username=" + TestDatabase.user(),
                "--spring.datasource.password=" + TestDatabase.password(),
                "--spring.flyway.schemas=" + SCHEMA,
                "--spring.flyway.default-schema=" + SCHEMA,
                "--sextant.ingestion.embedding.base-url=" + upstreams.baseUrl(),
                "--sextant.ingestion.retrieval.base-url=" + upstreams.baseUrl(),
                "--sextant.ingestion.embedding.batch-size=2",
                "--sextant.ingestion.chunking.max-tokens=40",
                "--sextant.ingestion.chunking.overlap-tokens=4",
                "--sextant.ingestion.worker.lease=2s",
                "--sextant.ingestion.worker.poll-interval=50ms",
                "--sextant.ingestion.spool-dir=" + Path.of("target", "crash-spool-" + name).toAbsolutePath(),
                "--management.tracing.sampling.probability=0"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(process);
        return process;
    }

    private static void awaitReady(Http http, Process process) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("ingestion-service exited with " + process.exitValue()
                        + " during start-up; see target" + File.separator + "crash-recovery-*.log");
            }
            try {
                if (http.get("/actuator/health/readiness", null).status() == 200) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("ingestion-service did not become ready within 120 s");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static Connection connect(String url) throws SQLException {
        return DriverManager.getConnection(url, TestDatabase.user(), TestDatabase.password());
    }

    private static void dropSchema() throws SQLException {
        try (Connection c = connect(TestDatabase.url()); Statement s = c.createStatement()) {
            s.execute("drop schema if exists " + SCHEMA + " cascade");
        }
    }

    private static int count(String sql) throws SQLException {
        try (Connection c = connect(TestDatabase.url(SCHEMA)); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
