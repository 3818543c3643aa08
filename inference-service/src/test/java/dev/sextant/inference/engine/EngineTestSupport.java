package dev.sextant.inference.engine;

import dev.sextant.inference.gguf.GgmlType;
import dev.sextant.inference.gguf.RandomModelGenerator;
import dev.sextant.inference.gguf.SharedData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Shared models, golden files and greedy generation for the engine tests. */
final class EngineTestSupport {

    private EngineTestSupport() {
    }

    static Path stories() {
        return SharedData.file("models/stories260K.gguf");
    }

    static Path tinyRandom() {
        return SharedData.file("models/llama-2-tiny-random.gguf");
    }

    static JsonNode golden(String name) {
        return JsonMapper.builder().build().readTree(SharedData.file("models/" + name).toFile());
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    /** A generated random-weight llama model (vocab of llama SPM), written once under target/. */
    static synchronized Path generated(String name, int dim, int layers, int heads, int kvHeads, int ffn, GgmlType type) {
        Path dir = Path.of("target", "engine-models");
        Path out = dir.resolve(name + ".gguf");
        if (Files.isRegularFile(out)) {
            return out;
        }
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(name + ".gguf.tmp");
            RandomModelGenerator.generate(RandomModelGenerator.Spec.of(SharedData.file("tokenizers/ggml-vocab-llama-spm.gguf"),
                    dim, layers, heads, kvHeads, ffn, type, 42), tmp);
            Files.move(tmp, out);
            return out;
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Result of a greedy run: generated ids and the logits of each step (step k = logits after position P-1+k). */
    record Run(List<Integer> ids, List<float[]> logits) {
    }

    /** Prefills the prompt in one step, then decodes greedily one token at a time on sequence {@code seq}. */
    static Run greedy(Session s, int seq, int[] prompt, int n, int keepLogits) {
        Batch b = s.newBatch();
        for (int i = 0; i < prompt.length; i++) {
            b.add(prompt[i], i, seq, i == prompt.length - 1);
        }
        List<Integer> ids = new ArrayList<>();
        List<float[]> logits = new ArrayList<>();
        s.step(b);
        int pos = prompt.length;
        for (int k = 0; k < n; k++) {
            if (logits.size() < keepLogits) {
                logits.add(s.logitsCopy(0));
            }
            int next = b.sampled(0);
            ids.add(next);
            if (k == n - 1) {
                break;
            }
            b.clear();
            b.add(next, pos++, seq, true);
            s.step(b);
        }
        return new Run(ids, logits);
    }
}
