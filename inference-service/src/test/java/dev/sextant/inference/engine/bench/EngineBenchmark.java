package dev.sextant.inference.engine.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import dev.sextant.inference.engine.Batch;
import dev.sextant.inference.engine.Model;
import dev.sextant.inference.engine.Session;
import dev.sextant.inference.engine.SessionOptions;
import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.RandomModelGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Decode (batch 1) and prefill (512-token prompt) throughput of Sextant's engine and of llama.cpp
 * (java-llama.cpp, same file, same thread count, same JVM run), their ratio, and our RSS after load.
 * Not a test: a program that prints figures. Run from the repository root:
 * <pre>
 * ./mvnw -q -o -pl inference-service -am test-compile
 * cd inference-service
 * ../mvnw -q -o dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
 * SEXTANT_SHARED_DIR=$PWD/../../shared java -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) \
 *   dev.sextant.inference.engine.bench.EngineBenchmark 2 128 3
 * </pre>
 * Arguments: threads (default 2), decode tokens for the 134M model (default 128), repetitions (default 3, best taken).
 */
public final class EngineBenchmark {

    private EngineBenchmark() {
    }

    /** Throughput by wall clock, and per CPU-second of the whole process (fairer on a machine shared with others). */
    record Figures(double decodeTps, double prefillTps, double decodeCpuTps, double prefillCpuTps) {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int decode134 = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path shared = Path.of(System.getenv().getOrDefault("SEXTANT_SHARED_DIR", "../../shared"));
        Path stories = shared.resolve("models/stories260K.gguf");
        Path big = Path.of("target", "engine-models", "bench-768x12-q8_0.gguf");
        if (!Files.isRegularFile(big)) {
            Files.createDirectories(big.getParent());
            long t0 = System.nanoTime();
            RandomModelGenerator.generate(new RandomModelGenerator.Spec(shared.resolve("tokenizers/ggml-vocab-llama-spm.gguf"),
                    768, 12, 12, 12, 2048, 2048, GgmlType.Q8_0, 1, false, 10000f, 1e-5f), big);
            System.out.printf("generated %s in %.1f s%n", big, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf("machine: %s, %d cores online (shared with other engineers: figures are noisy), CPU features %s%n",
                cpuName(), Runtime.getRuntime().availableProcessors(), Model.cpuFeatures());
        System.out.printf("threads %d, batch 1 decode, 512-token prefill in one step, best of %d repetitions%n%n", threads, reps);
        LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { });
        for (Object[] c : new Object[][] { { stories, 512 }, { big, decode134 } }) {
            Path model = (Path) c[0];
            int nDecode = (Integer) c[1];
            long rssBefore = rssKb();
            Figures ours;
            long rssAfterLoad, rssAfterRun, kvBytes;
            long fileBytes = Files.size(model);
            try (Model m = Model.load(model);
                    Session s = m.newSession(SessionOptions.defaults().withThreads(threads).withContextTokens(1024).withMaxSequences(1))) {
                rssAfterLoad = rssKb();
                ours = ours(s, m.info().vocabularySize(), nDecode, reps);
                rssAfterRun = rssKb();
                kvBytes = s.options().kvCacheType().cacheBytes(
                        2L * m.info().layers() * s.options().contextTokens() * m.info().kvHeads() * m.info().headDim());
            }
            Figures peer = peer(model, threads, nDecode, reps);
            System.out.printf("model %s (%.1f MB)%n", model.getFileName(), fileBytes / 1e6);
            System.out.printf("  decode  tok/s: sextant %9.1f   llama.cpp %9.1f   ratio %.2fx%n", ours.decodeTps(), peer.decodeTps(),
                    ours.decodeTps() / peer.decodeTps());
            System.out.printf("  prefill tok/s: sextant %9.1f   llama.cpp %9.1f   ratio %.2fx%n", ours.prefillTps(), peer.prefillTps(),
                    ours.prefillTps() / peer.prefillTps());
            System.out.printf("  decode  tok per CPU-second: sextant %9.1f   llama.cpp %9.1f   ratio %.2fx%n", ours.decodeCpuTps(),
                    peer.decodeCpuTps(), ours.decodeCpuTps() / peer.decodeCpuTps());
            System.out.printf("  prefill tok per CPU-second: sextant %9.1f   llama.cpp %9.1f   ratio %.2fx%n", ours.prefillCpuTps(),
                    peer.prefillCpuTps(), ours.prefillCpuTps() / peer.prefillCpuTps());
            System.out.printf("  RSS growth: %.1f MB after load + 1024-token session, %.1f MB after the runs"
                    + " (file %.1f MB + KV cache %.1f MB = %.1f MB)%n%n", (rssAfterLoad - rssBefore) / 1e3, (rssAfterRun - rssBefore) / 1e3,
                    fileBytes / 1e6, kvBytes / 1e6, (fileBytes + kvBytes) / 1e6);
        }
        System.out.flush();
        Runtime.getRuntime().halt(0); // java-llama.cpp's close() can hang
    }

    private static Figures ours(Session s, int vocab, int nDecode, int reps) {
        SplittableRandom r = new SplittableRandom(5);
        Batch b = s.newBatch();
        double bestPrefill = 0, bestDecode = 0, cpuPrefill = 0, cpuDecode = 0;
        for (int rep = 0; rep < reps; rep++) {
            s.clearSequence(0);
            b.clear();
            for (int i = 0; i < 512; i++) {
                b.add(i == 0 ? 1 : r.nextInt(3, vocab), i, 0, i == 511);
            }
            long t0 = System.nanoTime();
            double c0 = cpuSeconds();
            s.step(b);
            bestPrefill = Math.max(bestPrefill, 512 / ((System.nanoTime() - t0) / 1e9));
            cpuPrefill = Math.max(cpuPrefill, 512 / Math.max(1e-3, cpuSeconds() - c0));
            s.clearSequence(0);
            b.clear();
            b.add(1, 0, 0, true);
            s.step(b);
            t0 = System.nanoTime();
            c0 = cpuSeconds();
            for (int i = 1; i <= nDecode; i++) {
                int next = b.sampled(0);
                b.clear();
                b.add(next, i, 0, true);
                s.step(b);
            }
            bestDecode = Math.max(bestDecode, nDecode / ((System.nanoTime() - t0) / 1e9));
            cpuDecode = Math.max(cpuDecode, nDecode / Math.max(1e-3, cpuSeconds() - c0));
        }
        return new Figures(bestDecode, bestPrefill, cpuDecode, cpuPrefill);
    }

    private static Figures peer(Path model, int threads, int nDecode, int reps) {
        LlamaModel peer = new LlamaModel(new ModelParameters().setModel(model.toString()).setGpuLayers(0).setThreads(threads)
                .setThreadsBatch(threads).setCtxSize(1024).setBatchSize(512).setUbatchSize(512));
        SplittableRandom r = new SplittableRandom(5);
        int[] ids = new int[600];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.nextInt(3, 500);
        }
        // A text of exactly 511 tokens (+ BOS) as llama.cpp tokenizes it.
        String text = peer.decode(ids);
        int[] enc = peer.encode(text);
        text = peer.decode(java.util.Arrays.copyOf(enc, 511));
        double bestPrefill = 0, bestDecode = 0, cpuPrefill = 0, cpuDecode = 0;
        for (int rep = 0; rep < reps; rep++) {
            long t0 = System.nanoTime();
            double c0 = cpuSeconds();
            peer.complete(new InferenceParameters(text).setTemperature(0f).setNPredict(1).setCachePrompt(false));
            bestPrefill = Math.max(bestPrefill, 512 / ((System.nanoTime() - t0) / 1e9));
            cpuPrefill = Math.max(cpuPrefill, 512 / Math.max(1e-3, cpuSeconds() - c0));
            long first = 0;
            double cFirst = 0;
            int n = 0;
            for (LlamaOutput o : peer.generate(new InferenceParameters("").setTemperature(0f).setNPredict(nDecode + 1)
                    .setIgnoreEos(true).setCachePrompt(false))) {
                if (n++ == 0) {
                    first = System.nanoTime();
                    cFirst = cpuSeconds();
                }
            }
            bestDecode = Math.max(bestDecode, (n - 1) / ((System.nanoTime() - first) / 1e9));
            cpuDecode = Math.max(cpuDecode, (n - 1) / Math.max(1e-3, cpuSeconds() - cFirst));
        }
        return new Figures(bestDecode, bestPrefill, cpuDecode, cpuPrefill);
    }

    /** User + system CPU time of the whole process (all threads, native ones included), from /proc/self/stat. */
    private static double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ = 100)
        }
        catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }

    /** The CPU's model name from /proc/cpuinfo (figures depend on the host kind; benchmarks print it). */
    public static String cpuName() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown CPU";
    }
}
