package dev.sextant.inference.embedding;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Service;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Embeds texts with all-MiniLM-L6-v2 through the dynamic batcher. The model loads on first use (about a
 * second), so services that never embed pay nothing.
 */
@Service
public class EmbeddingService implements DisposableBean {

    /** Vectors in input order and the tokens the model read. */
    public record Embeddings(List<float[]> vectors, int tokens) {
    }

    private final EmbeddingProperties properties;
    private volatile MiniLmEmbedder embedder;
    private volatile EmbeddingBatcher batcher;

    private final MeterRegistry meters;

    public EmbeddingService(EmbeddingProperties properties, ObjectProvider<MeterRegistry> meters) {
        this.properties = properties;
        this.meters = meters.getIfAvailable();
    }

    /**
     * Where embedding time goes, as Prometheus counters: {@code sextant_inference_embedding_seconds_total{stage}}
     * (tokenize, onnx, pool) and {@code sextant_inference_embedding_tokens_total{kind}} (real, padded).
     */
    private void bindMetrics(MiniLmEmbedder.Stats stats) {
        if (meters == null) {
            return;
        }
        FunctionCounter.builder("sextant.inference.embedding.seconds", stats, MiniLmEmbedder.Stats::tokenizeSeconds)
                .tag("stage", "tokenize").register(meters);
        FunctionCounter.builder("sextant.inference.embedding.seconds", stats, MiniLmEmbedder.Stats::onnxSeconds)
                .tag("stage", "onnx").register(meters);
        FunctionCounter.builder("sextant.inference.embedding.seconds", stats, MiniLmEmbedder.Stats::poolSeconds)
                .tag("stage", "pool").register(meters);
        FunctionCounter.builder("sextant.inference.embedding.tokens", stats, s -> s.tokens()).tag("kind", "real").register(meters);
        FunctionCounter.builder("sextant.inference.embedding.tokens", stats, s -> s.paddedTokens()).tag("kind", "padded").register(meters);
        FunctionCounter.builder("sextant.inference.embedding.texts", stats, s -> s.texts()).register(meters);
        FunctionCounter.builder("sextant.inference.embedding.onnx.calls", stats, s -> s.onnxCalls()).register(meters);
    }

    public EmbeddingProperties properties() {
        return properties;
    }

    private EmbeddingBatcher batcher() {
        EmbeddingBatcher b = batcher;
        if (b == null) {
            synchronized (this) {
                if (batcher == null) {
                    embedder = MiniLmEmbedder.load(properties.onnxModel().isBlank() ? null : Path.of(properties.onnxModel()),
                            properties.maxTokens(), properties.threads(), properties.spinning(), properties.maxPadding());
                    bindMetrics(embedder.stats());
                    MiniLmEmbedder e = embedder;
                    batcher = new EmbeddingBatcher(e::embed, properties.maxBatchSize(), properties.batchWindow());
                }
                b = batcher;
            }
        }
        return b;
    }

    /** Embeds {@code texts} (already validated: non-empty strings). */
    public Embeddings embed(List<String> texts) {
        List<CompletableFuture<EmbeddingBatcher.Embedded>> futures = batcher().submit(texts);
        try {
            List<EmbeddingBatcher.Embedded> done = futures.stream().map(CompletableFuture::join).toList();
            return new Embeddings(done.stream().map(EmbeddingBatcher.Embedded::vector).toList(),
                    done.stream().mapToInt(EmbeddingBatcher.Embedded::tokens).sum());
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @Override
    public void destroy() {
        if (batcher != null) {
            batcher.close();
        }
        if (embedder != null) {
            embedder.close();
        }
    }
}
