package dev.sextant.inference.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sextant.inference.gguf.SharedData;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The golden files' greedy ids decode to their greedy text, whole and streamed token by token. */
class GoldenTextTests {

    @ParameterizedTest
    @ValueSource(strings = {"stories260K", "llama-2-tiny-random"})
    void decodesGoldenGreedyIdsToTheGoldenText(String model) throws Exception {
        Tokenizer tokenizer = Tokenizers.fromGguf(SharedData.file("models/" + model + ".gguf"));
        JsonNode golden = JsonMapper.builder().build().readTree(Files.readString(SharedData.file("models/" + model + ".golden.json")));
        assertThat(golden.path("runs")).isNotEmpty();
        for (JsonNode run : golden.path("runs")) {
            int[] ids = new int[run.path("greedy_ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = run.path("greedy_ids").get(i).asInt();
            }
            String expected = unescapeBytes(run.path("greedy_text").asString());
            assertThat(tokenizer.decode(ids)).isEqualTo(expected);
            StreamingDecoder stream = tokenizer.newStreamingDecoder();
            StringBuilder streamed = new StringBuilder();
            for (int id : ids) {
                streamed.append(stream.push(id));
            }
            streamed.append(stream.flush());
            assertThat(streamed.toString()).isEqualTo(expected);
        }
    }

    /** The golden files write byte tokens as Python escapes ("\\x0A"); turn them back into the bytes. */
    private static String unescapeBytes(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); ) {
            if (s.startsWith("\\x", i) && i + 4 <= s.length() && s.substring(i + 2, i + 4).matches("[0-9A-Fa-f]{2}")) {
                out.write(Integer.parseInt(s.substring(i + 2, i + 4), 16));
                i += 4;
            } else {
                int cp = s.codePointAt(i);
                out.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K:Once upon a time:1,403,407,261,378", "llama-2-tiny-random:Hello world:1,15043,3186"})
    void encodesGoldenPromptsWithBos(String spec) throws Exception {
        String[] p = spec.split(":");
        Tokenizer tokenizer = Tokenizers.fromGguf(SharedData.file("models/" + p[0] + ".gguf"));
        int[] expected = java.util.Arrays.stream(p[2].split(",")).mapToInt(Integer::parseInt).toArray();
        assertThat(tokenizer.encode(p[1])).containsExactly(expected);
    }
}
