package dev.sextant.inference.embedding;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code sextant.inference.embedding.*}: the embedding model and its dynamic batching.
 *
 * @param model           the id clients send ({@code all-minilm-l6-v2}); {@code aliases} are accepted too
 * @param maxBatchSize    texts per ONNX Runtime call
 * @param batchWindow     how long the first text of a batch waits for others to join
 * @param maxTokens       longer texts are truncated to this many tokens (all-MiniLM-L6-v2 was trained on 256)
 * @param threads         ONNX Runtime intra-op threads, 0 = its default (one per core)
 * @param spinning        ONNX Runtime threads busy-wait between operators (faster alone, steals CPU when shared)
 * @param maxPadding      padding allowed per ONNX Runtime call, as a fraction of its real tokens: a batch is sorted
 *                        by length and split into runs that stay under it (large = pad all to the longest)
 * @param onnxModel       empty: the float32 all-MiniLM-L6-v2 from the classpath (what existing collections hold);
 *                        otherwise the path of another ONNX export of the same model and vocabulary, e.g. the int8
 *                        {@code all-minilm-l6-v2-q.onnx} (faster; vectors close to but not equal to float32's)
 * @param consumerGroups  Takeoff consumer groups {@code POST /embed} answers for
 */
@ConfigurationProperties("sextant.inference.embedding")
public record EmbeddingProperties(
        @DefaultValue("all-minilm-l6-v2") String model,
        @DefaultValue({"sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"}) List<String> aliases,
        @DefaultValue("32") int maxBatchSize,
        @DefaultValue("2ms") Duration batchWindow,
        @DefaultValue("256") int maxTokens,
        @DefaultValue("0") int threads,
        @DefaultValue({"primary", "embed", "embedding", "all-minilm-l6-v2"}) List<String> consumerGroups,
        @DefaultValue("2048") int maxInputs,
        @DefaultValue("false") boolean spinning,
        @DefaultValue("0.1") double maxPadding,
        @DefaultValue("") String onnxModel) {

    boolean names(String requested) {
        return requested != null && (requested.equalsIgnoreCase(model) || aliases.stream().anyMatch(requested::equalsIgnoreCase));
    }
}
