package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.CacheType;
import de.kherud.llama.args.LogFormat;
import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.GgufFile;
import dev.sextant.inference.gguf.GgufTensorInfo;
import dev.sextant.inference.gguf.GgufWriter;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Q4_K and Q6_K (the Q4_K_M mix): random valid blocks, checked against the same weights dequantized to F32
 * (the reference path) and against llama.cpp's greedy text on the same file.
 */
class KQuantIT {

    private static final int[] PROMPT = { 1, 450, 4996, 17354, 1701, 432, 17204 };

    @TempDir
    Path dir;

    /** Random blocks whose values spread about +-sqrt(3/fanIn), like the generator's uniform weights. */
    static byte[] randomBlocks(GgmlType type, long elements, long fanIn, SplittableRandom r) {
        int blocks = (int) (elements / 256);
        byte[] b = new byte[blocks * type.typeSize()];
        r.nextBytes(b);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        double a = Math.sqrt(3.0 / fanIn);
        for (int i = 0; i < blocks; i++) {
            int o = i * type.typeSize();
            if (type == GgmlType.Q4_K) {
                bb.putShort(o, Float.floatToFloat16((float) (2 * a / (63 * 15))));
                bb.putShort(o + 2, Float.floatToFloat16((float) (a / 63)));
            }
            else {
                bb.putShort(o + 208, Float.floatToFloat16((float) (a / (127 * 32))));
            }
        }
        return b;
    }

    private Path kQuantModel() throws IOException {
        Path out = dir.resolve("q4_k_m.gguf");
        SplittableRandom r = new SplittableRandom(11);
        try (GgufFile src = GgufFile.open(SessionIT.q8Model())) {
            GgufWriter w = new GgufWriter();
            w.putAll(new LinkedHashMap<>(src.metadata()));
            w.put("general.file_type", dev.sextant.inference.gguf.GgufValue.uint32(15)); // MOSTLY_Q4_K_M
            for (GgufTensorInfo t : src.tensors()) {
                String n = t.name();
                if (t.shape().length == 2 && !n.equals("token_embd.weight")) {
                    GgmlType type = n.contains("attn_v") || n.contains("ffn_down") || n.equals("output.weight") ? GgmlType.Q6_K : GgmlType.Q4_K;
                    w.addTensor(n, type, t.shape(), randomBlocks(type, t.elementCount(), t.shape()[0], r));
                }
                else {
                    w.addTensor(n, t.type(), t.shape(), src.tensorData(t).toArray(ValueLayout.JAVA_BYTE));
                }
            }
            w.write(out);
        }
        return out;
    }

    private static float[] lastLogits(Path model) {
        try (Model m = Model.load(model); Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(64))) {
            Batch b = s.newBatch();
            for (int i = 0; i < PROMPT.length; i++) {
                b.add(PROMPT[i], i, 0, i == PROMPT.length - 1);
            }
            s.step(b);
            return s.logitsCopy(0);
        }
    }

    @Test
    void kQuantMatmulsMatchTheDequantizedF32Reference() throws IOException {
        Path k = kQuantModel();
        Path f32 = dir.resolve("f32.gguf");
        try (GgufFile g = GgufFile.open(k)) {
            GgufWriter w = new GgufWriter();
            w.putAll(new LinkedHashMap<>(g.metadata()));
            for (GgufTensorInfo t : g.tensors()) {
                float[] v = g.dequantize(t);
                w.addTensor(t.name(), GgmlType.F32, t.shape(), (first, dst, n) -> System.arraycopy(v, (int) first, dst, 0, n));
            }
            w.write(f32);
        }
        float[] ours = lastLogits(k), ref = lastLogits(f32);
        double err = 0, sig = 0;
        for (int i = 0; i < ref.length; i++) {
            err += (ours[i] - ref[i]) * (double) (ours[i] - ref[i]);
            sig += ref[i] * (double) ref[i];
        }
        // Activations are quantized to Q8_K (as llama.cpp does), so a small difference remains.
        assertThat(err / sig).as("NMSE against the F32 reference").isLessThan(1e-3);
        assertThat(sig).isPositive();
    }

    @Test
    void kQuantGreedyTextEqualsLlamaCpp() throws IOException {
        Path k = kQuantModel();
        LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> { });
        LlamaModel peer = new LlamaModel(new ModelParameters().setModel(k.toString()).setGpuLayers(0).setThreads(2).setCtxSize(128)
                .setCacheTypeK(CacheType.F32).setCacheTypeV(CacheType.F32));
        try (Model m = Model.load(k); Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(128))) {
            String prompt = "Once upon a time";
            String theirs = peer.complete(new InferenceParameters(prompt).setTemperature(0f).setNPredict(12).setIgnoreEos(true));
            int[] enc = peer.encode(prompt);
            int[] p = new int[enc.length + 1];
            p[0] = 1;
            System.arraycopy(enc, 0, p, 1, enc.length);
            int[] ids = EngineTestSupport.greedy(s, 0, p, 12, 0).ids().stream().mapToInt(Integer::intValue).toArray();
            assertThat(peer.decode(ids)).isEqualTo(theirs);
        }
        finally {
            Thread closer = Thread.ofPlatform().daemon().start(peer::close);
            try {
                closer.join(5000);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
