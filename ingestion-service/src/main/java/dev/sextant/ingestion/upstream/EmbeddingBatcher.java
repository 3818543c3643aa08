package dev.sextant.ingestion.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import dev.sextant.ingestion.IngestionProperties;

/**
 * Merges the embedding requests of concurrent jobs into upstream calls of up to {@code batchSize} texts, so that
 * many small documents (an abstract is two or three chunks) still reach the model in full batches. No timer: a
 * batch is whatever has queued (same tenant, in order) by the time one of {@code maxConcurrentRequests} upstream
 * slots is free, so batches grow exactly when the upstream is the bottleneck and a lone request goes out at once.
 *
 * <pre>{@code
 * List<float[]> vectors = batcher.embed("acme", List.of("chunk one", "chunk two"));
 * }</pre>
 */
@Component
public class EmbeddingBatcher implements AutoCloseable {

    private final EmbeddingClient client;
    private final int batchSize;
    private final Semaphore slots;
    private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final Thread dispatcher;
    private Request carried;

    @Autowired
    public EmbeddingBatcher(EmbeddingClient client, IngestionProperties properties) {
        this(client, properties.embedding().batchSize(), properties.embedding().maxConcurrentRequests());
    }

    EmbeddingBatcher(EmbeddingClient client, int batchSize, int maxConcurrentRequests) {
        this.client = client;
        this.batchSize = batchSize;
        this.slots = new Semaphore(maxConcurrentRequests);
        this.dispatcher = Thread.ofVirtual().name("embedding-batcher").start(this::dispatch);
    }

    /** One vector per text, in order; throws {@link UpstreamException} as {@link EmbeddingClient#embed} does. */
    public List<float[]> embed(String tenant, List<String> texts) {
        Request request = new Request(tenant, List.copyOf(texts), new CompletableFuture<>());
        queue.add(request);
        try {
            return request.result().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new CompletionException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException("interrupted while waiting for embeddings", true, e);
        }
    }

    /** Requests waiting for an upstream slot (for tests). */
    int queued() {
        return queue.size() + (carried == null ? 0 : 1);
    }

    private void dispatch() {
        try {
            while (true) {
                slots.acquire();
                List<Request> batch = nextBatch();
                Thread.ofVirtual().name("embedding-call").start(() -> {
                    try {
                        call(batch);
                    } finally {
                        slots.release();
                    }
                });
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private List<Request> nextBatch() throws InterruptedException {
        Request first = carried != null ? carried : queue.take();
        carried = null;
        List<Request> batch = new ArrayList<>(List.of(first));
        int texts = first.texts().size();
        Request next;
        while (texts < batchSize && (next = queue.poll()) != null) {
            if (!next.tenant().equals(first.tenant()) || texts + next.texts().size() > batchSize) {
                carried = next;
                break;
            }
            batch.add(next);
            texts += next.texts().size();
        }
        return batch;
    }

    private void call(List<Request> batch) {
        List<String> texts = new ArrayList<>();
        batch.forEach(r -> texts.addAll(r.texts()));
        try {
            List<float[]> vectors = client.embed(batch.getFirst().tenant(), texts);
            int from = 0;
            for (Request request : batch) {
                request.result().complete(vectors.subList(from, from + request.texts().size()));
                from += request.texts().size();
            }
        } catch (RuntimeException e) {
            batch.forEach(r -> r.result().completeExceptionally(e));
        }
    }

    @Override
    public void close() {
        dispatcher.interrupt();
    }

    private record Request(String tenant, List<String> texts, CompletableFuture<List<float[]>> result) {
    }
}
