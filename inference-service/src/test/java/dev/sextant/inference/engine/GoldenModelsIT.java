package dev.sextant.inference.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The real engine against golden ids and logits from an independent float64 reference: with a float32 KV cache
 * within 1e-3, and with the default float16 cache (rounding K and V to 11 significant bits) the same greedy ids
 * and logits within 1e-2.
 */
class GoldenModelsIT {

    @Test
    void stories260KGreedyIdsAndTop5LogitsMatchGolden() {
        checkGolden(EngineTestSupport.stories(), "stories260K.golden.json", SessionOptions.KvCacheType.F32, 1e-3);
    }

    @Test
    void llama2TinyRandomGreedyIdsAndTop5LogitsMatchGolden() {
        checkGolden(EngineTestSupport.tinyRandom(), "llama-2-tiny-random.golden.json", SessionOptions.KvCacheType.F32, 1e-3);
    }

    @Test
    void stories260KWithTheDefaultF16KvCacheKeepsGreedyIdsAndLogitsClose() {
        checkGolden(EngineTestSupport.stories(), "stories260K.golden.json", SessionOptions.KvCacheType.F16, 1e-2);
    }

    @Test
    void reportsArchitectureAndShapeOfStories260K() {
        try (Model m = Model.load(EngineTestSupport.stories())) {
            ModelInfo i = m.info();
            assertThat(i.architecture()).isEqualTo("llama");
            assertThat(i.vocabularySize()).isEqualTo(512);
            assertThat(i.embeddingLength()).isEqualTo(64);
            assertThat(i.layers()).isEqualTo(5);
            assertThat(i.heads()).isEqualTo(8);
            assertThat(i.kvHeads()).isEqualTo(4);
        }
    }

    private static void checkGolden(Path model, String golden, SessionOptions.KvCacheType kv, double tolerance) {
        JsonNode runs = EngineTestSupport.golden(golden).get("runs");
        assertThat(runs.size()).isPositive();
        try (Model m = Model.load(model);
                Session s = m.newSession(SessionOptions.defaults().withThreads(2).withContextTokens(512).withKvCacheType(kv))) {
            assertThat(s.options().kvCacheType()).isEqualTo(kv);
            int seq = 0;
            for (JsonNode run : runs) {
                int[] prompt = EngineTestSupport.ints(run.get("prompt_ids"));
                int[] expected = EngineTestSupport.ints(run.get("greedy_ids"));
                int n = Math.min(64, expected.length);
                JsonNode steps = run.get("steps");
                EngineTestSupport.Run r = EngineTestSupport.greedy(s, seq, prompt, n, steps.size());
                assertThat(r.ids()).as("greedy ids for prompt %s", Arrays.toString(prompt))
                        .containsExactly(Arrays.stream(expected, 0, n).boxed().toArray(Integer[]::new));
                for (int k = 0; k < steps.size(); k++) {
                    JsonNode step = steps.get(k);
                    assertThat(step.get("pos").asInt()).isEqualTo(prompt.length - 1 + k);
                    float[] logits = r.logits().get(k);
                    int[] ids = EngineTestSupport.ints(step.get("top5_ids"));
                    JsonNode values = step.get("top5_logits");
                    for (int j = 0; j < ids.length; j++) {
                        assertThat((double) logits[ids[j]]).as("logit of %d at pos %d", ids[j], prompt.length - 1 + k)
                                .isCloseTo(values.get(j).asDouble(), within(tolerance));
                    }
                }
                s.clearSequence(seq);
                seq = (seq + 1) % 4;
            }
        }
    }
}
