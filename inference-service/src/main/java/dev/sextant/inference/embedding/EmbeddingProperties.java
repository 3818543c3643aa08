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
        @DefaultValue("2048") int maxInputs) {

    boolean names(String requested) {
        return requested != null && (requested.equalsIgnoreCase(model) || aliases.stream().anyMatch(requested::equalsIgnoreCase));
    }
}
