package dev.sextant.inference.embedding.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.sextant.inference.embedding.MiniLmEmbedder;
import tools.jackson.databind.json.JsonMapper;

/**
 * Embedding throughput of all-MiniLM-L6-v2 on real ingestion chunks, in-process (no HTTP): the chunk texts come
 * from a file of one JSON string per line (SciFactIngestBenchmark {@code --dump-chunks=FILE} writes SciFact's), and
 * are embedded in batches of 32 in their order, as ingestion sends them. Each variant (model file, padding policy,
 * spinning) runs on the same texts in the same process, one after the other, and prints chunks/s of wall time and,
 * because the machine is shared, chunks per CPU-second of this process (times the thread count: what the cores would
 * give alone) and the GFLOP/s that ONNX Runtime reached per CPU-second, counting 2 FLOPs per multiply-add of the 6 layers (hidden 384, FFN 1536) on
 * the tokens it computed, padding included.
 *
 * <pre>
 * java -cp "inference-service/target/classes:inference-service/target/test-classes:$(cat cp.txt)" \
 *     dev.sextant.inference.embedding.bench.ChunkEmbeddingBench CHUNKS_FILE [count] [threads] [int8.onnx|-] [variants]
 * </pre>
 */
public final class ChunkEmbeddingBench {

    private ChunkEmbeddingBench() {
    }

    public static void main(String[] args) throws Exception {
        JsonMapper json = JsonMapper.builder().build();
        List<String> all = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            all.add(json.readValue(line, String.class));
        }
        int count = args.length > 1 ? Math.min(all.size(), Integer.parseInt(args[1])) : all.size();
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path int8 = args.length > 3 && !args[3].equals("-") ? Path.of(args[3]) : null;
        List<String> texts = all.subList(0, count);
        System.out.printf("machine: %d cpus; %d chunks of %s; ONNX Runtime %d intra-op threads; batch 32; load average %s%n",
                Runtime.getRuntime().availableProcessors(), count, args[0], threads, Files.readString(Path.of("/proc/loadavg")).trim());
        record Variant(String name, Path model, boolean spinning, double maxPadding) {
        }
        Map<String, Variant> known = new LinkedHashMap<>();
        known.put("padded", new Variant("fp32, padded to the batch's longest", null, false, 1e9));
        known.put("sorted", new Variant("fp32, length-sorted runs (<= 10% padding)", null, false, MiniLmEmbedder.MAX_PADDING));
        known.put("spin", new Variant("fp32, padded, spinning threads", null, true, 1e9));
        if (int8 != null) {
            known.put("int8", new Variant("int8 " + int8.getFileName() + ", padded", int8, false, 1e9));
            known.put("int8-sorted", new Variant("int8 " + int8.getFileName() + ", length-sorted runs", int8, false, MiniLmEmbedder.MAX_PADDING));
        }
        List<String> names = args.length > 4 ? List.of(args[4].split(",")) : new ArrayList<>(known.keySet());
        for (String name : names) {
            Variant v = known.get(name);
            if (v == null) {
                throw new IllegalArgumentException("unknown variant " + name + "; known: " + known.keySet());
            }
            try (MiniLmEmbedder embedder = MiniLmEmbedder.load(v.model(), 256, threads, v.spinning(), v.maxPadding())) {
                embedder.embed(texts.subList(0, Math.min(32, count))); // warm-up
                MiniLmEmbedder.Stats s = embedder.stats();
                double onnx0 = s.onnxSeconds();
                long tokens0 = s.tokens();
                long padded0 = s.paddedTokens();
                long calls0 = s.onnxCalls();
                long start = System.nanoTime();
                long cpu0 = cpuNanos();
                for (int from = 0; from < count; from += 32) {
                    embedder.embed(texts.subList(from, Math.min(count, from + 32)));
                }
                double wall = (System.nanoTime() - start) / 1e9;
                double cpu = (cpuNanos() - cpu0) / 1e9;
                double onnx = s.onnxSeconds() - onnx0;
                long tokens = s.tokens() - tokens0;
                long padded = s.paddedTokens() - padded0;
                long calls = s.onnxCalls() - calls0;
                double flops = count * flops((double) padded / count);
                System.out.printf("%-48s %6.2f chunks/s wall; %.1f CPU-s: %6.2f chunks per CPU-second (x%d cores = %.1f chunks/s, "
                        + "~%.0f GFLOP/s, %.0f GFLOP per CPU-second); %d calls, %.1f%% padding%n",
                        v.name(), count / wall, cpu, count / cpu, threads, threads * count / cpu, threads * flops / cpu / 1e9,
                        flops / cpu / 1e9, calls, 100.0 * (padded - tokens) / padded);
            }
        }
        System.out.printf("load average at end: %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
    }

    /** CPU time of this process, all threads (ONNX Runtime's pool does not spin, so it is the work done). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** FLOPs of one sequence of {@code tokens} tokens: linear layers plus attention scores and mixing. */
    static double flops(double tokens) {
        return 6 * (2 * tokens * (4.0 * 384 * 384 + 2.0 * 384 * 1536) + 4 * tokens * tokens * 384);
    }
}
