package dev.sextant.ingestion.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.sextant.ingestion.IngestionApplication;
import dev.sextant.ingestion.chunk.Chunk;
import dev.sextant.ingestion.chunk.Chunker;
import dev.sextant.ingestion.parse.DocumentParser;
import dev.sextant.ingestion.support.FakeUpstreams;
import dev.sextant.ingestion.support.Http;
import dev.sextant.ingestion.support.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import tools.jackson.databind.JsonNode;

/**
 * Ingests the SciFact corpus (BEIR, 5,183 abstracts; CC BY-NC, test use only) end to end: HTTP upload (JSON) →
 * parse → chunk → embeddings over HTTP (contract 1, served by the real all-MiniLM-L6-v2 in ONNX Runtime) → PUT into
 * an in-memory retrieval store (contract 4) — and prints documents/s, chunks/s and where the time goes. The peer is
 * the embedder alone on the very same chunks (no HTTP, no queue, no database), measured in the same run: the ratio
 * says how close the pipeline comes to the embedding bound.
 *
 * <p>Run: {@code java -cp <test classpath> dev.sextant.ingestion.bench.SciFactIngestBenchmark [documents]} with
 * {@code SEXTANT_TEST_INGESTION_DB_URL} (and user/password) and {@code SEXTANT_SHARED_DIR} set.
 */
public final class SciFactIngestBenchmark {

    private static final String SCHEMA = "bench";
    private static final int POST_BATCH = 50;

    public static void main(String[] args) throws Exception {
        int limit = args.length > 0 ? Integer.parseInt(args[0]) : Integer.MAX_VALUE;
        int threads = Runtime.getRuntime().availableProcessors();
        Path corpus = Path.of(System.getenv().getOrDefault("SEXTANT_SHARED_DIR", "../shared"),
                "retrieval", "scifact", "corpus.jsonl.gz");
        List<Map<String, String>> documents = load(corpus, limit);
        System.out.printf("machine: %d cores, %s; model all-MiniLM-L6-v2 (ONNX Runtime, %d intra-op threads); "
                + "embedding batch 32 (requests of concurrent jobs merged); chunks <= 200 tokens, overlap 32; 1 repetition%n", threads, cpu(), threads);
        System.out.printf("corpus: %s, %d documents%n", corpus, documents.size());

        try (Connection c = DriverManager.getConnection(TestDatabase.url(), TestDatabase.user(), TestDatabase.password());
                Statement s = c.createStatement()) {
            s.execute("drop schema if exists " + SCHEMA + " cascade");
        }
        OnnxMiniLm model = new OnnxMiniLm(threads);
        try (FakeUpstreams upstreams = new FakeUpstreams(model::embed)) {
            ConfigurableApplicationContext context = new SpringApplicationBuilder(IngestionApplication.class).run(
                    "--server.port=0",
                    "--spring.datasource.url=" + TestDatabase.url(SCHEMA),
                    "--spring.datasource.username=" + TestDatabase.user(),
                    "--spring.datasource.password=" + TestDatabase.password(),
                    "--spring.flyway.schemas=" + SCHEMA, "--spring.flyway.default-schema=" + SCHEMA,
                    "--sextant.ingestion.embedding.base-url=" + upstreams.baseUrl(),
                    "--sextant.ingestion.retrieval.base-url=" + upstreams.baseUrl(),
                    "--sextant.ingestion.worker.poll-interval=20ms",
                    "--logging.level.root=WARN",
                    "--management.tracing.sampling.probability=0");
            int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
            Http http = new Http("http://127.0.0.1:" + port);
            MeterRegistry meters = context.getBean(MeterRegistry.class);

            // warm-up: one small document through the whole pipeline
            http.postJson("/v1/collections/warmup/documents", "bench",
                    Map.of("documents", List.of(Map.of("title", "warm-up", "text", "Warm-up text for the JIT."))));
            awaitAllDone(30);
            double chunkBefore = seconds(meters, "chunk");
            double embedBefore = seconds(meters, "embed");
            double indexBefore = seconds(meters, "index");

            long start = System.nanoTime();
            long postNanos = 0;
            for (int from = 0; from < documents.size(); from += POST_BATCH) {
                List<Map<String, String>> batch = documents.subList(from, Math.min(documents.size(), from + POST_BATCH));
                long t = System.nanoTime();
                Http.Response response = http.postJson("/v1/collections/scifact/documents", "bench", Map.of("documents", batch));
                postNanos += System.nanoTime() - t;
                if (response.status() != 202) {
                    throw new IllegalStateException("upload answered " + response.status() + ": " + response.body());
                }
            }
            awaitAllDone(3600);
            double wall = (System.nanoTime() - start) / 1e9;
            int chunks = count("select coalesce(sum(chunks), 0) from documents where collection = 'scifact'");
            int indexed = count("select count(*) from documents where collection = 'scifact' and indexed_version = 1");
            int failed = count("select count(*) from jobs where state <> 'done'");
            System.out.printf("end to end: %d documents, %d chunks in %.1f s: %.1f documents/s, %.1f chunks/s (%d jobs not done)%n",
                    indexed, chunks, wall, indexed / wall, chunks / wall, failed);
            System.out.printf("where time goes (summed over jobs, %s concurrent jobs): upload+parse %.1f s (request time), "
                    + "chunk %.1f s, embed %.1f s, index %.1f s%n", context.getEnvironment().getProperty("sextant.ingestion.worker.threads"),
                    postNanos / 1e9,
                    seconds(meters, "chunk") - chunkBefore, seconds(meters, "embed") - embedBefore,
                    seconds(meters, "index") - indexBefore);
            context.close();

            // the peer: the same chunks, embedded directly in batches of 32
            Chunker chunker = new Chunker(new dev.sextant.ingestion.chunk.MiniLmTokenCounter(), 200, 32);
            DocumentParser parser = new DocumentParser(new dev.sextant.ingestion.IngestionProperties(null,
                    new dev.sextant.ingestion.IngestionProperties.Limits(org.springframework.util.unit.DataSize.ofMegabytes(50), org.springframework.util.unit.DataSize.ofMegabytes(64),
                            2000, 5_000_000, 100, 1_000_000, 100, 10), null, null, null, null));
            List<String> texts = new ArrayList<>();
            long chunkStart = System.nanoTime();
            for (Map<String, String> doc : documents) {
                for (Chunk chunk : chunker.chunk(parser.parseText(doc.get("text"), DocumentParser.TEXT))) {
                    texts.add(chunk.text());
                }
            }
            double chunkOnly = (System.nanoTime() - chunkStart) / 1e9;
            long peerStart = System.nanoTime();
            for (int from = 0; from < texts.size(); from += 32) {
                model.embed(texts.subList(from, Math.min(texts.size(), from + 32)));
            }
            double peer = (System.nanoTime() - peerStart) / 1e9;
            System.out.printf("peer (embedder alone, same %d chunks, batch 32): %.1f s, %.1f chunks/s; parse+chunk alone %.1f s%n",
                    texts.size(), peer, texts.size() / peer, chunkOnly);
            System.out.printf("ratio end-to-end / embedder-alone chunks/s: %.2f%n", (chunks / wall) / (texts.size() / peer));
        }
        System.exit(0);
    }

    private static List<Map<String, String>> load(Path corpus, int limit) throws Exception {
        List<Map<String, String>> documents = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(corpus)), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null && documents.size() < limit; ) {
                JsonNode doc = Http.JSON.readTree(line);
                String text = doc.get("text").asString();
                if (text.isBlank()) {
                    continue;
                }
                documents.add(Map.of("documentId", "scifact-" + doc.get("_id").asString(),
                        "title", doc.get("title").asString().isBlank() ? "untitled" : doc.get("title").asString(),
                        "text", text));
            }
        }
        return documents;
    }

    private static void awaitAllDone(int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (count("select count(*) from jobs where state in ('queued','parsing','chunking','embedding','indexing')") > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("jobs still open after " + seconds + " s");
            }
            Thread.sleep(100);
        }
    }

    private static double seconds(MeterRegistry meters, String stage) {
        Timer timer = meters.find("sextant.ingestion.stage").tag("stage", stage).timer();
        return timer == null ? 0 : timer.totalTime(TimeUnit.SECONDS);
    }

    private static int count(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(TestDatabase.url(SCHEMA), TestDatabase.user(), TestDatabase.password());
                Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static String cpu() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        } catch (Exception e) {
            return "unknown CPU";
        }
    }
}
