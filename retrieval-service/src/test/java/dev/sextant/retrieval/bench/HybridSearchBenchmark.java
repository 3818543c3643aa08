package dev.sextant.retrieval.bench;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
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
import dev.sextant.retrieval.store.pgvector.PgVectorStore;
import dev.sextant.retrieval.store.pgvector.PgVectorStores;

/**
 * Hybrid search on N synthetic 384-d chunks (default 100,000; clustered unit vectors, Zipf-distributed words):
 * p50/p95 latency of dense (top 50), lexical (top 50) and hybrid queries (dense top 50 + lexical top 50, RRF, top
 * 10) with one client and with 16 concurrent clients; recall@10 of dense against EXACT (brute-force) neighbours, and
 * of the hybrid result against the same fusion over exact dense neighbours. Runs on Lucene and, when
 * SEXTANT_TEST_RETRIEVAL_DB_URL is set, on pgvector (loaded by COPY with the HNSW index built after loading, in
 * tenant {@code bench-hybrid}, collection {@code synthetic-N}, dropped at the end unless {@code keep} is given; a
 * kept collection of the same size is reused by the next run). Prints the load average before and after.
 *
 * <pre>
 * ./mvnw -q -o -pl retrieval-service test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.sextant.retrieval.bench.HybridSearchBenchmark -Dexec.args="100000 200 80 lucene,pgvector"
 * </pre>
 * Arguments: chunks, queries, ef_search, stores (comma-separated), and optionally {@code keep}.
 */
public final class HybridSearchBenchmark {

    private static final int DIM = 384;
    private static final int CANDIDATES = 50;
    private static final int PER_DOC = 100;
    private static final String TENANT = "bench-hybrid";

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int queries = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int efSearch = args.length > 2 ? Integer.parseInt(args[2]) : 80;
        Set<String> stores = Set.of((args.length > 3 ? args[3] : "lucene,pgvector").split(","));
        boolean keep = args.length > 4 && args[4].equals("keep");
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
        System.out.printf("Hybrid search benchmark: %d chunks x %d dims, %d queries, ef_search %d, %d candidates per list, RRF k=60, top 10; %d cores, Java %s; load average %s%n",
                n, DIM, queries, efSearch, CANDIDATES, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadAverage());
        List<List<String>> exactDense = java.util.stream.IntStream.range(0, queries).parallel()
                .mapToObj(q -> exact(vectors, queryVectors[q], CANDIDATES)).toList();
        double luceneP95 = Double.NaN;
        if (stores.contains("lucene")) {
            try (LuceneStore lucene = new LuceneStore(Files.createTempDirectory("bench-lucene"), 16, 100, java.time.Duration.ofSeconds(5))) {
                CollectionInfo c = lucene.createCollection(TENANT, "synthetic-" + n, "synthetic", DIM, VectorType.VECTOR);
                long t0 = System.nanoTime();
                for (int d = 0; d * PER_DOC < n; d++) {
                    List<ChunkInput> chunks = new ArrayList<>();
                    for (int i = d * PER_DOC; i < Math.min(n, (d + 1) * PER_DOC); i++) {
                        chunks.add(new ChunkInput(i - d * PER_DOC, texts[i], 0, texts[i].length(), null, List.of(), vectors[i]));
                    }
                    lucene.replaceDocument(TENANT, c, new DocumentInput("d" + d, null, null, null, 1, Map.of(), chunks));
                }
                System.out.printf("%n[lucene] loaded %d chunks in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
                luceneP95 = measure("lucene", lucene, c, queryVectors, queryTexts, exactDense, efSearch);
            }
        }
        String url = System.getenv("SEXTANT_TEST_RETRIEVAL_DB_URL");
        if (!stores.contains("pgvector")) {
            System.exit(0);
        }
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
            PgVectorStore store = PgVectorStores.open(ds, 16, 64);
            String name = "synthetic-" + n;
            CollectionInfo c = store.findCollection(TENANT, name).orElse(null);
            if (c != null && store.dense(TENANT, c, vectors[n - 1], 1, Filter.NONE, 40).stream()
                    .noneMatch(h -> h.chunk().documentId().equals("d" + (n - 1) / PER_DOC) && h.chunk().index() == (n - 1) % PER_DOC)) {
                store.deleteCollection(TENANT, name); // an interrupted load: start again
                c = null;
            }
            if (c == null) {
                c = store.createCollection(TENANT, name, "synthetic", DIM, VectorType.VECTOR);
                long t0 = System.nanoTime();
                PgVectorStores.bulkLoad(ds, store, TENANT, c, PER_DOC, texts, vectors);
                System.out.printf("%n[pgvector] loaded %d chunks (COPY, then HNSW m=16 ef_construction=64, VACUUM ANALYZE) in %.1f s%n",
                        n, (System.nanoTime() - t0) / 1e9);
            } else {
                System.out.printf("%n[pgvector] reusing the kept collection %s of tenant %s%n", name, TENANT);
            }
            double pgP95 = measure("pgvector", store, c, queryVectors, queryTexts, exactDense, efSearch);
            if (!Double.isNaN(luceneP95)) {
                System.out.printf("single-client hybrid p95 ratio pgvector / lucene: %.2f%n", pgP95 / luceneP95);
            }
            if (keep) {
                System.out.printf("kept collection %s of tenant %s for the next run%n", name, TENANT);
            } else {
                store.deleteCollection(TENANT, name);
            }
        }
        System.out.printf("load average at the end: %s%n", loadAverage());
        System.exit(0);
    }

    private static final ExecutorService PLATFORM = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bench-lexical");
        t.setDaemon(true);
        return t;
    });

    private interface Query {
        Object run(int q);
    }

    /** Prints p50/p95 of dense, lexical and hybrid, single client and 16 concurrent, and the recalls; returns hybrid single-client p95. */
    private static double measure(String name, ChunkStore store, CollectionInfo c, float[][] queryVectors, String[] queryTexts,
            List<List<String>> exactDense, int efSearch) throws Exception {
        int queries = queryVectors.length;
        Map<String, Query> modes = new java.util.LinkedHashMap<>();
        modes.put("dense", q -> store.dense(TENANT, c, queryVectors[q], CANDIDATES, Filter.NONE, Math.max(efSearch, CANDIDATES)));
        modes.put("lexical", q -> store.lexical(TENANT, c, queryTexts[q], CANDIDATES, Filter.NONE));
        modes.put("hybrid", q -> hybrid(store, c, queryVectors[q], queryTexts[q], efSearch));
        if (Boolean.getBoolean("bench.hybridVariants")) {
            // How the legs are run: one after the other, or the lexical leg on a pooled platform thread (the service
            // runs it on a virtual thread, whose blocking JDBC reads go through the JDK's poller).
            modes.put("hybrid-sequential", q -> ReciprocalRankFusion.fuse(
                    store.dense(TENANT, c, queryVectors[q], CANDIDATES, Filter.NONE, Math.max(efSearch, CANDIDATES)),
                    store.lexical(TENANT, c, queryTexts[q], CANDIDATES, Filter.NONE), 60, 10));
            modes.put("hybrid-platform", q -> {
                Future<List<ScoredChunk>> lexical = PLATFORM.submit(() -> store.lexical(TENANT, c, queryTexts[q], CANDIDATES, Filter.NONE));
                List<ScoredChunk> dense = store.dense(TENANT, c, queryVectors[q], CANDIDATES, Filter.NONE, Math.max(efSearch, CANDIDATES));
                try {
                    return ReciprocalRankFusion.fuse(dense, lexical.get(), 60, 10);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        double denseRecall = 0;
        double hybridRecall = 0;
        for (int q = 0; q < queries; q++) {
            List<ScoredChunk> dense = store.dense(TENANT, c, queryVectors[q], CANDIDATES, Filter.NONE, Math.max(efSearch, CANDIDATES));
            Set<String> dense10 = new HashSet<>(dense.stream().limit(10).map(ScoredChunk::key).toList());
            denseRecall += exactDense.get(q).stream().limit(10).filter(dense10::contains).count() / 10.0;
            List<ScoredChunk> lexical = store.lexical(TENANT, c, queryTexts[q], CANDIDATES, Filter.NONE);
            List<String> truth = ReciprocalRankFusion.fuse(asHits(exactDense.get(q)), lexical, 60, 10).stream().map(HybridSearchBenchmark::key).toList();
            Set<String> got = new HashSet<>(ReciprocalRankFusion.fuse(dense, lexical, 60, 10).stream().map(HybridSearchBenchmark::key).toList());
            hybridRecall += truth.stream().filter(got::contains).count() / (double) Math.max(1, truth.size());
        }
        System.out.printf("[%s] recall@10 vs exact: dense %.3f, hybrid %.3f (load average %s)%n", name, denseRecall / queries,
                hybridRecall / queries, loadAverage());
        double hybridP95 = Double.NaN;
        for (var mode : modes.entrySet()) {
            double[] single = new double[queries];
            for (int pass = 0; pass < 2; pass++) { // the first pass warms caches
                for (int q = 0; q < queries; q++) {
                    long a = System.nanoTime();
                    mode.getValue().run(q);
                    single[q] = (System.nanoTime() - a) / 1e6;
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(16);
            double[] concurrent = new double[queries * 2];
            long c0 = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < concurrent.length; i++) {
                int slot = i;
                futures.add(pool.submit(() -> {
                    long a = System.nanoTime();
                    mode.getValue().run(slot % queries);
                    concurrent[slot] = (System.nanoTime() - a) / 1e6;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            double seconds = (System.nanoTime() - c0) / 1e9;
            pool.shutdown();
            System.out.printf("[%s] %-17s single client: p50 %7.2f ms, p95 %7.2f ms | 16 concurrent: p50 %8.2f ms, p95 %8.2f ms, %5.0f queries/s | load %s%n",
                    name, mode.getKey(), pct(single, 50), pct(single, 95), pct(concurrent, 50), pct(concurrent, 95),
                    concurrent.length / seconds, loadAverage());
            if (mode.getKey().equals("hybrid")) {
                hybridP95 = pct(single, 95);
            }
        }
        return hybridP95;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static List<Hit> hybrid(ChunkStore store, CollectionInfo c, float[] v, String text, int efSearch) {
        // as SearchService does: the two legs at once
        return ReciprocalRankFusion.fuseConcurrently(() -> store.dense(TENANT, c, v, CANDIDATES, Filter.NONE, Math.max(efSearch, CANDIDATES)),
                () -> store.lexical(TENANT, c, text, CANDIDATES, Filter.NONE), 60, 10);
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
