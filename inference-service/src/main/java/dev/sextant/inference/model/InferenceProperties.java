package dev.sextant.inference.model;

import java.time.Duration;
import java.util.List;

import dev.sextant.inference.engine.SessionOptions;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code sextant.inference.*}: which models ("readers", Takeoff's term) load at start and how each is served.
 *
 * <pre>
 * sextant.inference.default-model: /models/llama-3.2-1b-q4_k_m.gguf
 * sextant.inference.readers[0]: {id: qwen, path: /models/qwen2.5-0.5b, consumer-group: small}
 * sextant.inference.kv-cache-dtype: f16   # or f32, or q8_0 (CPU backend; head dimension a multiple of 32)
 * sextant.inference.mixed-prefill-tokens: 32      # prefill tokens beside decode rows; 0 = all of max-batched-tokens
 * sextant.inference.prefill-bursts-first: true    # see SchedulerConfig
 * sextant.inference.kv-block-size: 64             # tokens per KV block: the unit of paging and of prefix caching
 * </pre>
 */
@ConfigurationProperties("sextant.inference")
public record InferenceProperties(
        String defaultModel,
        List<Reader> readers,
        @DefaultValue("0") int threads,
        @DefaultValue("16") int maxNumSeqs,
        @DefaultValue("128") int maxBatchedTokens,
        @DefaultValue("64") int maxWaiting,
        @DefaultValue("4096") int contextTokens,
        @DefaultValue("64") int kvBlockSize,
        @DefaultValue("f16") SessionOptions.KvCacheType kvCacheDtype,
        @DefaultValue("5m") Duration requestTimeout,
        @DefaultValue("0") long memoryBudgetBytes,
        @DefaultValue("true") boolean prefixCaching,
        @DefaultValue("0") int mixedPrefillTokens,
        @DefaultValue("true") boolean prefillBurstsFirst,
        @DefaultValue("https://huggingface.co") String hubEndpoint,
        String hubCache) {

    /** One model to load: a GGUF file or a Hugging Face directory, optionally in a consumer group. */
    public record Reader(String id, String path, @DefaultValue("primary") String consumerGroup) {
    }

    public InferenceProperties {
        readers = readers == null ? List.of() : List.copyOf(readers);
        if (hubCache == null || hubCache.isBlank()) {
            hubCache = System.getProperty("user.home") + "/.cache/sextant/hub";
        }
    }
}
