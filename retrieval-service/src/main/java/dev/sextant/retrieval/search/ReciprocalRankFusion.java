package dev.sextant.retrieval.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.sextant.retrieval.store.ScoredChunk;

/**
 * Reciprocal rank fusion (Cormack et al., 2009): each list contributes {@code 1 / (k + rank)} (rank from 1) to a
 * chunk's score. Ranks, not raw scores, are fused, so cosine similarities and BM25 values need no
 * common scale. Ties keep the order of first appearance, dense before lexical.
 */
public final class ReciprocalRankFusion {

    private ReciprocalRankFusion() {
    }

    public static List<Hit> fuse(List<ScoredChunk> dense, List<ScoredChunk> lexical, int k, int topK) {
        Map<String, double[]> acc = new LinkedHashMap<>(); // key -> {rrf, dense, lexical}, NaN when absent
        Map<String, ScoredChunk> chunks = new LinkedHashMap<>();
        add(dense, k, 1, acc, chunks);
        add(lexical, k, 2, acc, chunks);
        List<Map.Entry<String, double[]>> entries = new ArrayList<>(acc.entrySet());
        entries.sort(Comparator.comparingDouble((Map.Entry<String, double[]> e) -> -e.getValue()[0]));
        return entries.stream().limit(topK).map(e -> new Hit(chunks.get(e.getKey()).chunk(), e.getValue()[0],
                nullIfNaN(e.getValue()[1]), nullIfNaN(e.getValue()[2]))).toList();
    }

    private static void add(List<ScoredChunk> list, int k, int slot, Map<String, double[]> acc, Map<String, ScoredChunk> chunks) {
        for (int rank = 1; rank <= list.size(); rank++) {
            ScoredChunk hit = list.get(rank - 1);
            double[] v = acc.computeIfAbsent(hit.key(), key -> new double[] {0, Double.NaN, Double.NaN});
            chunks.putIfAbsent(hit.key(), hit);
            v[0] += 1.0 / (k + rank);
            v[slot] = hit.score();
        }
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
