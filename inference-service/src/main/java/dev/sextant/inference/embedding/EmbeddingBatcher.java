package dev.sextant.inference.embedding;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Dynamic batching: texts from concurrent requests are queued; one worker takes the first, waits up to the
 * batch window for more (up to the maximum batch size) and embeds them in one call.
 */
final class EmbeddingBatcher implements AutoCloseable {

    /** One embedded text. */
    record Embedded(float[] vector, int tokens) {
    }

    private record Job(String text, CompletableFuture<Embedded> result) {
    }

    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Function<List<String>, MiniLmEmbedder.Result> embed;
    private final int maxBatch;
    private final long windowNanos;
    private final Thread worker;
    private volatile boolean running = true;

    EmbeddingBatcher(Function<List<String>, MiniLmEmbedder.Result> embed, int maxBatch, Duration window) {
        this.embed = embed;
        this.maxBatch = Math.max(1, maxBatch);
        this.windowNanos = window.toNanos();
        this.worker = Thread.ofPlatform().daemon().name("embedding-batcher").start(this::run);
    }

    /** Futures for the texts, in order. */
    List<CompletableFuture<Embedded>> submit(List<String> texts) {
        List<CompletableFuture<Embedded>> futures = new ArrayList<>(texts.size());
        for (String text : texts) {
            CompletableFuture<Embedded> f = new CompletableFuture<>();
            futures.add(f);
            queue.add(new Job(text, f));
        }
        return futures;
    }

    private void run() {
        List<Job> batch = new ArrayList<>(maxBatch);
        while (running) {
            try {
                Job first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + windowNanos;
                while (batch.size() < maxBatch) {
                    // take what is already queued without waiting, then wait out the window for more
                    Job next = queue.poll();
                    if (next == null) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        next = queue.poll(left, TimeUnit.NANOSECONDS);
                        if (next == null) {
                            break;
                        }
                    }
                    batch.add(next);
                }
                try {
                    MiniLmEmbedder.Result result = embed.apply(batch.stream().map(Job::text).toList());
                    for (int i = 0; i < batch.size(); i++) {
                        batch.get(i).result.complete(new Embedded(result.vectors()[i], result.tokenCounts()[i]));
                    }
                } catch (RuntimeException | Error e) {
                    batch.forEach(j -> j.result.completeExceptionally(e));
                }
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
        Job j;
        while ((j = queue.poll()) != null) {
            j.result.completeExceptionally(new IllegalStateException("embedding service is shutting down"));
        }
    }
}
