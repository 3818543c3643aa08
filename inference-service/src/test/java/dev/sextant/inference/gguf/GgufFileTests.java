package dev.sextant.inference.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


class GgufFileTests {

    @TempDir
    Path tmp;

    private static float[] randomFloats(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * 0.5);
        }
        return v;
    }

    private static GgufWriter.FloatSource from(float[] values) {
        return (first, dst, n) -> System.arraycopy(values, (int) first, dst, 0, n);
    }

    @Test
    void roundTripsMetadataOfEveryTypeAndTensorsOfEveryWritableType() throws Exception {
        GgufWriter w = new GgufWriter();
        w.put("u8", new GgufValue(GgufValueType.UINT8, 200L));
        w.put("i8", new GgufValue(GgufValueType.INT8, -5L));
        w.put("u16", new GgufValue(GgufValueType.UINT16, 60000L));
        w.put("i16", new GgufValue(GgufValueType.INT16, -300L));
        w.put("u32", GgufValue.uint32(4_000_000_000L));
        w.put("i32", GgufValue.int32(-7));
        w.put("u64", GgufValue.uint64(1L << 40));
        w.put("i64", new GgufValue(GgufValueType.INT64, -(1L << 40)));
        w.put("f32", GgufValue.float32(0.25f));
        w.put("f64", new GgufValue(GgufValueType.FLOAT64, Math.PI));
        w.put("bool", GgufValue.bool(true));
        w.put("str", GgufValue.string("héllo ▁wörld 🦙"));
        w.put("strings", GgufValue.array(GgufValueType.STRING, new String[] {"a", "", "ü"}));
        w.put("floats", GgufValue.array(GgufValueType.FLOAT32, new float[] {1f, -2.5f}));
        w.put("ints", GgufValue.array(GgufValueType.INT32, new int[] {1, 2, 3}));
        w.put("nested", GgufValue.array(GgufValueType.ARRAY, new GgufValue.GgufArray[] {
                new GgufValue.GgufArray(GgufValueType.UINT8, new byte[] {1, 2}),
                new GgufValue.GgufArray(GgufValueType.BOOL, new boolean[] {true, false})}));
        float[] values = randomFloats(64 * 3, 1);
        GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0};
        for (GgmlType type : types) {
            w.addTensor("t." + type, type, new long[] {64, 3}, from(values));
        }
        w.addTensor("raw", GgmlType.F32, new long[] {2}, new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40});
        Path file = tmp.resolve("rt.gguf");
        w.write(file);

        try (GgufFile g = GgufFile.open(file)) {
            assertThat(g.version()).isEqualTo(3);
            assertThat(g.get("u8").asLong()).isEqualTo(200);
            assertThat(g.get("i8").asLong()).isEqualTo(-5);
            assertThat(g.get("u16").asLong()).isEqualTo(60000);
            assertThat(g.get("i16").asLong()).isEqualTo(-300);
            assertThat(g.get("u32").asLong()).isEqualTo(4_000_000_000L);
            assertThat(g.get("i32").asLong()).isEqualTo(-7);
            assertThat(g.get("u64").asLong()).isEqualTo(1L << 40);
            assertThat(g.get("i64").asLong()).isEqualTo(-(1L << 40));
            assertThat(g.get("f32").asDouble()).isEqualTo(0.25);
            assertThat(g.get("f64").asDouble()).isEqualTo(Math.PI);
            assertThat(g.get("bool").asBoolean()).isTrue();
            assertThat(g.get("str").asString()).isEqualTo("héllo ▁wörld 🦙");
            assertThat(g.get("strings").asArray().strings()).containsExactly("a", "", "ü");
            assertThat(g.get("floats").asArray().floats()).containsExactly(1f, -2.5f);
            assertThat(g.get("ints").asArray().ints()).containsExactly(1, 2, 3);
            assertThat(g.get("nested")).isEqualTo(GgufValue.array(GgufValueType.ARRAY, new GgufValue.GgufArray[] {
                    new GgufValue.GgufArray(GgufValueType.UINT8, new byte[] {1, 2}),
                    new GgufValue.GgufArray(GgufValueType.BOOL, new boolean[] {true, false})}));
            assertThat(g.metadata().keySet()).startsWith("u8", "i8", "u16");
            for (GgmlType type : types) {
                GgufTensorInfo t = g.tensor("t." + type);
                assertThat(t.type()).isEqualTo(type);
                assertThat(t.shape()).containsExactly(64, 3);
                assertThat(t.fileOffset() % 32).isZero();
                float[] back = g.dequantize(t);
                for (int i = 0; i < values.length; i++) {
                    float tolerance = switch (type) {
                        case F32 -> 0f;
                        case F16 -> Math.abs(values[i]) / 1024;
                        case BF16 -> Math.abs(values[i]) / 128;
                        case Q8_0 -> blockMax(values, i) / 127 * 0.51f;
                        default -> blockMax(values, i) / 8 * 1.01f;
                    };
                    assertThat(back[i]).as("%s element %d", type, i).isCloseTo(values[i], org.assertj.core.data.Offset.offset(tolerance + 1e-7f));
                }
            }
            assertThat(g.dequantize(g.tensor("raw"))).containsExactly(1f, 2f);
        }
    }

    private static float blockMax(float[] v, int i) {
        int start = i / 32 * 32;
        float m = 0;
        for (int j = start; j < start + 32; j++) {
            m = Math.max(m, Math.abs(v[j]));
        }
        return m;
    }

    @Test
    void quantizesQ4_0WithGgmlsSignedMaxScaleAndNibbleOrder() {
        // ggml: d = (value of largest magnitude) / -8; element j in the low nibble of byte j, element 16+j in the high one
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16; // largest magnitude is -16 at j = 0, so d = 2
        }
        byte[] out = new byte[18];
        GgmlQuants.quantize(GgmlType.Q4_0, x, 0, 32, out, 0);
        assertThat(GgmlQuants.fp16ToFp32((short) ((out[0] & 0xff) | (out[1] << 8)))).isEqualTo(2f);
        assertThat(out[2] & 0xf).as("x[0] = -16 -> q 0").isZero();
        assertThat((out[2] >> 4) & 0xf).as("x[16] = 0 -> q 8").isEqualTo(8);
        assertThat((out[17] >> 4) & 0xf).as("x[31] = 15 -> min(15, int(7.5 + 8.5))").isEqualTo(15);
    }

    @Test
    void quantizesQ8_0RoundingHalfAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f; // d = 1
        x[1] = -2.5f;
        x[2] = 2.5f;
        byte[] out = new byte[34];
        GgmlQuants.quantize(GgmlType.Q8_0, x, 0, 32, out, 0);
        assertThat(out[2]).isEqualTo((byte) 127);
        assertThat(out[3]).isEqualTo((byte) -3);
        assertThat(out[4]).isEqualTo((byte) 3);
    }

    @Test
    void readsLlama2TinyRandomMetadataAndTensors() throws Exception {
        try (GgufFile g = GgufFile.open(SharedData.file("models/llama-2-tiny-random.gguf"))) {
            assertThat(g.getString("general.architecture", null)).isEqualTo("llama");
            assertThat(g.getLong("llama.block_count", -1)).isEqualTo(1);
            assertThat(g.getLong("llama.embedding_length", -1)).isEqualTo(8);
            assertThat(g.getString("tokenizer.ggml.model", null)).isEqualTo("llama");
            String[] tokens = g.get("tokenizer.ggml.tokens").asArray().strings();
            assertThat(tokens).hasSize(32000);
            assertThat(tokens[1]).isEqualTo("<s>");
            assertThat(tokens[13]).isEqualTo("<0x0A>");
            assertThat(g.get("tokenizer.ggml.scores").asArray().floats()).hasSize(32000);
            GgufTensorInfo embd = g.tensor("token_embd.weight");
            assertThat(embd.shape()).containsExactly(8, 32000);
            assertThat(g.tensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.F16);
            assertThat(g.tensor("blk.0.attn_norm.weight").type()).isEqualTo(GgmlType.F32);
            assertThat(g.tensors()).allSatisfy(t -> assertThat(t.fileOffset() + t.byteSize()).isLessThanOrEqualTo(Files.size(g.path())));
            float[] norm = g.dequantize(g.tensor("output_norm.weight"));
            assertThat(norm).hasSize(8);
            for (float v : norm) {
                assertThat(Float.isFinite(v)).isTrue();
            }
        }
    }

    @Test
    void rejectsWrongMagicNamingTheFile() throws Exception {
        Path file = tmp.resolve("bad.gguf");
        Files.write(file, "GGML00000000000000000000".getBytes());
        assertThatThrownBy(() -> GgufFile.open(file)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("wrong magic");
    }

    @Test
    void rejectsTruncatedFileNamingTheFile() throws Exception {
        Path full = tmp.resolve("full.gguf");
        new GgufWriter().put("k", GgufValue.string("v")).addTensor("t", GgmlType.F32, new long[] {64}, (f, d, n) -> Arrays.fill(d, 0, n, 1f)).write(full);
        byte[] bytes = Files.readAllBytes(full);
        for (int cut : new int[] {10, 30, bytes.length - 8}) {
            Path file = tmp.resolve("cut" + cut + ".gguf");
            Files.write(file, Arrays.copyOf(bytes, cut));
            assertThatThrownBy(() -> GgufFile.open(file)).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining("truncated");
        }
    }

    @Test
    void rejectsUnknownTensorType() throws Exception {
        Path full = tmp.resolve("t.gguf");
        new GgufWriter().addTensor("t", GgmlType.F32, new long[] {8}, (f, d, n) -> Arrays.fill(d, 0, n, 1f)).write(full);
        byte[] bytes = Files.readAllBytes(full);
        // tensor info: magic, version, counts (24) + name (8 + 1) + n_dims (4) + dim (8) -> type at 45
        bytes[45] = 99;
        Files.write(full, bytes);
        assertThatThrownBy(() -> GgufFile.open(full)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("unknown ggml type 99");
    }
}
