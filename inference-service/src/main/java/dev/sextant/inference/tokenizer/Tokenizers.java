package dev.sextant.inference.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import dev.sextant.inference.gguf.GgufFile;
import dev.sextant.inference.gguf.GgufValue;

/**
 * Builds {@link Tokenizer}s from GGUF metadata ({@code tokenizer.ggml.*}, with llama.cpp's defaults per model
 * type) or from a Hugging Face {@code tokenizer.json} (see {@link HuggingFaceTokenizerLoader}).
 *
 * <pre>{@code
 * try (GgufFile gguf = GgufFile.open(path)) {
 *     Tokenizer tok = Tokenizers.fromGguf(gguf);
 * }
 * }</pre>
 */
public final class Tokenizers {

    private Tokenizers() {
    }

    /**
     * The tokenizer of a Hugging Face model directory: {@code tokenizer.json}, with BOS/EOS flags from
     * {@code tokenizer_config.json} when present.
     */
    public static Tokenizer fromHuggingFaceDirectory(Path dir) throws IOException {
        return HuggingFaceTokenizerLoader.load(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"));
    }

    public static Tokenizer fromGguf(Path path) throws IOException {
        try (GgufFile gguf = GgufFile.open(path)) {
            return fromGguf(gguf);
        }
    }

    /** A tokenizer from the file's metadata; a missing or unsupported tokenizer is an exception naming the file. */
    public static Tokenizer fromGguf(GgufFile gguf) throws IOException {
        try {
            return build(gguf);
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new IOException(gguf.path() + ": cannot build the tokenizer: " + e.getMessage(), e);
        }
    }

    private static Tokenizer build(GgufFile gguf) throws IOException {
        String model = gguf.getString("tokenizer.ggml.model", null);
        GgufValue tokensValue = gguf.get("tokenizer.ggml.tokens");
        if (model == null || tokensValue == null) {
            throw new IOException(gguf.path() + ": missing tokenizer (no tokenizer.ggml.model / tokenizer.ggml.tokens)");
        }
        String[] tokens = tokensValue.asArray().strings();
        int n = tokens.length;
        float[] scores = gguf.get("tokenizer.ggml.scores") == null ? null : gguf.get("tokenizer.ggml.scores").asArray().floats();
        int[] types;
        if (gguf.get("tokenizer.ggml.token_type") != null) {
            types = gguf.get("tokenizer.ggml.token_type").asArray().ints();
        } else {
            types = new int[n];
            Arrays.fill(types, TokenType.NORMAL);
        }
        String[] merges = gguf.get("tokenizer.ggml.merges") == null ? null : gguf.get("tokenizer.ggml.merges").asArray().strings();
        String pre = gguf.getString("tokenizer.ggml.pre", "default");
        String name = gguf.getString("general.name", "").toLowerCase(Locale.ROOT);

        TokenizerKind kind;
        int bos;
        int eos;
        int unk;
        int sep = -1;
        boolean addBos;
        boolean addEos = false;
        boolean addSpacePrefix;
        PreTokenizer preTokenizer = null;
        boolean ignoreMerges = false;
        switch (model) {
            case "llama" -> {
                kind = TokenizerKind.SPM;
                bos = 1;
                eos = 2;
                unk = 0;
                addBos = true;
                addSpacePrefix = true;
            }
            case "gpt2" -> {
                kind = TokenizerKind.BPE;
                if (merges == null) {
                    throw new IOException(gguf.path() + ": BPE tokenizer without tokenizer.ggml.merges");
                }
                bos = 11;
                eos = 11;
                unk = -1;
                PreTokenizer.Choice choice = PreTokenizer.forGgufPre(pre);
                preTokenizer = choice.preTokenizer();
                ignoreMerges = choice.ignoreMerges();
                addBos = choice.addBos();
                addSpacePrefix = false;
            }
            case "bert" -> {
                kind = TokenizerKind.WPM;
                bos = 101;
                eos = -1;
                unk = 100;
                sep = 102;
                addBos = true;
                addSpacePrefix = false;
            }
            default -> throw new IOException(gguf.path() + ": unsupported tokenizer model '" + model + "' (llama, gpt2 and bert are)");
        }
        bos = (int) gguf.getLong("tokenizer.ggml.bos_token_id", bos);
        bos = (int) gguf.getLong("tokenizer.ggml.cls_token_id", bos);
        eos = (int) gguf.getLong("tokenizer.ggml.eos_token_id", eos);
        unk = (int) gguf.getLong("tokenizer.ggml.unknown_token_id", unk);
        sep = (int) gguf.getLong("tokenizer.ggml.seperator_token_id", sep);
        int eot = (int) gguf.getLong("tokenizer.ggml.eot_token_id", -1);
        int eom = (int) gguf.getLong("tokenizer.ggml.eom_token_id", -1);
        addBos = gguf.getBoolean("tokenizer.ggml.add_bos_token", addBos);
        addEos = gguf.getBoolean("tokenizer.ggml.add_eos_token", addEos);
        addSpacePrefix = gguf.getBoolean("tokenizer.ggml.add_space_prefix", addSpacePrefix);
        for (int id : new int[] {bos, eos, unk, sep, eot, eom}) {
            if (id >= n) {
                throw new IOException(gguf.path() + ": special token id " + id + " is outside the vocabulary of " + n);
            }
        }

        boolean[] rstrip = new boolean[n];
        if (name.contains("phi-3") || name.contains("phi3")) {
            // llama.cpp: Phi-3's special tokens swallow the whitespace after them, except <unk>, <s>, <|endoftext|>
            for (int id = 0; id < n; id++) {
                int t = types[id];
                rstrip[id] = t == TokenType.CONTROL || t == TokenType.USER_DEFINED || t == TokenType.UNKNOWN || tokens[id].equals("</s>");
                if (tokens[id].equals("<unk>") || tokens[id].equals("<s>") || tokens[id].equals("<|endoftext|>")) {
                    rstrip[id] = false;
                }
            }
        }
        return new Tokenizer(new Tokenizer.Config(kind, tokens, kind == TokenizerKind.SPM ? scoresOrZero(scores, n) : scores,
                types, merges, preTokenizer, ignoreMerges, false, bos, eos, unk, sep, eot, eom, addBos, addEos,
                addSpacePrefix, null, rstrip));
    }

    private static float[] scoresOrZero(float[] scores, int n) {
        return scores != null ? scores : new float[n];
    }
}
