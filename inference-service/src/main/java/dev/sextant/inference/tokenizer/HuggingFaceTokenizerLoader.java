package dev.sextant.inference.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Builds a {@link Tokenizer} from a Hugging Face {@code tokenizer.json} (+ {@code tokenizer_config.json} for
 * BOS/EOS flags): byte-level BPE (GPT-2, Llama 3, Qwen: regex from the {@code Split} pre-tokenizer or GPT-2's for
 * {@code ByteLevel}), SentencePiece-style BPE with byte fallback (Llama 2, Mistral: "▁" for spaces, merges by
 * rank) and WordPiece (BERT, converted to llama.cpp's phantom-space vocabulary). Unigram models are refused.
 *
 * <pre>{@code
 * Tokenizer tok = HuggingFaceTokenizerLoader.load(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"));
 * }</pre>
 */
public final class HuggingFaceTokenizerLoader {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private HuggingFaceTokenizerLoader() {
    }

    /** Loads {@code tokenizerJson}; {@code tokenizerConfig} may be null or missing. */
    public static Tokenizer load(Path tokenizerJson, Path tokenizerConfig) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IOException(tokenizerJson + ": missing tokenizer.json");
        }
        JsonNode root;
        JsonNode config = null;
        try {
            root = JSON.readTree(tokenizerJson.toFile());
            if (tokenizerConfig != null && Files.isRegularFile(tokenizerConfig)) {
                config = JSON.readTree(tokenizerConfig.toFile());
            }
        } catch (RuntimeException e) {
            throw new IOException(tokenizerJson + ": not valid JSON: " + e.getMessage(), e);
        }
        try {
            return build(root, config);
        } catch (IllegalArgumentException e) {
            throw new IOException(tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    private static Tokenizer build(JsonNode root, JsonNode config) {
        JsonNode model = root.path("model");
        String type = model.path("type").asString("");
        if (type.isEmpty() && model.has("merges")) {
            type = "BPE";
        }
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) {
            throw new IllegalArgumentException("model.vocab is not an object (model type '" + type + "' is not supported)");
        }
        int n = 0;
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            n = Math.max(n, e.getValue().asInt() + 1);
        }
        for (JsonNode added : root.path("added_tokens")) {
            n = Math.max(n, added.path("id").asInt() + 1);
        }
        String[] tokens = new String[n];
        int[] types = new int[n];
        for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = TokenType.NORMAL;
        }
        boolean[] lstrip = new boolean[n];
        boolean[] rstrip = new boolean[n];
        for (JsonNode added : root.path("added_tokens")) {
            int id = added.path("id").asInt();
            tokens[id] = added.path("content").asString();
            types[id] = added.path("special").asBoolean(false) ? TokenType.CONTROL : TokenType.USER_DEFINED;
            lstrip[id] = added.path("lstrip").asBoolean(false);
            rstrip[id] = added.path("rstrip").asBoolean(false);
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = TokenType.UNUSED;
            }
        }
        String unkToken = model.path("unk_token").isString() ? model.path("unk_token").asString() : null;
        int unk = indexOf(tokens, unkToken);
        if (unk >= 0 && types[unk] != TokenType.CONTROL) {
            types[unk] = TokenType.UNKNOWN;
        }
        return switch (type) {
            case "BPE" -> bpe(root, model, config, tokens, types, lstrip, rstrip, unk);
            case "WordPiece" -> wordPiece(root, config, tokens, types, lstrip, rstrip, unk);
            default -> throw new IllegalArgumentException("unsupported tokenizer model type '" + type + "' (BPE and WordPiece are)");
        };
    }

    private static Tokenizer bpe(JsonNode root, JsonNode model, JsonNode config, String[] tokens, int[] types,
            boolean[] lstrip, boolean[] rstrip, int unk) {
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? m.get(0).asString() + " " + m.get(1).asString() : m.asString());
        }
        boolean byteLevel = mentions(root.path("pre_tokenizer"), "ByteLevel") || mentions(root.path("decoder"), "ByteLevel");
        int bos = specialId(config, "bos_token", tokens, -1);
        int eos = specialId(config, "eos_token", tokens, -1);
        boolean[] template = templateSpecials(root.path("post_processor"));
        boolean addBos = config != null && config.has("add_bos_token") ? config.path("add_bos_token").asBoolean() : template[0];
        boolean addEos = config != null && config.has("add_eos_token") ? config.path("add_eos_token").asBoolean() : template[1];
        if (byteLevel) {
            List<String> regexes = new ArrayList<>();
            collectSplitRegexes(root.path("pre_tokenizer"), regexes);
            if (regexes.isEmpty()) {
                regexes.add(PreTokenizer.GPT2);
            }
            int eot = indexOf(tokens, "<|endoftext|>");
            if (bos < 0) {
                bos = eot;
            }
            if (eos < 0) {
                eos = eot;
            }
            return new Tokenizer(new Tokenizer.Config(TokenizerKind.BPE, tokens, null, types, merges.toArray(new String[0]),
                    new PreTokenizer("tokenizer.json", regexes), model.path("ignore_merges").asBoolean(false), false,
                    bos, eos, unk, -1, -1, -1, addBos, addEos, false, lstrip, rstrip));
        }
        // SentencePiece-style BPE: "▁" for spaces, byte fallback to <0xXX>
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (types[i] == TokenType.NORMAL && t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
                types[i] = TokenType.BYTE;
            }
        }
        boolean prefix = mentions(root.path("normalizer"), "Prepend") || prependsMetaspace(root.path("pre_tokenizer"));
        if (bos < 0) {
            bos = indexOf(tokens, "<s>");
        }
        if (eos < 0) {
            eos = indexOf(tokens, "</s>");
        }
        if (config == null || !config.has("add_bos_token")) {
            addBos = template[0] || bos >= 0;
        }
        return new Tokenizer(new Tokenizer.Config(TokenizerKind.SPM, tokens, null, types, merges.toArray(new String[0]),
                null, model.path("ignore_merges").asBoolean(false), true, bos, eos, unk, -1, -1, -1, addBos, addEos,
                prefix, lstrip, rstrip));
    }

    private static Tokenizer wordPiece(JsonNode root, JsonNode config, String[] tokens, int[] types, boolean[] lstrip,
            boolean[] rstrip, int unk) {
        String[] phantom = new String[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (types[i] != TokenType.NORMAL || (t.startsWith("[") && t.endsWith("]"))) {
                phantom[i] = t;
            } else if (t.startsWith("##")) {
                phantom[i] = t.substring(2);
            } else {
                phantom[i] = "\u2581" + t;
            }
        }
        int cls = specialId(config, "cls_token", tokens, indexOf(tokens, "[CLS]"));
        int sep = specialId(config, "sep_token", tokens, indexOf(tokens, "[SEP]"));
        return new Tokenizer(new Tokenizer.Config(TokenizerKind.WPM, phantom, null, types, null, null, false, false,
                cls, -1, unk, sep, -1, -1, true, false, false, lstrip, rstrip));
    }

    private static boolean[] templateSpecials(JsonNode post) {
        JsonNode single = post.path("single");
        if (!single.isArray() || single.isEmpty()) {
            for (JsonNode p : post.path("processors")) {
                boolean[] r = templateSpecials(p);
                if (r[0] || r[1]) {
                    return r;
                }
            }
            return new boolean[2];
        }
        return new boolean[] {single.get(0).has("SpecialToken"), single.get(single.size() - 1).has("SpecialToken")};
    }

    private static boolean mentions(JsonNode node, String type) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return false;
        }
        if (type.equals(node.path("type").asString(""))) {
            return true;
        }
        for (String list : new String[] {"pretokenizers", "normalizers", "decoders"}) {
            for (JsonNode child : node.path(list)) {
                if (mentions(child, type)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean prependsMetaspace(JsonNode node) {
        if ("Metaspace".equals(node.path("type").asString(""))) {
            String scheme = node.path("prepend_scheme").asString("");
            return scheme.equals("first") || scheme.equals("always") || node.path("add_prefix_space").asBoolean(false);
        }
        for (JsonNode child : node.path("pretokenizers")) {
            if (prependsMetaspace(child)) {
                return true;
            }
        }
        return false;
    }

    private static void collectSplitRegexes(JsonNode node, List<String> out) {
        if ("Split".equals(node.path("type").asString("")) && node.path("pattern").has("Regex")) {
            out.add(node.path("pattern").path("Regex").asString());
        }
        if ("Digits".equals(node.path("type").asString(""))) {
            out.add(node.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+");
        }
        for (JsonNode child : node.path("pretokenizers")) {
            collectSplitRegexes(child, out);
        }
    }

    private static int specialId(JsonNode config, String field, String[] tokens, int fallback) {
        if (config == null) {
            return fallback;
        }
        JsonNode v = config.path(field);
        String text = v.isString() ? v.asString() : v.path("content").isString() ? v.path("content").asString() : null;
        int id = indexOf(tokens, text);
        return id >= 0 ? id : fallback;
    }

    private static int indexOf(String[] tokens, String text) {
        return text == null ? -1 : Arrays.asList(tokens).indexOf(text);
    }
}
