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
import dev.sextant.testsupport.embedding.OnnxMiniLm;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import tools.jackson.databind.JsonNode;

/**
 * Ingests the SciFact corpus (BEIR, 5,183 abstracts; CC BY-NC, test use only) end to end: HTTP upload (JSON) →
 * parse → chunk → embeddings over HTTP (contract 1) → PUT into retrieval (contract 4) — and prints documents/s,
 * chunks/s and where the time goes: upload+parse (request time), queue wait, chunk, embed (of which the upstream
 * calls, and inside inference-service tokenize / ONNX / pool with the padding), index.
 *
 * <p>Two modes. With {@code --inference=URL --retrieval=URL} it drives the running services: ingestion-service
 * starts in this process, a fresh collection is created in retrieval-service, and the peer is inference-service's
 * {@code /v1/embeddings} alone on the very same chunks, 32 per request, one request at a time. Without them the
 * upstreams are in-process fakes: embeddings from the real all-MiniLM-L6-v2 (ONNX Runtime, {@link OnnxMiniLm}),
 * chunks kept in memory; the peer is that embedder alone. The ratio says how close the pipeline comes to the
 * embedding bound. Also printed: the chunks' token lengths and the model's FLOPs at those lengths, and with
 * {@code --pids} the CPU time each service used during the run (on a shared machine, the fairer measure).
 *
 * <p>Run (from the repository root, after {@code ./mvnw -o -pl ingestion-service -am test-compile}):
 * <pre>
 * ./mvnw -q -o -pl embedding-test-support install   # once (and after changing it): -pl alone resolves it from ~/.m2
 * ./mvnw -q -o -pl ingestion-service dependency:build-classpath -Dmdep.outputFile=/tmp/ingestion-cp.txt
 * SEXTANT_SHARED_DIR=$PWD/../shared SEXTANT_TEST_INGESTION_DB_URL=jdbc:postgresql://127.0.0.1:5432/sextant_ingestion_test \
 * SEXTANT_TEST_DB_USER=sextant SEXTANT_TEST_DB_PASSWORD=sextant flock /tmp/sextant-bench.lock \
 *   java -cp ingestion-service/target/test-classes:ingestion-service/target/classes:$(cat /tmp/ingestion-cp.txt) \
 *   dev.sextant.ingestion.bench.SciFactIngestBenchmark [--documents=N] [--inference=http://127.0.0.1:18081
 *   --retrieval=http://127.0.0.1:18082] [--threads=32] [--batch=32] [--concurrent-requests=2]
 *   [--dump-chunks=FILE [--dump-only=true]] [--pids=inference:PID,retrieval:PID] [--peer-chunks=N]
 * </pre>
 */
public final class SciFactIngestBenchmark {

    private static final String SCHEMA = "bench";
    private static final String TENANT = "bench";
    private static final int POST_BATCH = 50;

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new java.util.HashMap<>();
        for (String arg : args) {
            if (arg.startsWith("--") && arg.contains("=")) {
                options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else if (arg.matches("\\d+")) {
                options.put("documents", arg);
            } else {
                throw new IllegalArgumentException("unknown argument '" + arg + "' (known: --documents=N, --inference=URL, "
                        + "--retrieval=URL, --threads=N, --batch=N, --concurrent-requests=N, --dump-chunks=FILE, --dump-only=true, --pids=name:pid,..., --peer-chunks=N)");
            }
        }
        int limit = Integer.parseInt(options.getOrDefault("documents", String.valueOf(Integer.MAX_VALUE)));
        String inferenceUrl = options.get("inference");
        String retrievalUrl = options.get("retrieval");
        if ((inferenceUrl == null) != (retrievalUrl == null)) {
            throw new IllegalArgumentException("give both --inference and --retrieval, or neither");
        }
        boolean real = inferenceUrl != null;
        String workers = options.getOrDefault("threads", "32"); // application.yml's default
        String batch = options.getOrDefault("batch", "32");
        String inFlight = options.getOrDefault("concurrent-requests", "2");
        int cores = Runtime.getRuntime().availableProcessors();
        Path corpus = Path.of(System.getenv().getOrDefault("SEXTANT_SHARED_DIR", "../shared"),
                "retrieval", "scifact", "corpus.jsonl.gz");
        List<Map<String, String>> documents = load(corpus, limit);
        System.out.printf("machine: %d cores, %s; load average at start: %s%n", cores, cpu(), loadAverage());
        System.out.printf("mode: %s; %s worker threads, embedding batch %s, %s requests in flight; chunks <= 200 tokens, "
                + "overlap 32; 1 repetition%n", real ? "running services (inference " + inferenceUrl + ", retrieval "
                + retrievalUrl + ")" : "in-process upstreams (ONNX Runtime all-MiniLM-L6-v2, in-memory store)",
                workers, batch, inFlight);
        System.out.printf("corpus: %s, %d documents%n", corpus, documents.size());

        // the chunks the pipeline will make, to know their token lengths (and for the peer)
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
        printLengths(texts);
        if (options.containsKey("dump-chunks")) {
            Files.write(Path.of(options.get("dump-chunks")), texts.stream().map(Http.JSON::writeValueAsString).toList());
            System.out.printf("chunk texts written to %s (one JSON string per line)%n", options.get("dump-chunks"));
            if (limit == 0 || options.containsKey("dump-only")) {
                System.exit(0);
            }
        }

        try (Connection c = DriverManager.getConnection(TestDatabase.url(), TestDatabase.user(), TestDatabase.password());
                Statement s = c.createStatement()) {
            s.execute("drop schema if exists " + SCHEMA + " cascade");
        }
        OnnxMiniLm model = real ? null : new OnnxMiniLm(cores);
        String collection = real ? "scifact-" + System.currentTimeMillis() : "scifact";
        try (FakeUpstreams upstreams = real ? null : new FakeUpstreams(model::embed)) {
            String inference = real ? inferenceUrl : upstreams.baseUrl();
            String retrieval = real ? retrievalUrl : upstreams.baseUrl();
            if (real) {
                for (String name : List.of(collection, "warmup")) {
                    Http.Response created = new Http(retrieval).postJson("/v1/collections", TENANT,
                            Map.of("name", name, "embeddingModel", "all-minilm-l6-v2", "dimension", 384));
                    if (created.status() != 201 && created.status() != 409) {
                        throw new IllegalStateException("creating collection " + name + " answered " + created.status() + ": " + created.body());
                    }
                }
            }
            ConfigurableApplicationContext context = new SpringApplicationBuilder(IngestionApplication.class).run(
                    "--server.port=0",
                    "--spring.datasource.url=" + TestDatabase.url(SCHEMA),
                    "--spring.datasource.username=" + TestDatabase.user(),
                    "--spring.datasource.password=" + TestDatabase.password(),
                    "--spring.flyway.schemas=" + SCHEMA, "--spring.flyway.default-schema=" + SCHEMA,
                    "--sextant.ingestion.embedding.base-url=" + inference,
                    "--sextant.ingestion.retrieval.base-url=" + retrieval,
                    "--sextant.ingestion.worker.threads=" + workers,
                    "--sextant.ingestion.embedding.batch-size=" + batch,
                    "--sextant.ingestion.embedding.max-concurrent-requests=" + inFlight,
                    "--sextant.ingestion.worker.poll-interval=20ms",
                    "--logging.level.root=WARN",
                    "--management.tracing.sampling.probability=0");
            int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
            Http http = new Http("http://127.0.0.1:" + port);
            MeterRegistry meters = context.getBean(MeterRegistry.class);

            // warm-up: one small document through the whole pipeline
            http.postJson("/v1/collections/warmup/documents", TENANT,
                    Map.of("documents", List.of(Map.of("title", "warm-up", "text", "Warm-up text for the JIT."))));
            awaitAllDone(60);
            Map<String, Double> before = stages(meters);
            Map<String, Double> inferenceBefore = real ? inferenceMetrics(inference) : Map.of();
            Map<String, Double> cpuBefore = cpuSeconds(options.get("pids"));

            long start = System.nanoTime();
            long postNanos = 0;
            for (int from = 0; from < documents.size(); from += POST_BATCH) {
                List<Map<String, String>> slice = documents.subList(from, Math.min(documents.size(), from + POST_BATCH));
                long t = System.nanoTime();
                Http.Response response = http.postJson("/v1/collections/" + collection + "/documents", TENANT, Map.of("documents", slice));
                postNanos += System.nanoTime() - t;
                if (response.status() != 202) {
                    throw new IllegalStateException("upload answered " + response.status() + ": " + response.body());
                }
            }
            awaitAllDone(4 * 3600);
            double wall = (System.nanoTime() - start) / 1e9;
            String loadAtEnd = loadAverage();
            int chunks = count("select coalesce(sum(chunks), 0) from documents where collection = '" + collection + "'");
            int indexed = count("select count(*) from documents where collection = '" + collection + "' and indexed_version = 1");
            int failed = count("select count(*) from jobs where state <> 'done'");
            Map<String, Double> after = stages(meters);
            Map<String, Double> inferenceAfter = real ? inferenceMetrics(inference) : Map.of();
            Map<String, Double> cpuAfter = cpuSeconds(options.get("pids"));
            System.out.printf("end to end: %d documents, %d chunks in %.1f s: %.2f documents/s, %.2f chunks/s (%d jobs not done); "
                    + "load average at end: %s%n", indexed, chunks, wall, indexed / wall, chunks / wall, failed, loadAtEnd);
            double calls = after.get("calls") - before.get("calls");
            double callCount = after.get("callCount") - before.get("callCount");
            System.out.printf("where time goes, summed over jobs (%s run at once, so sums exceed the wall time):%n", workers);
            System.out.printf("  upload+parse %.1f s (request time, %d requests of %d documents)%n", postNanos / 1e9,
                    (documents.size() + POST_BATCH - 1) / POST_BATCH, POST_BATCH);
            System.out.printf("  queue wait %.1f s (upload to claim; mean %.2f s per job)%n", diff(before, after, "queue"),
                    diff(before, after, "queue") / Math.max(1, indexed));
            System.out.printf("  chunk %.1f s, embed %.1f s, index %.1f s%n", diff(before, after, "chunk"),
                    diff(before, after, "embed"), diff(before, after, "index"));
            System.out.printf("  embedding upstream calls: %.0f calls, %.1f texts each, %.1f s in calls (%.0f%% of wall with up to %s in flight)%n",
                    callCount, (after.get("texts") - before.get("texts")) / Math.max(1, callCount), calls, 100 * calls / wall, inFlight);
            if (real) {
                double tokenize = delta(inferenceBefore, inferenceAfter, "tokenize");
                double onnx = delta(inferenceBefore, inferenceAfter, "onnx");
                double pool = delta(inferenceBefore, inferenceAfter, "pool");
                double realTokens = delta(inferenceBefore, inferenceAfter, "real");
                double padded = delta(inferenceBefore, inferenceAfter, "padded");
                System.out.printf("  inside inference-service: tokenize %.1f s, ONNX Runtime %.1f s (%.0f%% of wall), pool %.1f s; "
                        + "%.0f tokens, %.0f computed with padding (%.1f%% padding), %.0f ONNX calls%n", tokenize, onnx,
                        100 * onnx / wall, pool, realTokens, padded, padded > 0 ? 100 * (padded - realTokens) / padded : 0,
                        delta(inferenceBefore, inferenceAfter, "calls"));
                if (onnx > 0) {
                    System.out.printf("  ONNX Runtime reached about %.1f GFLOP/s (FLOPs of the padded tokens at their mean length)%n",
                            paddedFlops(padded, texts.size()) / onnx / 1e9);
                }
            }
            StringBuilder cpu = new StringBuilder();
            double cpuTotal = 0;
            for (String name : cpuAfter.keySet()) {
                double used = cpuAfter.get(name) - cpuBefore.getOrDefault(name, 0.0);
                cpuTotal += name.startsWith("postgres") ? 0 : used;
                cpu.append(String.format("%s %.1f s, ", name, used));
            }
            System.out.printf("  CPU time (utime+stime) during the run: %s= %.1f CPU-s of the %.1f the %d cores had "
                    + "(postgres counts every backend on the machine, and is left out of the sum)%n", cpu, cpuTotal, cores * wall, cores);
            context.close();

            // the peer: the same chunks (or the first --peer-chunks of them), embedded alone in batches of 32, one
            // request at a time
            if (options.containsKey("peer-chunks")) {
                texts = texts.subList(0, Math.min(texts.size(), Integer.parseInt(options.get("peer-chunks"))));
            }
            long peerStart = System.nanoTime();
            if (real) {
                Http direct = new Http(inference);
                for (int from = 0; from < texts.size(); from += 32) {
                    Http.Response r = direct.postJson("/v1/embeddings", TENANT, Map.of("model", "all-minilm-l6-v2",
                            "input", texts.subList(from, Math.min(texts.size(), from + 32))));
                    if (r.status() != 200) {
                        throw new IllegalStateException("embeddings answered " + r.status() + ": " + r.body());
                    }
                }
            } else {
                for (int from = 0; from < texts.size(); from += 32) {
                    model.embed(texts.subList(from, Math.min(texts.size(), from + 32)));
                }
            }
            double peer = (System.nanoTime() - peerStart) / 1e9;
            System.out.printf("peer (%s alone, same %d chunks, batch 32): %.1f s, %.2f chunks/s; parse+chunk alone %.1f s; "
                    + "load average: %s%n", real ? "inference-service /v1/embeddings" : "in-process embedder",
                    texts.size(), peer, texts.size() / peer, chunkOnly, loadAverage());
            System.out.printf("ratio end-to-end / embedder-alone chunks/s: %.2f%s%n", (chunks / wall) / (texts.size() / peer),
                    options.containsKey("peer-chunks") ? " (peer on the first " + texts.size() + " chunks)" : "");
        }
        System.exit(0);
    }

    /** all-MiniLM-L6-v2 (6 layers, hidden 384, FFN 1536): multiply-adds count 2 FLOPs; softmax, norms, GELU left out. */
    static double flops(double tokens) {
        double linear = 2 * tokens * (4.0 * 384 * 384 + 2.0 * 384 * 1536);
        double attention = 2 * 2 * tokens * tokens * 384;
        return 6 * (linear + attention);
    }

    /** FLOPs of {@code padded} tokens spread over {@code texts} sequences of the mean padded length. */
    private static double paddedFlops(double padded, int texts) {
        double meanLength = padded / Math.max(1, texts);
        return texts * flops(meanLength);
    }

    private static void printLengths(List<String> texts) {
        try (dev.sextant.ingestion.chunk.MiniLmTokenCounter counter = new dev.sextant.ingestion.chunk.MiniLmTokenCounter()) {
            int[] lengths = texts.stream().mapToInt(t -> counter.spans(t).length / 2 + 2).sorted().toArray();
            double mean = java.util.Arrays.stream(lengths).average().orElse(0);
            double total = 0;
            for (int l : lengths) {
                total += flops(l);
            }
            System.out.printf("chunks: %d, tokens with [CLS]/[SEP]: mean %.0f, p10 %d, p50 %d, p90 %d, max %d; "
                    + "model FLOPs %.2f GFLOP per chunk on average, %.0f GFLOP in all%n", lengths.length, mean,
                    lengths[lengths.length / 10], lengths[lengths.length / 2], lengths[lengths.length * 9 / 10],
                    lengths[lengths.length - 1], total / lengths.length / 1e9, total / 1e9);
        }
    }

    private static Map<String, Double> stages(MeterRegistry meters) {
        Map<String, Double> m = new java.util.HashMap<>();
        for (String stage : List.of("queue", "chunk", "embed", "index")) {
            m.put(stage, seconds(meters, stage));
        }
        Timer calls = meters.find("sextant.ingestion.embedding.calls").timer();
        m.put("calls", calls == null ? 0 : calls.totalTime(TimeUnit.SECONDS));
        m.put("callCount", calls == null ? 0 : (double) calls.count());
        io.micrometer.core.instrument.DistributionSummary texts = meters.find("sextant.ingestion.embedding.batch.texts").summary();
        m.put("texts", texts == null ? 0 : texts.totalAmount());
        return m;
    }

    private static double diff(Map<String, Double> before, Map<String, Double> after, String key) {
        return after.get(key) - before.get(key);
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
        return after.getOrDefault(key, 0.0) - before.getOrDefault(key, 0.0);
    }

    /** inference-service's embedding counters from its Prometheus endpoint (empty when it has none). */
    private static Map<String, Double> inferenceMetrics(String base) {
        Map<String, Double> m = new java.util.HashMap<>();
        Http.Response r = new Http(base).get("/actuator/prometheus", TENANT);
        if (r.status() != 200) {
            return m;
        }
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("sextant_inference_embedding_")) {
                continue;
            }
            double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            if (line.startsWith("sextant_inference_embedding_seconds_total")) {
                m.put(line.replaceAll(".*stage=\"([a-z]+)\".*", "$1"), value);
            } else if (line.startsWith("sextant_inference_embedding_tokens_total")) {
                m.put(line.replaceAll(".*kind=\"([a-z]+)\".*", "$1"), value);
            } else if (line.startsWith("sextant_inference_embedding_onnx_calls_total")) {
                m.put("calls", value);
            }
        }
        return m;
    }

    /**
     * CPU seconds of this process, of each {@code name:pid} in {@code pids} (comma-separated) and of all postgres
     * processes, from /proc (Linux only; empty elsewhere).
     */
    private static Map<String, Double> cpuSeconds(String pids) {
        Map<String, Double> m = new java.util.LinkedHashMap<>();
        m.put("ingestion+bench", cpuOf(String.valueOf(ProcessHandle.current().pid())));
        if (pids != null) {
            for (String entry : pids.split(",")) {
                m.put(entry.substring(0, entry.indexOf(':')), cpuOf(entry.substring(entry.indexOf(':') + 1)));
            }
        }
        double postgres = 0;
        java.io.File[] procs = new java.io.File("/proc").listFiles((d, n) -> n.matches("\\d+"));
        for (java.io.File p : procs == null ? new java.io.File[0] : procs) {
            try {
                if (Files.readString(p.toPath().resolve("comm")).trim().equals("postgres")) {
                    postgres += cpuOf(p.getName());
                }
            } catch (Exception e) {
                // gone meanwhile
            }
        }
        m.put("postgres", postgres);
        return m;
    }

    private static double cpuOf(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ 100)
        } catch (Exception e) {
            return 0;
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown";
        }
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
