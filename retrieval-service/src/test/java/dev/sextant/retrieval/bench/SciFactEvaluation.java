package dev.sextant.retrieval.bench;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import dev.sextant.retrieval.search.Hit;
import dev.sextant.retrieval.search.ReciprocalRankFusion;
import dev.sextant.retrieval.store.ChunkInput;
import dev.sextant.retrieval.store.ChunkStore;
import dev.sextant.retrieval.store.CollectionInfo;
import dev.sextant.retrieval.store.DocumentInput;
import dev.sextant.retrieval.store.ScoredChunk;
import dev.sextant.retrieval.store.VectorType;
import dev.sextant.retrieval.store.filter.Filter;
import dev.sextant.retrieval.store.lucene.LuceneStore;
import dev.sextant.retrieval.store.pgvector.PgVectorStores;
import dev.sextant.testsupport.embedding.OnnxMiniLm;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Retrieval quality and latency on SciFact (BEIR; 5,183 abstracts, the dev qrels' queries): nDCG@10 and
 * recall@100 of dense (all-MiniLM-L6-v2 via ONNX Runtime, in-process), lexical and hybrid (RRF, k = 60, 100
 * candidates each) on the Lucene store and, when {@code SEXTANT_TEST_RETRIEVAL_DB_URL} is set, on pgvector; query
 * latency p50/p99 of the store calls (query embeddings are computed beforehand and not timed). The optional
 * argument names the stores (default {@code lucene,pgvector}). Document text is
 * "title text", as BEIR does. Corpus embeddings are cached in {@code target/scifact-minilm.bin}; while that cache
 * is incomplete, a first lexical-only stage runs on random vectors so that something prints early.
 *
 * <pre>
 * ./mvnw -q -o -pl embedding-test-support install   # once (and after changing it): -pl alone resolves it from ~/.m2
 * ./mvnw -q -o -pl retrieval-service test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.sextant.retrieval.bench.SciFactEvaluation
 * </pre>
 */
public final class SciFactEvaluation {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    record Doc(String id, String title, String text) {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(System.getenv().getOrDefault("SEXTANT_SHARED_DIR", "../shared"));
        Set<String> stores = Set.of((args.length > 0 ? args[0] : "lucene,pgvector").split(","));
        Path dir = shared.resolve("retrieval/scifact");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("SciFact not found at " + dir.toAbsolutePath() + "; set SEXTANT_SHARED_DIR");
        }
        List<Doc> corpus = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(dir.resolve("corpus.jsonl.gz"))), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null;) {
                JsonNode n = JSON.readTree(line);
                corpus.add(new Doc(n.get("_id").asString(), n.get("title").asString(), n.get("text").asString()));
            }
        }
        Map<String, Set<String>> qrels = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("qrels/dev.tsv")).subList(1, Files.readAllLines(dir.resolve("qrels/dev.tsv")).size())) {
            String[] f = line.split("\t");
            if (Integer.parseInt(f[2].trim()) > 0) {
                qrels.computeIfAbsent(f[0], k -> new java.util.HashSet<>()).add(f[1]);
            }
        }
        Map<String, String> queries = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("queries.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (qrels.containsKey(n.get("_id").asString())) {
                queries.put(n.get("_id").asString(), n.get("text").asString());
            }
        }
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        System.out.printf("SciFact: %d documents, %d queries with dev qrels; machine: %d cores, %s %s; model all-MiniLM-L6-v2 (ONNX Runtime, %d threads)%n",
                corpus.size(), queries.size(), threads, System.getProperty("os.name"), System.getProperty("java.version"), threads);

        // Stage 1, cheap: lexical only (documents carry random vectors), so BM25 vs ts_rank prints within a minute.
        java.util.Random random = new java.util.Random(7);
        List<float[]> randomVectors = new ArrayList<>();
        for (int i = 0; i < corpus.size(); i++) {
            float[] v = new float[384];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) random.nextGaussian();
            }
            randomVectors.add(v);
        }
        Path cache = Path.of("target/scifact-minilm.bin");
        if (!Files.exists(cache) || Files.size(cache) < (long) corpus.size() * (4 + 384 * 4)) {
            runOnStores(stores, corpus, randomVectors, queries, Map.of(), qrels);
        }

        // Stage 2: MiniLM embeddings (resumable cache), then every mode.
        List<float[]> docVectors;
        Map<String, float[]> queryVectors = new HashMap<>();
        try (OnnxMiniLm model = new OnnxMiniLm(threads)) {
            docVectors = corpusEmbeddings(model, corpus);
            List<String> ids = new ArrayList<>(queries.keySet());
            for (int i = 0; i < ids.size(); i += 32) {
                List<String> batch = ids.subList(i, Math.min(ids.size(), i + 32));
                List<float[]> vectors = model.embed(batch.stream().map(queries::get).toList());
                for (int j = 0; j < batch.size(); j++) {
                    queryVectors.put(batch.get(j), vectors.get(j));
                }
            }
        }
        runOnStores(stores, corpus, docVectors, queries, queryVectors, qrels);
        System.exit(0);
    }

    private static void runOnStores(Set<String> stores, List<Doc> corpus, List<float[]> vectors, Map<String, String> queries,
            Map<String, float[]> queryVectors, Map<String, Set<String>> qrels) throws Exception {
        if (stores.contains("lucene")) {
            Path luceneDir = Files.createTempDirectory("scifact-lucene");
            try (LuceneStore lucene = new LuceneStore(luceneDir, 16, 100, java.time.Duration.ofSeconds(5))) {
                evaluate("lucene", lucene, corpus, vectors, queries, queryVectors, qrels);
            }
        }
        if (!stores.contains("pgvector")) {
            return;
        }
        String url = System.getenv("SEXTANT_TEST_RETRIEVAL_DB_URL");
        if (url == null || url.isBlank()) {
            System.out.println("pgvector: not measured (SEXTANT_TEST_RETRIEVAL_DB_URL is not set)");
            return;
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(System.getenv().getOrDefault("SEXTANT_TEST_DB_USER", "sextant"));
        config.setPassword(System.getenv().getOrDefault("SEXTANT_TEST_DB_PASSWORD", "sextant"));
        try (HikariDataSource ds = new HikariDataSource(config)) {
            evaluate("pgvector", PgVectorStores.open(ds, 16, 64), corpus, vectors, queries, queryVectors, qrels);
        }
    }

    private static void evaluate(String name, ChunkStore store, List<Doc> corpus, List<float[]> vectors,
            Map<String, String> queries, Map<String, float[]> queryVectors, Map<String, Set<String>> qrels) {
        String tenant = "eval-" + UUID.randomUUID();
        CollectionInfo c = store.createCollection(tenant, "scifact", "all-minilm-l6-v2", 384, VectorType.VECTOR);
        long t0 = System.nanoTime();
        for (int i = 0; i < corpus.size(); i++) {
            Doc d = corpus.get(i);
            String text = d.title() + " " + d.text();
            store.replaceDocument(tenant, c, new DocumentInput(d.id(), d.title(), null, null, 1, Map.of(),
                    List.of(new ChunkInput(0, text, 0, text.length(), null, List.of(), vectors.get(i)))));
        }
        System.out.printf("%n[%s] indexed %d documents in %.1f s (one replaceDocument call per document; pgvector: one transaction each, Lucene: batched commits)%n", name,
                corpus.size(), (System.nanoTime() - t0) / 1e9);
        // warm-up
        boolean dense = !queryVectors.isEmpty();
        for (String q : queries.keySet().stream().limit(10).toList()) {
            if (dense) {
                store.dense(tenant, c, queryVectors.get(q), 100, Filter.NONE, 100);
            }
            store.lexical(tenant, c, queries.get(q), 100, Filter.NONE);
        }
        Map<String, List<Double>> ndcg = new LinkedHashMap<>();
        Map<String, List<Double>> recall = new LinkedHashMap<>();
        Map<String, List<Double>> latency = new LinkedHashMap<>();
        for (var q : queries.entrySet()) {
            Set<String> relevant = qrels.get(q.getKey());
            long a = System.nanoTime();
            List<ScoredChunk> denseHits = dense ? store.dense(tenant, c, queryVectors.get(q.getKey()), 100, Filter.NONE, 100) : List.of();
            long b = System.nanoTime();
            List<ScoredChunk> lexical = store.lexical(tenant, c, q.getValue(), 100, Filter.NONE);
            long d = System.nanoTime();
            List<Hit> hybrid = ReciprocalRankFusion.fuse(denseHits, lexical, 60, 100);
            long e = System.nanoTime();
            if (dense) {
                record(ndcg, recall, latency, "dense", denseHits.stream().map(h -> h.chunk().documentId()).toList(), relevant, (b - a) / 1e6);
            }
            record(ndcg, recall, latency, "lexical", lexical.stream().map(h -> h.chunk().documentId()).toList(), relevant, (d - b) / 1e6);
            if (dense) {
                record(ndcg, recall, latency, "hybrid", hybrid.stream().map(h -> h.chunk().documentId()).toList(), relevant, (e - a) / 1e6);
            }
        }
        System.out.printf("[%s] %-8s %8s %10s %9s %9s%n", name, "mode", "nDCG@10", "recall@100", "p50 ms", "p99 ms");
        for (String mode : ndcg.keySet()) {
            System.out.printf("[%s] %-8s %8.3f %10.3f %9.2f %9.2f%n", name, mode, mean(ndcg.get(mode)), mean(recall.get(mode)),
                    percentile(latency.get(mode), 50), percentile(latency.get(mode), 99));
        }
        store.deleteCollection(tenant, "scifact");
    }

    private static void record(Map<String, List<Double>> ndcg, Map<String, List<Double>> recall, Map<String, List<Double>> latency,
            String mode, List<String> ranked, Set<String> relevant, double ms) {
        double dcg = 0;
        for (int i = 0; i < Math.min(10, ranked.size()); i++) {
            if (relevant.contains(ranked.get(i))) {
                dcg += 1 / (Math.log(i + 2) / Math.log(2));
            }
        }
        double idcg = 0;
        for (int i = 0; i < Math.min(10, relevant.size()); i++) {
            idcg += 1 / (Math.log(i + 2) / Math.log(2));
        }
        long found = ranked.stream().limit(100).filter(relevant::contains).count();
        ndcg.computeIfAbsent(mode, k -> new ArrayList<>()).add(dcg / idcg);
        recall.computeIfAbsent(mode, k -> new ArrayList<>()).add((double) found / relevant.size());
        latency.computeIfAbsent(mode, k -> new ArrayList<>()).add(ms);
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double percentile(List<Double> xs, int p) {
        double[] sorted = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    /**
     * Embeds the corpus shortest first in batches of 32, appending each batch (index, vector) to
     * target/scifact-minilm.bin so that an interrupted run resumes where it stopped.
     */
    private static List<float[]> corpusEmbeddings(OnnxMiniLm model, List<Doc> corpus) throws Exception {
        Path cache = Path.of("target/scifact-minilm.bin");
        float[][] vectors = new float[corpus.size()][];
        int cached = 0;
        if (Files.exists(cache)) {
            try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(cache)))) {
                while (in.available() > 0) {
                    int index = in.readInt();
                    float[] v = new float[384];
                    for (int j = 0; j < v.length; j++) {
                        v[j] = in.readFloat();
                    }
                    vectors[index] = v;
                    cached++;
                }
            } catch (java.io.EOFException truncated) {
                // the last record was cut short by an interruption; it is embedded again
            }
        }
        Integer[] order = new Integer[corpus.size()];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.comparingInt(i -> corpus.get(i).title().length() + corpus.get(i).text().length()));
        List<Integer> todo = Arrays.stream(order).filter(i -> vectors[i] == null).toList();
        System.out.printf("corpus embeddings: %d cached, %d to compute%n", cached, todo.size());
        long t0 = System.nanoTime();
        Files.createDirectories(cache.getParent());
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(cache,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)))) {
            for (int i = 0; i < todo.size(); i += 32) {
                List<Integer> batch = todo.subList(i, Math.min(todo.size(), i + 32));
                List<float[]> embedded = model.embed(batch.stream().map(k -> corpus.get(k).title() + " " + corpus.get(k).text()).toList());
                for (int j = 0; j < batch.size(); j++) {
                    vectors[batch.get(j)] = embedded.get(j);
                    out.writeInt(batch.get(j));
                    for (float x : embedded.get(j)) {
                        out.writeFloat(x);
                    }
                }
                out.flush();
                if ((i / 32) % 10 == 0) {
                    System.out.printf("  embedded %d / %d (%.0f s)%n", i + batch.size(), todo.size(), (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        System.out.printf("embedded %d documents in %.1f s%n", todo.size(), (System.nanoTime() - t0) / 1e9);
        return List.of(vectors);
    }
}
