package dev.sextant.retrieval.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;

import dev.sextant.retrieval.store.ScoredChunk;

/**
 * Reciprocal rank fusion (Cormack et al., 2009): each list contributes {@code 1 / (k + rank)} (rank from 1) to a
 * chunk's score. Ranks, not raw scores, are fused, so cosine similarities and BM25 values need no
 * common scale. Ties keep the order of first appearance, dense before lexical.
 */
public final class ReciprocalRankFusion {

    private ReciprocalRankFusion() {
    }

    /**
     * Runs the lexical leg on a virtual thread while the caller runs the dense one (which may first embed the query),
     * then fuses: a hybrid query costs the slower leg, not the sum. Each leg is a separate store call on its own
     * pooled connection; an exception of either leg is rethrown as it was thrown.
     */
    public static List<Hit> fuseConcurrently(Supplier<List<ScoredChunk>> dense, Supplier<List<ScoredChunk>> lexical, int k, int topK) {
        FutureTask<List<ScoredChunk>> lexicalLeg = new FutureTask<>(lexical::get);
        Thread.ofVirtual().name("hybrid-lexical").start(lexicalLeg);
        List<ScoredChunk> denseHits;
        try {
            denseHits = dense.get();
        } catch (RuntimeException | Error e) {
            lexicalLeg.cancel(true);
            throw e;
        }
        try {
            return fuse(denseHits, lexicalLeg.get(), k, topK);
        } catch (InterruptedException e) {
            lexicalLeg.cancel(true);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the lexical leg", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
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
