package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Hugging Face directory written by the test gives the same logits as the same weights from GGUF. */
class SafetensorsIT {

    private static final int[] PROMPT = { 1, 403, 407, 261, 378, 432, 383, 286 };

    @TempDir
    Path dir;

    private static float[][] allLogits(Path model) {
        try (Model m = Model.load(model); Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(64).withKvCacheType(SessionOptions.KvCacheType.F32))) {
            Batch b = s.newBatch();
            for (int i = 0; i < PROMPT.length; i++) {
                b.add(PROMPT[i], i, 0, true);
            }
            int n = s.step(b);
            float[][] out = new float[n][];
            for (int k = 0; k < n; k++) {
                out[k] = s.logitsCopy(k);
            }
            return out;
        }
    }

    private static void assertClose(float[][] a, float[][] b, double tol) {
        assertThat(a.length).isEqualTo(b.length);
        double worst = 0;
        for (int k = 0; k < a.length; k++) {
            for (int j = 0; j < a[k].length; j++) {
                worst = Math.max(worst, Math.abs(a[k][j] - b[k][j]));
            }
        }
        assertThat(worst).as("largest logit difference").isLessThan(tol);
    }

    @Test
    void f32SafetensorsDirectoryMatchesGguf() throws IOException {
        Path hf = Files.createDirectory(dir.resolve("hf32"));
        try (GgufFile g = GgufFile.open(EngineTestSupport.stories())) {
            List<HfExport.Tensor> t = HfExport.tensors(g);
            HfExport.writeConfig(g, hf, 512, false);
            HfExport.writeSafetensors(hf.resolve("model.safetensors"), t, "F32");
        }
        try (Model m = Model.load(hf)) {
            assertThat(m.info().architecture()).isEqualTo("llama");
            assertThat(m.info().layers()).isEqualTo(5);
        }
        assertClose(allLogits(hf), allLogits(EngineTestSupport.stories()), 1e-4);
    }

    @Test
    void shardedF16SafetensorsWithIndexMatchesF16Gguf() throws IOException {
        Path hf = Files.createDirectory(dir.resolve("hf16"));
        Path gguf = dir.resolve("f16.gguf");
        try (GgufFile g = GgufFile.open(EngineTestSupport.stories())) {
            List<HfExport.Tensor> t = HfExport.tensors(g);
            HfExport.writeConfig(g, hf, 512, false);
            int half = t.size() / 2;
            Map<String, String> map = new LinkedHashMap<>();
            List<List<HfExport.Tensor>> shards = List.of(t.subList(0, half), t.subList(half, t.size()));
            for (int i = 0; i < 2; i++) {
                String name = "model-0000" + (i + 1) + "-of-00002.safetensors";
                HfExport.writeSafetensors(hf.resolve(name), shards.get(i), "F16");
                shards.get(i).forEach(x -> map.put(x.hfName(), name));
            }
            HfExport.writeIndex(hf, map);
            HfExport.writeGguf(g, gguf, GgmlType.F16);
        }
        assertClose(allLogits(hf), allLogits(gguf), 1e-3);
    }

    @Test
    void rejectsUnsupportedSafetensorsDtype() throws IOException {
        Path hf = Files.createDirectory(dir.resolve("i8"));
        try (GgufFile g = GgufFile.open(EngineTestSupport.stories())) {
            HfExport.writeConfig(g, hf, 512, false);
        }
        byte[] header = "{\"model.norm.weight\":{\"dtype\":\"I8\",\"shape\":[64],\"data_offsets\":[0,64]}}".getBytes();
        byte[] file = new byte[8 + header.length + 64];
        java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header);
        Files.write(hf.resolve("model.safetensors"), file);
        assertThatThrownBy(() -> Model.load(hf)).isInstanceOf(EngineException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("unsupported dtype I8");
    }

    @Test
    void rejectsTruncatedSafetensorsAndUnknownModelType() throws IOException {
        Path hf = Files.createDirectory(dir.resolve("trunc"));
        try (GgufFile g = GgufFile.open(EngineTestSupport.stories())) {
            HfExport.writeConfig(g, hf, 512, false);
            HfExport.writeSafetensors(hf.resolve("model.safetensors"), HfExport.tensors(g), "F32");
        }
        Path st = hf.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(st);
        Files.write(st, java.util.Arrays.copyOf(all, all.length - 1000));
        assertThatThrownBy(() -> Model.load(hf)).isInstanceOf(EngineException.class)
                .hasMessageContaining(st.toAbsolutePath().toString()).hasMessageContaining("truncated");
        Files.writeString(hf.resolve("config.json"), Files.readString(hf.resolve("config.json")).replace("\"llama\"", "\"bloom\""));
        assertThatThrownBy(() -> Model.load(hf)).isInstanceOf(EngineException.class)
                .hasMessageContaining("config.json").hasMessageContaining("unknown architecture 'bloom'");
    }
}
