package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.GgufFile;
import dev.sextant.inference.gguf.GgufTensorInfo;
import dev.sextant.inference.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each weight dtype against the same weights dequantized to F32 (the naive reference), like llama.cpp's test-backend-ops. */
class DtypeIT {

    private static final int[] PROMPT = { 1, 450, 4996, 17354, 1701, 432, 17204 };

    @TempDir
    Path dir;

    static float[] lastLogits(Path model) {
        // A float32 KV cache: the comparison is about the weights alone.
        try (Model m = Model.load(model);
                Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(64).withKvCacheType(SessionOptions.KvCacheType.F32))) {
            Batch b = s.newBatch();
            for (int i = 0; i < PROMPT.length; i++) {
                b.add(PROMPT[i], i, 0, i == PROMPT.length - 1);
            }
            s.step(b);
            return s.logitsCopy(0);
        }
    }

    static Path f32Twin(Path model, Path out) throws IOException {
        try (GgufFile g = GgufFile.open(model)) {
            GgufWriter w = new GgufWriter();
            w.putAll(new LinkedHashMap<>(g.metadata()));
            for (GgufTensorInfo t : g.tensors()) {
                float[] v = g.dequantize(t);
                w.addTensor(t.name(), GgmlType.F32, t.shape(), (first, dst, n) -> System.arraycopy(v, (int) first, dst, 0, n));
            }
            w.write(out);
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({ "F16, 1e-9", "BF16, 1e-9", "Q8_0, 1e-3", "Q4_0, 1e-3" })
    void weightDtypeMatchesDequantizedF32Reference(GgmlType type, double maxNmse) throws IOException {
        Path model = EngineTestSupport.generated("dt-" + type.name().toLowerCase() + "-128x2", 128, 2, 4, 2, 256, type);
        float[] ours = lastLogits(model), ref = lastLogits(f32Twin(model, dir.resolve("f32.gguf")));
        double err = 0, sig = 0;
        for (int i = 0; i < ref.length; i++) {
            err += (ours[i] - ref[i]) * (double) (ours[i] - ref[i]);
            sig += ref[i] * (double) ref[i];
        }
        assertThat(sig).isPositive();
        assertThat(err / sig).as("NMSE of %s against F32", type).isLessThan(maxNmse);
    }
}
