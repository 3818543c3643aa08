package dev.sextant.inference.embedding.bench;

import java.util.ArrayList;
import java.util.List;

import dev.sextant.inference.embedding.MiniLmEmbedder;

/**
 * Embedding throughput of all-MiniLM-L6-v2 on ONNX Runtime, in-process (no HTTP): sentences per second at
 * batch 1 and batch 32, on sentences of 10 to 30 words. No peer runs in the same process; the figure to compare
 * with is TOOLCHAIN.md's (≈ 226/s at batch 1, 440-460/s at batch 32 on 2 cores).
 *
 * <pre>
 * java -cp "inference-service/target/classes:inference-service/target/test-classes:$(cat cp.txt)" \
 *     dev.sextant.inference.embedding.bench.EmbeddingBench [threads] [seconds]
 * </pre>
 */
public final class EmbeddingBench {

    private EmbeddingBench() {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        String[] words = ("the quick brown fox jumps over lazy dog while retrieval augmented generation systems index "
                + "enterprise documents into vector stores and answer questions with citations to real sources").split(" ");
        List<String> sentences = new ArrayList<>();
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        for (int i = 0; i < 512; i++) {
            StringBuilder s = new StringBuilder();
            int n = 10 + r.nextInt(21);
            for (int w = 0; w < n; w++) {
                s.append(w == 0 ? "" : " ").append(words[r.nextInt(words.length)]);
            }
            sentences.add(s.append('.').toString());
        }
        String load;
        try {
            load = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            load = "unknown";
        }
        System.out.printf("load average: %s%n", load);
        System.out.printf("machine: %d cpus; model all-MiniLM-L6-v2 (ONNX Runtime, %d intra-op threads); %.0f s per batch size%n",
                Runtime.getRuntime().availableProcessors(), threads, seconds);
        try (MiniLmEmbedder embedder = MiniLmEmbedder.fromClasspath(256, threads)) {
            for (int batch : new int[] {1, 8, 32}) {
                embedder.embed(sentences.subList(0, batch)); // warm-up
                long start = System.nanoTime();
                long done = 0;
                int reps = 0;
                while (System.nanoTime() - start < seconds * 1e9) {
                    int from = (reps * batch) % (sentences.size() - batch);
                    embedder.embed(sentences.subList(from, from + batch));
                    done += batch;
                    reps++;
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                System.out.printf("batch %2d: %7.1f sentences/s (%d calls, %.1f ms per call)%n", batch, done / elapsed,
                        reps, elapsed * 1000 / reps);
            }
        }
    }
}
