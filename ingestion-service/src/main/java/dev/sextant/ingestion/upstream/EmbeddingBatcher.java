package dev.sextant.ingestion.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import dev.sextant.ingestion.IngestionProperties;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

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
    private final Timer calls;
    private final DistributionSummary batchTexts;
    private Request carried;

    @Autowired
    public EmbeddingBatcher(EmbeddingClient client, IngestionProperties properties, ObjectProvider<MeterRegistry> meters) {
        this(client, properties.embedding().batchSize(), properties.embedding().maxConcurrentRequests(),
                meters.getIfAvailable(SimpleMeterRegistry::new));
    }

    EmbeddingBatcher(EmbeddingClient client, int batchSize, int maxConcurrentRequests) {
        this(client, batchSize, maxConcurrentRequests, new SimpleMeterRegistry());
    }

    private EmbeddingBatcher(EmbeddingClient client, int batchSize, int maxConcurrentRequests, MeterRegistry meters) {
        this.client = client;
        this.batchSize = batchSize;
        this.slots = new Semaphore(maxConcurrentRequests);
        this.calls = Timer.builder("sextant.ingestion.embedding.calls")
                .description("upstream embeddings calls (merged batches), as long as each took").register(meters);
        this.batchTexts = DistributionSummary.builder("sextant.ingestion.embedding.batch.texts")
                .description("texts per upstream embeddings call").register(meters);
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
        batchTexts.record(texts.size());
        long start = System.nanoTime();
        try {
            List<float[]> vectors = client.embed(batch.getFirst().tenant(), texts);
            calls.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
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
