package dev.sextant.retrieval.bench;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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

/**
 * Hybrid search on N synthetic 384-d chunks (default 100,000; clustered unit vectors, Zipf-distributed words):
 * p50/p95 latency of a hybrid query (dense top 50 + lexical top 50, RRF, top 10) with one client and with 16
 * concurrent clients, and recall@10 of the hybrid result against the same fusion over EXACT dense neighbours
 * (brute force). Runs on Lucene and, when SEXTANT_TEST_RETRIEVAL_DB_URL is set, on pgvector; prints the ratio.
 *
 * <pre>
 * ./mvnw -q -o -pl retrieval-service test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.sextant.retrieval.bench.HybridSearchBenchmark -Dexec.args="100000 200"
 * </pre>
 */
public final class HybridSearchBenchmark {

    private static final int DIM = 384;
    private static final int CANDIDATES = 50;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int queries = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int efSearch = args.length > 2 ? Integer.parseInt(args[2]) : 80;
        Random random = new Random(42);
        float[][] centroids = new float[256][];
        for (int i = 0; i < centroids.length; i++) {
            centroids[i] = unit(gaussian(random, 1.0f));
        }
        String[] vocabulary = new String[5000];
        for (int i = 0; i < vocabulary.length; i++) {
            vocabulary[i] = "w" + Integer.toString(i * 7919 % 100_000, 36) + "x";
        }
        float[][] vectors = new float[n][];
        String[] texts = new String[n];
        for (int i = 0; i < n; i++) {
            vectors[i] = noisy(random, centroids[random.nextInt(centroids.length)], 0.6f);
            texts[i] = words(random, vocabulary, 40);
        }
        float[][] queryVectors = new float[queries][];
        String[] queryTexts = new String[queries];
        for (int q = 0; q < queries; q++) {
            queryVectors[q] = noisy(random, centroids[random.nextInt(centroids.length)], 0.6f);
            queryTexts[q] = words(random, vocabulary, 4);
        }
        System.out.printf("Hybrid search benchmark: %d chunks x %d dims, %d queries, ef_search %d, %d candidates per list, RRF k=60, top 10; %d cores, Java %s%n",
                n, DIM, queries, efSearch, CANDIDATES, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        List<List<String>> exactDense = new ArrayList<>();
        for (int q = 0; q < queries; q++) {
            exactDense.add(exact(vectors, queryVectors[q], CANDIDATES));
        }
        double luceneP95;
        try (LuceneStore lucene = new LuceneStore(Files.createTempDirectory("bench-lucene"), 16, 100, java.time.Duration.ofSeconds(5))) {
            luceneP95 = run("lucene", lucene, vectors, texts, queryVectors, queryTexts, exactDense, efSearch);
        }
        String url = System.getenv("SEXTANT_TEST_RETRIEVAL_DB_URL");
        if (url == null || url.isBlank()) {
            System.out.println("pgvector: not measured (SEXTANT_TEST_RETRIEVAL_DB_URL is not set)");
            System.exit(0);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(System.getenv().getOrDefault("SEXTANT_TEST_DB_USER", "sextant"));
        config.setPassword(System.getenv().getOrDefault("SEXTANT_TEST_DB_PASSWORD", "sextant"));
        config.setMaximumPoolSize(16);
        try (HikariDataSource ds = new HikariDataSource(config)) {
            double pgP95 = run("pgvector", PgVectorStores.open(ds, 16, 64), vectors, texts, queryVectors, queryTexts, exactDense, efSearch);
            System.out.printf("single-client p95 ratio pgvector / lucene: %.2f%n", pgP95 / luceneP95);
        }
        System.exit(0);
    }

    private static double run(String name, ChunkStore store, float[][] vectors, String[] texts, float[][] queryVectors,
            String[] queryTexts, List<List<String>> exactDense, int efSearch) throws Exception {
        String tenant = "bench-" + UUID.randomUUID();
        CollectionInfo c = store.createCollection(tenant, "bench", "synthetic", DIM, VectorType.VECTOR);
        long t0 = System.nanoTime();
        int perDoc = 100;
        for (int d = 0; d * perDoc < vectors.length; d++) {
            List<ChunkInput> chunks = new ArrayList<>();
            for (int i = d * perDoc; i < Math.min(vectors.length, (d + 1) * perDoc); i++) {
                chunks.add(new ChunkInput(i - d * perDoc, texts[i], 0, texts[i].length(), null, List.of(), vectors[i]));
            }
            store.replaceDocument(tenant, c, new DocumentInput("d" + d, null, null, null, 1, Map.of(), chunks));
        }
        System.out.printf("%n[%s] loaded %d chunks in %.1f s%n", name, vectors.length, (System.nanoTime() - t0) / 1e9);
        double recall = 0;
        double[] single = new double[queryVectors.length];
        for (int pass = 0; pass < 2; pass++) { // first pass warms caches
            recall = 0;
            for (int q = 0; q < queryVectors.length; q++) {
                long a = System.nanoTime();
                List<Hit> hits = hybrid(store, tenant, c, queryVectors[q], queryTexts[q], efSearch);
                single[q] = (System.nanoTime() - a) / 1e6;
                List<ScoredChunk> lexical = store.lexical(tenant, c, queryTexts[q], CANDIDATES, Filter.NONE);
                List<String> truth = ReciprocalRankFusion.fuse(asHits(exactDense.get(q)), lexical, 60, 10).stream().map(h -> key(h)).toList();
                Set<String> got = new HashSet<>(hits.stream().map(HybridSearchBenchmark::key).toList());
                recall += truth.stream().filter(got::contains).count() / (double) Math.max(1, truth.size());
            }
        }
        recall /= queryVectors.length;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        double[] concurrent = new double[queryVectors.length * 2];
        long c0 = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < concurrent.length; i++) {
            int slot = i;
            futures.add(pool.submit(() -> {
                int q = slot % queryVectors.length;
                long a = System.nanoTime();
                hybrid(store, tenant, c, queryVectors[q], queryTexts[q], efSearch);
                concurrent[slot] = (System.nanoTime() - a) / 1e6;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double seconds = (System.nanoTime() - c0) / 1e9;
        pool.shutdown();
        System.out.printf("[%s] single client: p50 %.2f ms, p95 %.2f ms; 16 concurrent: p50 %.2f ms, p95 %.2f ms, %.0f queries/s; hybrid recall@10 vs exact %.3f%n",
                name, pct(single, 50), pct(single, 95), pct(concurrent, 50), pct(concurrent, 95), concurrent.length / seconds, recall);
        store.deleteCollection(tenant, "bench");
        return pct(single, 95);
    }

    private static List<Hit> hybrid(ChunkStore store, String tenant, CollectionInfo c, float[] v, String text, int efSearch) {
        List<ScoredChunk> dense = store.dense(tenant, c, v, CANDIDATES, Filter.NONE, Math.max(efSearch, CANDIDATES));
        List<ScoredChunk> lexical = store.lexical(tenant, c, text, CANDIDATES, Filter.NONE);
        return ReciprocalRankFusion.fuse(dense, lexical, 60, 10);
    }

    private static String key(Hit h) {
        return h.chunk().documentId() + "#" + h.chunk().index();
    }

    private static List<ScoredChunk> asHits(List<String> keys) {
        List<ScoredChunk> hits = new ArrayList<>();
        for (String k : keys) {
            String[] p = k.split("#");
            hits.add(new ScoredChunk(new dev.sextant.retrieval.store.StoredChunk(p[0], Integer.parseInt(p[1]), "", 0, 0, null,
                    List.of(), null, null, 1, Map.of()), 0));
        }
        return hits;
    }

    /** Brute-force top-k by cosine (vectors are unit length), as document#chunk keys. */
    private static List<String> exact(float[][] vectors, float[] q, int k) {
        Integer[] idx = new Integer[vectors.length];
        double[] score = new double[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            idx[i] = i;
            double dot = 0;
            for (int j = 0; j < DIM; j++) {
                dot += vectors[i][j] * q[j];
            }
            score[i] = dot;
        }
        Arrays.sort(idx, (a, b) -> Double.compare(score[b], score[a]));
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            keys.add("d" + idx[i] / 100 + "#" + idx[i] % 100);
        }
        return keys;
    }

    private static double pct(double[] xs, int p) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    private static float[] gaussian(Random r, float scale) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) r.nextGaussian() * scale;
        }
        return v;
    }

    private static float[] noisy(Random r, float[] centre, float noise) {
        float[] v = gaussian(r, noise / (float) Math.sqrt(DIM));
        for (int i = 0; i < DIM; i++) {
            v[i] += centre[i];
        }
        return unit(v);
    }

    private static float[] unit(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        float inv = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            v[i] *= inv;
        }
        return v;
    }

    private static String words(Random r, String[] vocabulary, int count) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < count; i++) {
            // Zipf-like: squaring a uniform draw favours the first words of the vocabulary.
            double u = r.nextDouble();
            s.append(vocabulary[(int) (u * u * u * vocabulary.length)]).append(' ');
        }
        return s.toString().trim();
    }
}
