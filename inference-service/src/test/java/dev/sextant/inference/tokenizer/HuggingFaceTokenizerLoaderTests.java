package dev.sextant.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sextant.inference.gguf.GgufFile;
import dev.sextant.inference.gguf.SharedData;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The tokenizer.json path. GPT-2's tokenizer.json is rebuilt from the GGUF vocabulary (vocab, merges, the
 * ByteLevel pre-tokenizer GPT-2 ships with); the real Hugging Face tokenizers library (through DJL) reproducing
 * llama.cpp's expected ids shows the rebuilt file is faithful, and our loader must produce the same ids.
 */
class HuggingFaceTokenizerLoaderTests {

    @TempDir
    Path tmp;

    private Path gpt2TokenizerJson() throws IOException {
        JsonMapper json = JsonMapper.builder().build();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        try (GgufFile g = GgufFile.open(SharedData.file("tokenizers/ggml-vocab-gpt-2.gguf"))) {
            String[] tokens = g.get("tokenizer.ggml.tokens").asArray().strings();
            int[] types = g.get("tokenizer.ggml.token_type").asArray().ints();
            String[] merges = g.get("tokenizer.ggml.merges").asArray().strings();
            ArrayNode added = root.putArray("added_tokens");
            ObjectNode model = json.createObjectNode();
            model.put("type", "BPE");
            model.putNull("dropout");
            model.putNull("unk_token");
            model.put("continuing_subword_prefix", "");
            model.put("end_of_word_suffix", "");
            model.put("fuse_unk", false);
            model.put("byte_fallback", false);
            ObjectNode vocab = model.putObject("vocab");
            for (int i = 0; i < tokens.length; i++) {
                vocab.put(tokens[i], i);
                if (types[i] == TokenType.CONTROL) {
                    ObjectNode t = added.addObject();
                    t.put("id", i);
                    t.put("content", tokens[i]);
                    t.put("single_word", false);
                    t.put("lstrip", false);
                    t.put("rstrip", false);
                    t.put("normalized", true);
                    t.put("special", true);
                }
            }
            ArrayNode m = model.putArray("merges");
            Arrays.stream(merges).forEach(m::add);
            root.putNull("normalizer");
            ObjectNode pre = root.putObject("pre_tokenizer");
            pre.put("type", "ByteLevel");
            pre.put("add_prefix_space", false);
            pre.put("trim_offsets", true);
            pre.put("use_regex", true);
            ObjectNode post = root.putObject("post_processor");
            post.put("type", "ByteLevel");
            post.put("add_prefix_space", true);
            post.put("trim_offsets", false);
            post.put("use_regex", true);
            ObjectNode decoder = root.putObject("decoder");
            decoder.put("type", "ByteLevel");
            decoder.put("add_prefix_space", true);
            decoder.put("trim_offsets", true);
            decoder.put("use_regex", true);
            root.set("model", model);
        }
        Path file = tmp.resolve("tokenizer.json");
        json.writeValue(file.toFile(), root);
        return file;
    }

    @Test
    void gpt2TokenizerJsonGivesTheExpectedIdsInHuggingFaceAndInOurs() throws Exception {
        Path file = gpt2TokenizerJson();
        VocabTestFiles cases = VocabTestFiles.read(SharedData.file("tokenizers/ggml-vocab-gpt-2.gguf"));
        Tokenizer ours = HuggingFaceTokenizerLoader.load(file, null);
        assertThat(ours.kind()).isEqualTo(TokenizerKind.BPE);
        List<String> hfFailures = new ArrayList<>();
        List<String> ourFailures = new ArrayList<>();
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false).build()) {
            for (int i = 0; i < cases.texts().size(); i++) {
                int[] expected = cases.expected().get(i);
                int[] fromHf = Arrays.stream(hf.encode(cases.texts().get(i)).getIds()).mapToInt(v -> (int) v).toArray();
                if (!Arrays.equals(fromHf, expected)) {
                    hfFailures.add("#" + i + " hf " + Arrays.toString(fromHf) + " expected " + Arrays.toString(expected));
                }
                int[] fromOurs = ours.encode(cases.texts().get(i), false, false);
                if (!Arrays.equals(fromOurs, expected)) {
                    ourFailures.add("#" + i + " ours " + Arrays.toString(fromOurs) + " expected " + Arrays.toString(expected));
                }
            }
        }
        assertThat(hfFailures).as("the rebuilt tokenizer.json is faithful (Hugging Face tokenizers)").isEmpty();
        assertThat(ourFailures).as("our tokenizer.json loader").isEmpty();
        assertThat(ours.decode(ours.encode("Hello, world! 🦙", false, false))).isEqualTo("Hello, world! 🦙");
        assertThat(ours.eosId()).isEqualTo(50256);
    }

    /**
     * Llama's tokenizer.json as transformers' converter writes it from the SentencePiece model: merges from
     * {@code SentencePieceExtractor} (every split of a piece into two pieces, ordered by the piece's score),
     * Prepend("▁") + Replace(" ", "▁") normalizer, BPE with byte fallback.
     */
    private Path llamaTokenizerJson() throws IOException {
        JsonMapper json = JsonMapper.builder().build();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        try (GgufFile g = GgufFile.open(SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf"))) {
            String[] tokens = g.get("tokenizer.ggml.tokens").asArray().strings();
            float[] scores = g.get("tokenizer.ggml.scores").asArray().floats();
            int[] types = g.get("tokenizer.ggml.token_type").asArray().ints();
            java.util.Map<String, Integer> vocabIds = new java.util.HashMap<>();
            for (int i = 0; i < tokens.length; i++) {
                vocabIds.put(tokens[i], i);
            }
            record Merge(String left, String right, float score) {
            }
            List<Merge> merges = new ArrayList<>();
            for (int id = 0; id < tokens.length; id++) {
                String piece = tokens[id];
                List<Merge> local = new ArrayList<>();
                int[] cps = piece.codePoints().toArray();
                for (int cut = 1; cut < cps.length; cut++) {
                    String l = new String(cps, 0, cut);
                    String r = new String(cps, cut, cps.length - cut);
                    if (vocabIds.containsKey(l) && vocabIds.containsKey(r)) {
                        local.add(new Merge(l, r, scores[id]));
                    }
                }
                local.sort(java.util.Comparator.comparingInt((Merge m) -> vocabIds.get(m.left())).thenComparingInt(m -> vocabIds.get(m.right())));
                merges.addAll(local);
            }
            merges.sort(java.util.Comparator.comparingDouble((Merge m) -> m.score()).reversed()); // stable, like Python's sorted
            ArrayNode added = root.putArray("added_tokens");
            ObjectNode model = json.createObjectNode();
            model.put("type", "BPE");
            model.putNull("dropout");
            model.put("unk_token", "<unk>");
            model.putNull("continuing_subword_prefix");
            model.putNull("end_of_word_suffix");
            model.put("fuse_unk", true);
            model.put("byte_fallback", true);
            ObjectNode vocab = model.putObject("vocab");
            for (int i = 0; i < tokens.length; i++) {
                vocab.put(tokens[i], i);
                if (types[i] == TokenType.CONTROL || types[i] == TokenType.UNKNOWN) {
                    ObjectNode t = added.addObject();
                    t.put("id", i);
                    t.put("content", tokens[i]);
                    t.put("single_word", false);
                    t.put("lstrip", false);
                    t.put("rstrip", false);
                    t.put("normalized", false);
                    t.put("special", true);
                }
            }
            ArrayNode m = model.putArray("merges");
            merges.forEach(x -> m.add(x.left() + " " + x.right()));
            ObjectNode normalizer = root.putObject("normalizer");
            normalizer.put("type", "Sequence");
            ArrayNode norms = normalizer.putArray("normalizers");
            ObjectNode prepend = norms.addObject();
            prepend.put("type", "Prepend");
            prepend.put("prepend", "\u2581");
            ObjectNode replace = norms.addObject();
            replace.put("type", "Replace");
            replace.putObject("pattern").put("String", " ");
            replace.put("content", "\u2581");
            root.putNull("pre_tokenizer");
            root.putNull("post_processor");
            ObjectNode decoder = root.putObject("decoder");
            decoder.put("type", "Sequence");
            ArrayNode decs = decoder.putArray("decoders");
            ObjectNode d1 = decs.addObject();
            d1.put("type", "Replace");
            d1.putObject("pattern").put("String", "\u2581");
            d1.put("content", " ");
            decs.addObject().put("type", "ByteFallback");
            decs.addObject().put("type", "Fuse");
            root.set("model", model);
        }
        Path file = tmp.resolve("llama-tokenizer.json");
        json.writeValue(file.toFile(), root);
        return file;
    }

    @Test
    void llamaTokenizerJsonGivesTheExpectedIdsInHuggingFaceAndInOurs() throws Exception {
        Path file = llamaTokenizerJson();
        VocabTestFiles cases = VocabTestFiles.read(SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf"));
        Tokenizer ours = HuggingFaceTokenizerLoader.load(file, null);
        assertThat(ours.kind()).isEqualTo(TokenizerKind.SPM);
        List<String> hfFailures = new ArrayList<>();
        List<String> ourFailures = new ArrayList<>();
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(file).optAddSpecialTokens(false).build()) {
            for (int i = 0; i < cases.texts().size(); i++) {
                int[] expected = cases.expected().get(i);
                int[] fromHf = Arrays.stream(hf.encode(cases.texts().get(i)).getIds()).mapToInt(v -> (int) v).toArray();
                if (!Arrays.equals(fromHf, expected)) {
                    hfFailures.add("#" + i + " hf " + Arrays.toString(fromHf) + " expected " + Arrays.toString(expected));
                }
                int[] fromOurs = ours.encode(cases.texts().get(i), false, false);
                if (!Arrays.equals(fromOurs, expected)) {
                    ourFailures.add("#" + i + " ours " + Arrays.toString(fromOurs) + " expected " + Arrays.toString(expected));
                }
            }
        }
        assertThat(hfFailures).as("the rebuilt tokenizer.json is faithful (Hugging Face tokenizers)").isEmpty();
        assertThat(ourFailures).as("our tokenizer.json loader").isEmpty();
        assertThat(ours.encode("Hi")[0]).as("BOS added like the GGUF tokenizer").isEqualTo(1);
    }

    @Test
    void wordPieceTokenizerJsonOfAllMiniLmMatchesTheBertBgeVectors() throws Exception {
        // all-MiniLM-L6-v2 and bge-small share bert-base-uncased's 30,522-token vocabulary
        Path file = tmp.resolve("minilm-tokenizer.json");
        try (var in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            assertThat(in).as("all-minilm-l6-v2-tokenizer.json from the langchain4j jar").isNotNull();
            Files.copy(in, file);
        }
        Tokenizer ours = HuggingFaceTokenizerLoader.load(file, null);
        assertThat(ours.kind()).isEqualTo(TokenizerKind.WPM);
        VocabTestFiles cases = VocabTestFiles.read(SharedData.file("tokenizers/ggml-vocab-bert-bge.gguf"));
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.texts().size(); i++) {
            int[] actual = ours.encode(cases.texts().get(i), false, false);
            if (!Arrays.equals(actual, cases.expected().get(i))) {
                failures.add("#" + i + " " + Arrays.toString(actual) + " expected " + Arrays.toString(cases.expected().get(i)));
            }
        }
        assertThat(failures).isEmpty();
        int[] withSpecial = ours.encode("Hello world");
        assertThat(ours.tokenText(withSpecial[0])).isEqualTo("[CLS]");
        assertThat(ours.tokenText(withSpecial[withSpecial.length - 1])).isEqualTo("[SEP]");
    }

    @Test
    void directoryLoadTakesBosFlagsFromTokenizerConfig() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Files.move(gpt2TokenizerJson(), dir.resolve("tokenizer.json"));
        Tokenizer plain = Tokenizers.fromHuggingFaceDirectory(dir);
        assertThat(plain.encode("Hello")).containsExactly(plain.encode("Hello", false, false));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<|endoftext|>\"}, \"add_bos_token\": true, \"eos_token\": \"<|endoftext|>\"}");
        Tokenizer withBos = Tokenizers.fromHuggingFaceDirectory(dir);
        assertThat(withBos.encode("Hello")[0]).isEqualTo(50256);
        assertThat(withBos.addsBos()).isTrue();
    }

    @Test
    void refusesUnigramModelsNamingTheFile() throws IOException {
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\":{\"type\":\"Unigram\",\"vocab\":[[\"a\",0.0]]}}");
        assertThatThrownBy(() -> HuggingFaceTokenizerLoader.load(file, null)).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void missingTokenizerJsonIsAnErrorNamingIt() {
        Path file = tmp.resolve("nope/tokenizer.json");
        assertThatThrownBy(() -> HuggingFaceTokenizerLoader.load(file, null)).isInstanceOf(IOException.class)
                .hasMessageContaining("missing tokenizer.json").hasMessageContaining(file.toString());
    }
}
