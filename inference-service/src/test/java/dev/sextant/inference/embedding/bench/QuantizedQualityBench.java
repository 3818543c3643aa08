package dev.sextant.inference.embedding.bench;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import dev.sextant.inference.embedding.MiniLmEmbedder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What an int8 all-MiniLM-L6-v2 costs in retrieval quality: dense nDCG@10 and recall@100 on SciFact (BEIR; the dev
 * qrels, "title text" per document, exact cosine search, as retrieval-service's SciFactEvaluation does) with the
 * float32 model and with the given ONNX file, plus the cosine between the two models' vectors of each document,
 * and what a collection that mixes them loses: int8 queries against float32 documents (a collection filled before
 * the switch). Corpus vectors are cached per model under {@code target/} so a rerun only searches.
 *
 * <pre>
 * java -cp "inference-service/target/classes:inference-service/target/test-classes:$(cat cp.txt)" \
 *     dev.sextant.inference.embedding.bench.QuantizedQualityBench path/to/all-minilm-l6-v2-q.onnx [threads]
 * </pre>
 */
public final class QuantizedQualityBench {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private QuantizedQualityBench() {
    }

    public static void main(String[] args) throws Exception {
        Path int8 = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Path dir = Path.of(System.getenv().getOrDefault("SEXTANT_SHARED_DIR", "../shared")).resolve("retrieval/scifact");
        List<String> ids = new ArrayList<>();
        List<String> docs = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(dir.resolve("corpus.jsonl.gz"))), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null;) {
                JsonNode n = JSON.readTree(line);
                ids.add(n.get("_id").asString());
                docs.add(n.get("title").asString() + " " + n.get("text").asString());
            }
        }
        Map<String, Set<String>> qrels = new LinkedHashMap<>();
        List<String> qrelLines = Files.readAllLines(dir.resolve("qrels/dev.tsv"));
        for (String line : qrelLines.subList(1, qrelLines.size())) {
            String[] f = line.split("\t");
            if (Integer.parseInt(f[2].trim()) > 0) {
                qrels.computeIfAbsent(f[0], k -> new HashSet<>()).add(f[1]);
            }
        }
        Map<String, String> queries = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("queries.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (qrels.containsKey(n.get("_id").asString())) {
                queries.put(n.get("_id").asString(), n.get("text").asString());
            }
        }
        System.out.printf("SciFact: %d documents, %d queries with dev qrels; ONNX Runtime %d threads; load average %s%n",
                docs.size(), queries.size(), threads, Files.readString(Path.of("/proc/loadavg")).trim());
        List<String> queryTexts = new ArrayList<>(queries.values());
        float[][] docF = embed(null, docs, threads, Path.of("target/scifact-fp32.bin"));
        float[][] docQ = embed(int8, docs, threads, Path.of("target/scifact-" + int8.getFileName() + ".bin"));
        float[][] queryF = embed(null, queryTexts, threads, null);
        float[][] queryQ = embed(int8, queryTexts, threads, null);
        double sum = 0;
        double min = 1;
        for (int i = 0; i < docF.length; i++) {
            double c = dot(docF[i], docQ[i]);
            sum += c;
            min = Math.min(min, c);
        }
        System.out.printf("cosine(fp32, int8) of the same document: mean %.4f, min %.4f%n", sum / docF.length, min);
        List<String> qids = new ArrayList<>(queries.keySet());
        report("fp32 queries, fp32 documents", queryF, docF, qids, ids, qrels);
        report("int8 queries, int8 documents", queryQ, docQ, qids, ids, qrels);
        report("int8 queries, fp32 documents (mixed)", queryQ, docF, qids, ids, qrels);
    }

    private static void report(String name, float[][] queries, float[][] docs, List<String> qids, List<String> ids,
            Map<String, Set<String>> qrels) {
        double ndcg = 0;
        double recall = 0;
        for (int q = 0; q < queries.length; q++) {
            Set<String> relevant = qrels.get(qids.get(q));
            int[] top = top(queries[q], docs, 100);
            double dcg = 0;
            double ideal = 0;
            int found = 0;
            for (int r = 0; r < top.length; r++) {
                if (relevant.contains(ids.get(top[r]))) {
                    found++;
                    if (r < 10) {
                        dcg += 1 / (Math.log(r + 2) / Math.log(2));
                    }
                }
            }
            for (int r = 0; r < Math.min(10, relevant.size()); r++) {
                ideal += 1 / (Math.log(r + 2) / Math.log(2));
            }
            ndcg += dcg / ideal;
            recall += (double) found / relevant.size();
        }
        System.out.printf("%-40s nDCG@10 %.4f, recall@100 %.4f%n", name, ndcg / queries.length, recall / queries.length);
    }

    private static int[] top(float[] q, float[][] docs, int k) {
        Integer[] order = new Integer[docs.length];
        double[] score = new double[docs.length];
        for (int i = 0; i < docs.length; i++) {
            order[i] = i;
            score[i] = dot(q, docs[i]);
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(score[b], score[a]));
        int[] top = new int[Math.min(k, docs.length)];
        for (int i = 0; i < top.length; i++) {
            top[i] = order[i];
        }
        return top;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static float[][] embed(Path model, List<String> texts, int threads, Path cache) throws Exception {
        if (cache != null && Files.exists(cache) && Files.size(cache) == (long) texts.size() * MiniLmEmbedder.DIMENSION * 4) {
            float[][] v = new float[texts.size()][MiniLmEmbedder.DIMENSION];
            try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(cache)))) {
                for (float[] row : v) {
                    for (int d = 0; d < row.length; d++) {
                        row[d] = in.readFloat();
                    }
                }
            }
            return v;
        }
        long start = System.nanoTime();
        float[][] v = new float[texts.size()][];
        try (MiniLmEmbedder e = MiniLmEmbedder.load(model, 256, threads, false, MiniLmEmbedder.MAX_PADDING)) {
            for (int from = 0; from < texts.size(); from += 32) {
                float[][] part = e.embed(texts.subList(from, Math.min(texts.size(), from + 32))).vectors();
                System.arraycopy(part, 0, v, from, part.length);
            }
        }
        System.out.printf("embedded %d texts with %s in %.1f s%n", texts.size(), model == null ? "fp32" : model.getFileName(),
                (System.nanoTime() - start) / 1e9);
        if (cache != null) {
            Files.createDirectories(cache.toAbsolutePath().getParent());
            try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(cache)))) {
                for (float[] row : v) {
                    for (float f : row) {
                        out.writeFloat(f);
                    }
                }
            }
        }
        return v;
    }
}
