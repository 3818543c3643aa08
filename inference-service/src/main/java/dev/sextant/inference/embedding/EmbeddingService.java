package dev.sextant.inference.embedding;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Service;

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

    public EmbeddingService(EmbeddingProperties properties) {
        this.properties = properties;
    }

    public EmbeddingProperties properties() {
        return properties;
    }

    private EmbeddingBatcher batcher() {
        EmbeddingBatcher b = batcher;
        if (b == null) {
            synchronized (this) {
                if (batcher == null) {
                    embedder = MiniLmEmbedder.fromClasspath(properties.maxTokens(), properties.threads());
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
