package dev.sextant.inference.gguf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a random-weight model of llama.cpp's {@code llama} architecture as GGUF: tensor names, shapes and
 * metadata keys exactly as llama.cpp loads them, the vocabulary and every {@code tokenizer.*} key copied from a
 * vocab GGUF. Norm weights are 1 (F32); matrices are uniform with standard deviation 1/sqrt(row length), made
 * from {@code seed} so the same arguments give the same file.
 *
 * <pre>
 * java -cp inference-service.jar dev.sextant.inference.gguf.RandomModelGenerator \
 *     --vocab ../shared/tokenizers/ggml-vocab-llama-spm.gguf --dim 768 --layers 12 --heads 12 --kv-heads 12 \
 *     --ffn 2048 --type Q8_0 --seed 42 --out /tmp/llama-134m-q8_0.gguf
 * </pre>
 */
public final class RandomModelGenerator {

    /** The model to write. {@code type} applies to the 2-D weight matrices (F32, F16, BF16, Q8_0 or Q4_0). */
    public record Spec(Path vocab, int dim, int layers, int heads, int kvHeads, int ffn, int contextLength,
            GgmlType type, long seed, boolean tiedEmbeddings, float ropeTheta, float rmsEps) {

        public Spec {
            if (dim % heads != 0) {
                throw new IllegalArgumentException("dim " + dim + " is not a multiple of heads " + heads);
            }
            if (heads % kvHeads != 0) {
                throw new IllegalArgumentException("heads " + heads + " is not a multiple of kv heads " + kvHeads);
            }
        }

        public static Spec of(Path vocab, int dim, int layers, int heads, int kvHeads, int ffn, GgmlType type, long seed) {
            return new Spec(vocab, dim, layers, heads, kvHeads, ffn, 2048, type, seed, false, 10000f, 1e-5f);
        }

        int headDim() {
            return dim / heads;
        }
    }

    private RandomModelGenerator() {
    }

    /** Writes the model described by {@code spec} to {@code out}. */
    public static void generate(Spec spec, Path out) throws IOException {
        Map<String, GgufValue> tokenizer = new LinkedHashMap<>();
        int vocabSize;
        try (GgufFile vocab = GgufFile.open(spec.vocab())) {
            vocab.metadata().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    tokenizer.put(k, v);
                }
            });
            GgufValue tokens = vocab.get("tokenizer.ggml.tokens");
            if (tokens == null) {
                throw new GgufFormatException(spec.vocab(), "no tokenizer.ggml.tokens: not a vocab GGUF");
            }
            vocabSize = tokens.asArray().length();
        }
        int kvDim = spec.headDim() * spec.kvHeads();
        GgmlType t = spec.type();
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string("llama"));
        w.put("general.name", GgufValue.string("sextant-random-" + spec.dim() + "x" + spec.layers() + "-" + t.name().toLowerCase()));
        w.put("general.file_type", GgufValue.uint32(fileType(t)));
        w.put("general.alignment", GgufValue.uint32(GgufFile.DEFAULT_ALIGNMENT));
        w.put("llama.vocab_size", GgufValue.uint32(vocabSize));
        w.put("llama.context_length", GgufValue.uint32(spec.contextLength()));
        w.put("llama.embedding_length", GgufValue.uint32(spec.dim()));
        w.put("llama.block_count", GgufValue.uint32(spec.layers()));
        w.put("llama.feed_forward_length", GgufValue.uint32(spec.ffn()));
        w.put("llama.rope.dimension_count", GgufValue.uint32(spec.headDim()));
        w.put("llama.attention.head_count", GgufValue.uint32(spec.heads()));
        w.put("llama.attention.head_count_kv", GgufValue.uint32(spec.kvHeads()));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(spec.rmsEps()));
        w.put("llama.rope.freq_base", GgufValue.float32(spec.ropeTheta()));
        w.putAll(tokenizer);

        long seed = spec.seed();
        w.addTensor("token_embd.weight", t, new long[] {spec.dim(), vocabSize}, uniform(seed, 0, 1));
        for (int l = 0; l < spec.layers(); l++) {
            String p = "blk." + l + ".";
            long s = seed + 1000L * (l + 1);
            w.addTensor(p + "attn_norm.weight", GgmlType.F32, new long[] {spec.dim()}, ones());
            w.addTensor(p + "attn_q.weight", t, new long[] {spec.dim(), spec.dim()}, uniform(s, 1, spec.dim()));
            w.addTensor(p + "attn_k.weight", t, new long[] {spec.dim(), kvDim}, uniform(s, 2, spec.dim()));
            w.addTensor(p + "attn_v.weight", t, new long[] {spec.dim(), kvDim}, uniform(s, 3, spec.dim()));
            w.addTensor(p + "attn_output.weight", t, new long[] {spec.dim(), spec.dim()}, uniform(s, 4, spec.dim()));
            w.addTensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {spec.dim()}, ones());
            w.addTensor(p + "ffn_gate.weight", t, new long[] {spec.dim(), spec.ffn()}, uniform(s, 5, spec.dim()));
            w.addTensor(p + "ffn_down.weight", t, new long[] {spec.ffn(), spec.dim()}, uniform(s, 6, spec.ffn()));
            w.addTensor(p + "ffn_up.weight", t, new long[] {spec.dim(), spec.ffn()}, uniform(s, 7, spec.dim()));
        }
        w.addTensor("output_norm.weight", GgmlType.F32, new long[] {spec.dim()}, ones());
        if (!spec.tiedEmbeddings()) {
            w.addTensor("output.weight", t, new long[] {spec.dim(), vocabSize}, uniform(seed, 9, spec.dim()));
        }
        w.write(out);
    }

    /** llama_ftype for a file whose matrices are all {@code type}. */
    static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("the generator writes F32, F16, BF16, Q8_0 or Q4_0, not " + type);
        };
    }

    private static GgufWriter.FloatSource ones() {
        return (first, dst, n) -> Arrays.fill(dst, 0, n, 1f);
    }

    /** Uniform values with standard deviation 1/sqrt(fanIn); each chunk has its own stream, so order does not matter. */
    private static GgufWriter.FloatSource uniform(long seed, int stream, int fanIn) {
        float a = (float) (Math.sqrt(3.0) / Math.sqrt(fanIn));
        return (first, dst, n) -> {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L + first);
            for (int i = 0; i < n; i++) {
                dst[i] = (float) ((random.nextDouble() * 2 - 1) * a);
            }
        };
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                usage("unexpected argument " + args[i]);
            }
            String key = args[i].substring(2);
            if (key.equals("tied")) {
                o.put(key, "true");
            } else if (i + 1 < args.length) {
                o.put(key, args[++i]);
            } else {
                usage("missing value for " + args[i]);
            }
        }
        if (!o.containsKey("vocab") || !o.containsKey("out")) {
            usage("--vocab and --out are required");
        }
        int heads = Integer.parseInt(o.getOrDefault("heads", "12"));
        Spec spec = new Spec(Path.of(o.get("vocab")), Integer.parseInt(o.getOrDefault("dim", "768")),
                Integer.parseInt(o.getOrDefault("layers", "12")), heads,
                Integer.parseInt(o.getOrDefault("kv-heads", String.valueOf(heads))),
                Integer.parseInt(o.getOrDefault("ffn", "2048")), Integer.parseInt(o.getOrDefault("context", "2048")),
                GgmlType.valueOf(o.getOrDefault("type", "Q8_0").toUpperCase()), Long.parseLong(o.getOrDefault("seed", "42")),
                Boolean.parseBoolean(o.getOrDefault("tied", "false")), Float.parseFloat(o.getOrDefault("rope-theta", "10000")),
                Float.parseFloat(o.getOrDefault("rms-eps", "1e-5")));
        long start = System.nanoTime();
        Path out = Path.of(o.get("out"));
        generate(spec, out);
        System.out.printf("wrote %s (%d bytes) in %.1f s%n", out, java.nio.file.Files.size(out), (System.nanoTime() - start) / 1e9);
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: RandomModelGenerator --vocab VOCAB.gguf --out OUT.gguf [--dim 768] [--layers 12] [--heads 12]"
                + " [--kv-heads H] [--ffn 2048] [--context 2048] [--type F16|BF16|Q8_0|Q4_0|F32] [--seed 42] [--tied]"
                + " [--rope-theta 10000] [--rms-eps 1e-5]");
        System.exit(2);
    }
}
