package dev.sextant.inference.engine;

import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.GgufFile;
import dev.sextant.inference.gguf.GgufTensorInfo;
import dev.sextant.inference.gguf.GgufWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test helper: rewrites a llama GGUF as a Hugging Face directory (config.json, safetensors shards, index),
 * undoing llama.cpp's Q/K row permutation, and (for the F16 case) as a GGUF with the same rounded weights.
 */
final class HfExport {

    private HfExport() {
    }

    record Tensor(String hfName, long[] hfShape, float[] values) {
    }

    static List<Tensor> tensors(GgufFile g) {
        int layers = (int) g.getLong("llama.block_count", 0);
        int heads = (int) g.getLong("llama.attention.head_count", 0);
        int kvHeads = (int) g.getLong("llama.attention.head_count_kv", heads);
        List<Tensor> out = new ArrayList<>();
        for (GgufTensorInfo t : g.tensors()) {
            String n = t.name();
            float[] v = g.dequantize(t);
            if (n.endsWith("attn_q.weight")) {
                v = unpermute(v, t.shape()[0], t.shape()[1], heads);
            }
            else if (n.endsWith("attn_k.weight")) {
                v = unpermute(v, t.shape()[0], t.shape()[1], kvHeads);
            }
            long[] s = t.shape();
            long[] hf = s.length == 1 ? new long[] {s[0]} : new long[] {s[1], s[0]};
            out.add(new Tensor(hfName(n), hf, v));
        }
        if (layers <= 0) {
            throw new IllegalStateException("no llama.block_count");
        }
        return out;
    }

    /** GGUF row h*hd + 2i + s holds HF row h*hd + s*hd/2 + i. */
    static float[] unpermute(float[] v, long cols, long rows, int heads) {
        int hd = (int) (rows / heads), half = hd / 2, c = (int) cols;
        float[] o = new float[v.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int s = 0; s < 2; s++) {
                    System.arraycopy(v, (h * hd + 2 * i + s) * c, o, (h * hd + s * half + i) * c, c);
                }
            }
        }
        return o;
    }

    static String hfName(String g) {
        if (g.equals("token_embd.weight")) {
            return "model.embed_tokens.weight";
        }
        if (g.equals("output_norm.weight")) {
            return "model.norm.weight";
        }
        if (g.equals("output.weight")) {
            return "lm_head.weight";
        }
        String[] p = g.split("\\.", 3);
        String rest = switch (p[2]) {
            case "attn_norm.weight" -> "input_layernorm.weight";
            case "attn_q.weight" -> "self_attn.q_proj.weight";
            case "attn_k.weight" -> "self_attn.k_proj.weight";
            case "attn_v.weight" -> "self_attn.v_proj.weight";
            case "attn_output.weight" -> "self_attn.o_proj.weight";
            case "ffn_norm.weight" -> "post_attention_layernorm.weight";
            case "ffn_gate.weight" -> "mlp.gate_proj.weight";
            case "ffn_up.weight" -> "mlp.up_proj.weight";
            case "ffn_down.weight" -> "mlp.down_proj.weight";
            default -> throw new IllegalArgumentException(g);
        };
        return "model.layers." + p[1] + "." + rest;
    }

    static void writeConfig(GgufFile g, Path dir, int vocab, boolean tied) throws IOException {
        String json = """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d, "num_hidden_layers": %d,
                 "num_attention_heads": %d, "num_key_value_heads": %d, "intermediate_size": %d, "vocab_size": %d,
                 "max_position_embeddings": %d, "rms_norm_eps": %s, "rope_theta": %s, "tie_word_embeddings": %s,
                 "torch_dtype": "float32", "rope_scaling": null}
                """.formatted(g.getLong("llama.embedding_length", 0), g.getLong("llama.block_count", 0),
                g.getLong("llama.attention.head_count", 0), g.getLong("llama.attention.head_count_kv", 0),
                g.getLong("llama.feed_forward_length", 0), vocab, g.getLong("llama.context_length", 0),
                Float.toString((float) g.getDouble("llama.attention.layer_norm_rms_epsilon", 1e-5)),
                Float.toString((float) g.getDouble("llama.rope.freq_base", 10000)), tied);
        Files.writeString(dir.resolve("config.json"), json);
    }

    /** One safetensors file; matrices (2-D) as {@code matrixDtype} ("F32" or "F16"), vectors as F32. */
    static void writeSafetensors(Path file, List<Tensor> tensors, String matrixDtype) throws IOException {
        StringBuilder h = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long off = 0;
        List<byte[]> blobs = new ArrayList<>();
        for (Tensor t : tensors) {
            String dt = t.hfShape().length == 2 ? matrixDtype : "F32";
            byte[] b = encode(t.values(), dt);
            blobs.add(b);
            h.append(",\"").append(t.hfName()).append("\":{\"dtype\":\"").append(dt).append("\",\"shape\":[");
            for (int i = 0; i < t.hfShape().length; i++) {
                h.append(i > 0 ? "," : "").append(t.hfShape()[i]);
            }
            h.append("],\"data_offsets\":[").append(off).append(',').append(off + b.length).append("]}");
            off += b.length;
        }
        h.append('}');
        while ((h.length() + 8) % 8 != 0) {
            h.append(' ');
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            for (byte[] b : blobs) {
                out.write(b);
            }
        }
    }

    static byte[] encode(float[] v, String dt) {
        ByteBuffer b = ByteBuffer.allocate(v.length * (dt.equals("F32") ? 4 : 2)).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            if (dt.equals("F32")) {
                b.putFloat(f);
            }
            else {
                b.putShort(Float.floatToFloat16(f));
            }
        }
        return b.array();
    }

    static void writeIndex(Path dir, Map<String, String> weightMap) throws IOException {
        StringBuilder s = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
        int i = 0;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            s.append(i++ > 0 ? "," : "").append('"').append(e.getKey()).append("\":\"").append(e.getValue()).append('"');
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), s.append("}}").toString());
    }

    /** The same GGUF with 2-D tensors re-encoded as {@code type} (tokenizer metadata kept). */
    static void writeGguf(GgufFile g, Path out, GgmlType type) throws IOException {
        GgufWriter w = new GgufWriter();
        w.putAll(new LinkedHashMap<>(g.metadata()));
        for (GgufTensorInfo t : g.tensors()) {
            float[] v = g.dequantize(t);
            GgmlType tt = t.shape().length == 2 ? type : GgmlType.F32;
            w.addTensor(t.name(), tt, t.shape(), (first, dst, n) -> System.arraycopy(v, (int) first, dst, 0, n));
        }
        w.write(out);
    }
}
