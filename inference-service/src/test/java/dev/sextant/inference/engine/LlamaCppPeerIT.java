package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.CacheType;
import de.kherud.llama.args.LogFormat;
import de.kherud.llama.args.PoolingType;
import dev.sextant.inference.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The peer, llama.cpp through java-llama.cpp: same greedy text, and logits within NMSE 1e-4.
 * java-llama.cpp exposes no logits (its n_probs path aborts in this build), so the peer's logits are rebuilt from
 * its final hidden state (embedding mode, LAST pooling, which llama.cpp L2-normalises) times output.weight;
 * the unknown norm is one scale factor fitted by least squares before the NMSE is taken. Like llama.cpp's own
 * Q8_0 matmul, the hidden state is rounded to Q8_0 blocks first (scale-equivariant up to the fp16 block scale).
 * Our KV cache is float32 here: both engines round K and V to fp16 by default, but at different points, and on
 * random weights (near-ties everywhere) those roundings alone can change a greedy token.
 */
class LlamaCppPeerIT {

    private static final List<String> PROMPTS = List.of("Once upon a time", "Lily and Tom went to the park", "The little dog");

    private static void withPeer(ModelParameters params, Consumer<LlamaModel> body) {
        LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { });
        // F32 KV cache on the peer: ours is F32, llama.cpp's default F16 would add its own rounding.
        LlamaModel peer = new LlamaModel(params.setGpuLayers(0).setThreads(2).setCtxSize(256)
                .setCacheTypeK(CacheType.F32).setCacheTypeV(CacheType.F32));
        try {
            body.accept(peer);
        }
        finally {
            // java-llama.cpp's close() can hang after a generation: close on a daemon thread, bounded.
            Thread closer = Thread.ofPlatform().daemon().start(peer::close);
            try {
                closer.join(5000);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static int[] withBos(int[] ids) {
        int[] p = new int[ids.length + 1];
        p[0] = 1;
        System.arraycopy(ids, 0, p, 1, ids.length);
        return p;
    }

    private static void sameGreedyText(Path model, int n) {
        withPeer(new ModelParameters().setModel(model.toString()), peer -> {
            try (Model m = Model.load(model); Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(256).withKvCacheType(SessionOptions.KvCacheType.F32))) {
                int seq = 0;
                for (String prompt : PROMPTS) {
                    String theirs = peer.complete(new InferenceParameters(prompt).setTemperature(0f).setNPredict(n).setIgnoreEos(true)
                            .setCachePrompt(false));
                    int[] ids = EngineTestSupport.greedy(s, seq, withBos(peer.encode(prompt)), n, 0).ids().stream()
                            .mapToInt(Integer::intValue).toArray();
                    s.clearSequence(seq);
                    assertThat(peer.decode(ids)).as("greedy text after '%s'", prompt).isEqualTo(theirs);
                }
            }
        });
    }

    @Test
    void stories260KGreedyTextEqualsLlamaCpp() {
        sameGreedyText(EngineTestSupport.stories(), 64);
    }

    @Test
    void generatedQ8ModelGreedyTextEqualsLlamaCpp() {
        sameGreedyText(SessionIT.q8Model(), 16);
    }

    @Test
    void generatedQ8ModelLogitsMatchLlamaCppWithinNmse() throws IOException {
        Path model = SessionIT.q8Model();
        float[] w;
        int dim;
        try (GgufFile g = GgufFile.open(model)) {
            w = g.dequantize(g.tensor("output.weight"));
            dim = (int) g.tensor("output.weight").shape()[0];
        }
        int vocab = w.length / dim;
        float[] wf = w;
        withPeer(new ModelParameters().setModel(model.toString()).enableEmbedding().setPoolingType(PoolingType.LAST), peer -> {
            try (Model m = Model.load(model); Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(256).withKvCacheType(SessionOptions.KvCacheType.F32))) {
                for (String prompt : PROMPTS) {
                    float[] h = q8RoundTrip(peer.embed(prompt));
                    assertThat(h).hasSize(dim);
                    int[] ids = withBos(peer.encode(prompt));
                    Batch b = s.newBatch();
                    for (int i = 0; i < ids.length; i++) {
                        b.add(ids[i], i, 0, i == ids.length - 1);
                    }
                    s.step(b);
                    float[] ours = s.logitsCopy(0);
                    s.clearSequence(0);
                    double[] dir = new double[vocab];
                    for (int v = 0; v < vocab; v++) {
                        double acc = 0;
                        for (int j = 0; j < dim; j++) {
                            acc += (double) wf[v * dim + j] * h[j];
                        }
                        dir[v] = acc;
                    }
                    double od = 0, dd = 0, oo = 0;
                    for (int v = 0; v < vocab; v++) {
                        od += ours[v] * dir[v];
                        dd += dir[v] * dir[v];
                        oo += (double) ours[v] * ours[v];
                    }
                    double scale = od / dd, err = 0;
                    for (int v = 0; v < vocab; v++) {
                        double d = ours[v] - scale * dir[v];
                        err += d * d;
                    }
                    assertThat(err / oo).as("NMSE of logits after '%s'", prompt).isLessThan(1e-4);
                    assertThat(scale).as("norm of the final hidden state").isGreaterThan(0);
                }
            }
        });
    }

    /** Quantizes to Q8_0 blocks of 32 and back, as llama.cpp does to activations before a Q8_0 matmul. */
    static float[] q8RoundTrip(float[] x) {
        float[] y = new float[x.length];
        for (int b = 0; b < x.length; b += 32) {
            float amax = 0;
            for (int j = b; j < b + 32; j++) {
                amax = Math.max(amax, Math.abs(x[j]));
            }
            float d = amax / 127f, id = d == 0 ? 0 : 1f / d, d16 = Float.float16ToFloat(Float.floatToFloat16(d));
            for (int j = b; j < b + 32; j++) {
                y[j] = Math.round(x[j] * id) * d16;
            }
        }
        return y;
    }
}
